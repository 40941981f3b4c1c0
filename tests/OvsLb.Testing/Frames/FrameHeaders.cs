using OvsLb.OpenFlow.Packets;

namespace OvsLb.Testing.Frames;

/// <summary>The Ethernet addresses and optional 802.1Q tag of a frame the tests build with <see cref="TestFrames"/>.</summary>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, VlanTag? Vlan = null);

/// <summary>The IPv4 header fields a test sets; the rest (version, length, checksum) PacketDotNet computes.</summary>
public readonly record struct Ipv4Header(Ipv4Address Source, Ipv4Address Destination, byte Ttl = 64, byte Tos = 0, ushort Identification = 0, bool DontFragment = true);

/// <summary>The IPv6 header fields a test sets.</summary>
public readonly record struct Ipv6Header(Ipv6Address Source, Ipv6Address Destination, byte HopLimit = 64, byte TrafficClass = 0, uint FlowLabel = 0);

/// <summary>TCP control bits, as on the wire.</summary>
[Flags]
public enum TcpControl : ushort
{
    None = 0, Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80,
}

/// <summary>The TCP header fields a test sets (a 20-byte header, no options).</summary>
public readonly record struct TcpHeader(ushort SourcePort, ushort DestinationPort, uint Sequence = 0, uint Acknowledgment = 0, TcpControl Flags = TcpControl.Syn, ushort Window = 65535, ushort UrgentPointer = 0);

/// <summary>The flags word of an RFC 4861 neighbour advertisement.</summary>
[Flags]
public enum NdAdvertFlags : uint
{
    None = 0,
    Override = 0x2000_0000,
    Solicited = 0x4000_0000,
    Router = 0x8000_0000,
}
