using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Hashing;

/// <summary>An IPv4 connection as OVS hashes it: protocol, source and destination address and port.</summary>
/// <param name="Protocol">IP protocol number (<see cref="IpProtocol.Tcp"/>, <see cref="IpProtocol.Udp"/>, ...).</param>
/// <param name="Source">Source address.</param>
/// <param name="SourcePort">Source port (ICMP: type).</param>
/// <param name="Destination">Destination address.</param>
/// <param name="DestinationPort">Destination port (ICMP: code).</param>
public readonly record struct FiveTuple(byte Protocol, Ipv4Address Source, ushort SourcePort, Ipv4Address Destination, ushort DestinationPort)
{
    public string ProtocolName => Protocol switch { IpProtocol.Tcp => "tcp", IpProtocol.Udp => "udp", IpProtocol.Icmp => "icmp", IpProtocol.Sctp => "sctp", _ => $"ip_proto={Protocol}" };

    public override string ToString() => $"{ProtocolName} {Source}:{SourcePort} -> {Destination}:{DestinationPort}";
}
