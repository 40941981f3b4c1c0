using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>TCP control bits (RFC 9293 §3.1, RFC 3168).</summary>
[Flags]
public enum TcpControl : ushort
{
    None = 0, Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80,
}

/// <summary>TCP header fields for a segment to build (no options); data offset and checksum are filled in.</summary>
public readonly record struct TcpHeader(ushort SourcePort, ushort DestinationPort, uint Sequence = 0, uint Acknowledgment = 0, TcpControl Flags = TcpControl.Syn, ushort Window = 65535, ushort UrgentPointer = 0);

/// <summary>
/// Builds UDP datagrams (RFC 768) in IPv4/IPv6 frames, with the pseudo-header checksum.
/// <code>
/// +-------------+------------------+--------+----------+---------
/// | source port | destination port | length | checksum | payload
/// +-------------+------------------+--------+----------+---------
/// </code>
/// A computed checksum of zero is sent as 0xffff (zero means "none" in IPv4 and is invalid in IPv6).
/// </summary>
public static class UdpPacket
{
    public const int HeaderLength = 8;

    public static int Build(Span<byte> dst, in EthernetHeader eth, in Ipv4Header ip, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload)
    {
        int n = IpFrame.WriteV4(dst, eth, ip, IpProtocol.Udp, HeaderLength + payload.Length, out var l4);
        Fill(l4, srcPort, dstPort, payload, Checksum.PseudoHeaderV4(ip.Source, ip.Destination, IpProtocol.Udp, l4.Length));
        return n;
    }

    public static int Build(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload)
    {
        int n = IpFrame.WriteV6(dst, eth, ip, IpProtocol.Udp, HeaderLength + payload.Length, out var l4);
        Fill(l4, srcPort, dstPort, payload, Checksum.PseudoHeaderV6(ip.Source, ip.Destination, IpProtocol.Udp, l4.Length));
        return n;
    }

    private static void Fill(Span<byte> u, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload, uint pseudo)
    {
        BinaryPrimitives.WriteUInt16BigEndian(u, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(u[2..], dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(u[4..], (ushort)u.Length);
        BinaryPrimitives.WriteUInt16BigEndian(u[6..], 0);
        payload.CopyTo(u[HeaderLength..]);
        ushort c = Checksum.Finish(Checksum.Add(pseudo, u));
        BinaryPrimitives.WriteUInt16BigEndian(u[6..], c == 0 ? (ushort)0xffff : c);
    }
}

/// <summary>
/// Builds TCP segments (RFC 9293 §3.1) without options in IPv4/IPv6 frames.
/// <code>
/// | source port | destination port | sequence | acknowledgment |
/// | offset(4) rsvd(3) flags(9) | window | checksum | urgent pointer | data
/// </code>
/// </summary>
public static class TcpPacket
{
    public const int HeaderLength = 20;

    public static int Build(Span<byte> dst, in EthernetHeader eth, in Ipv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> payload = default)
    {
        int n = IpFrame.WriteV4(dst, eth, ip, IpProtocol.Tcp, HeaderLength + payload.Length, out var l4);
        Fill(l4, tcp, payload, Checksum.PseudoHeaderV4(ip.Source, ip.Destination, IpProtocol.Tcp, l4.Length));
        return n;
    }

    public static int Build(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> payload = default)
    {
        int n = IpFrame.WriteV6(dst, eth, ip, IpProtocol.Tcp, HeaderLength + payload.Length, out var l4);
        Fill(l4, tcp, payload, Checksum.PseudoHeaderV6(ip.Source, ip.Destination, IpProtocol.Tcp, l4.Length));
        return n;
    }

    private static void Fill(Span<byte> t, in TcpHeader tcp, ReadOnlySpan<byte> payload, uint pseudo)
    {
        BinaryPrimitives.WriteUInt16BigEndian(t, tcp.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], tcp.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], tcp.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], tcp.Acknowledgment);
        BinaryPrimitives.WriteUInt16BigEndian(t[12..], (ushort)((HeaderLength / 4) << 12 | ((ushort)tcp.Flags & 0x01ff)));
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], tcp.Window);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(t[18..], tcp.UrgentPointer);
        payload.CopyTo(t[HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], Checksum.Finish(Checksum.Add(pseudo, t)));
    }
}
