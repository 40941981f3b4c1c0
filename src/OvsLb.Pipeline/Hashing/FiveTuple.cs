using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Hashing;

/// <summary>A connection as OVS hashes it: protocol, source and destination address and port. IPv4 in
/// <see cref="Source"/>/<see cref="Destination"/>; an IPv6 connection (<see cref="IsIpv6"/>) has its addresses in
/// <see cref="Source6"/>/<see cref="Destination6"/> and leaves the IPv4 ones 0.</summary>
/// <param name="Protocol">IP protocol number (<see cref="IpProtocol.Tcp"/>, <see cref="IpProtocol.Udp"/>, ...).</param>
/// <param name="Source">Source address.</param>
/// <param name="SourcePort">Source port (ICMP: type).</param>
/// <param name="Destination">Destination address.</param>
/// <param name="DestinationPort">Destination port (ICMP: code).</param>
public readonly record struct FiveTuple(byte Protocol, Ipv4Address Source, ushort SourcePort, Ipv4Address Destination, ushort DestinationPort)
{
    /// <summary>An IPv6 connection's source address; null for IPv4.</summary>
    public Ipv6Address? Source6 { get; init; }

    /// <summary>An IPv6 connection's destination address; null for IPv4.</summary>
    public Ipv6Address? Destination6 { get; init; }

    /// <summary>True for an IPv6 connection.</summary>
    public bool IsIpv6 => Destination6 is not null;

    /// <summary>An IPv6 connection.</summary>
    public static FiveTuple V6(byte protocol, Ipv6Address source, ushort sourcePort, Ipv6Address destination, ushort destinationPort) =>
        new(protocol, Ipv4Address.Any, sourcePort, Ipv4Address.Any, destinationPort) { Source6 = source, Destination6 = destination };

    /// <summary>The destination address as text (an IPv6 one without brackets).</summary>
    public string DestinationText => IsIpv6 ? Destination6!.Value.ToString() : Destination.ToString();

    public string ProtocolName => Protocol switch { IpProtocol.Tcp => "tcp", IpProtocol.Udp => "udp", IpProtocol.Icmp => "icmp", IpProtocol.Sctp => "sctp", _ => $"ip_proto={Protocol}" };

    public override string ToString() => IsIpv6
        ? $"{ProtocolName} [{Source6}]:{SourcePort} -> [{Destination6}]:{DestinationPort}"
        : $"{ProtocolName} {Source}:{SourcePort} -> {Destination}:{DestinationPort}";
}
