using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>
/// Builds ICMPv4 echo messages (RFC 792); the checksum covers the ICMP message only.
/// <code>
/// | type (8 request, 0 reply) | code 0 | checksum | identifier | sequence | data
/// </code>
/// </summary>
public static class IcmpPacket
{
    public const byte EchoReplyType = 0;
    public const byte EchoRequestType = 8;

    public static int EchoRequest(Span<byte> dst, in EthernetHeader eth, in Ipv4Header ip, ushort id, ushort seq, ReadOnlySpan<byte> data = default) =>
        Echo(dst, eth, ip, EchoRequestType, id, seq, data);

    public static int EchoReply(Span<byte> dst, in EthernetHeader eth, in Ipv4Header ip, ushort id, ushort seq, ReadOnlySpan<byte> data = default) =>
        Echo(dst, eth, ip, EchoReplyType, id, seq, data);

    private static int Echo(Span<byte> dst, in EthernetHeader eth, in Ipv4Header ip, byte type, ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        int n = IpFrame.WriteV4(dst, eth, ip, IpProtocol.Icmp, 8 + data.Length, out var m);
        m[0] = type;
        m[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], seq);
        data.CopyTo(m[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], Checksum.Compute(m));
        return n;
    }
}

/// <summary>Neighbor advertisement flags (RFC 4861 §4.4), the top bits of the word after the checksum.</summary>
[Flags]
public enum NdAdvertFlags : uint
{
    None = 0,
    Override = 0x2000_0000,
    Solicited = 0x4000_0000,
    Router = 0x8000_0000,
}

/// <summary>
/// Builds ICMPv6 messages (RFC 4443, RFC 4861); the checksum covers an IPv6 pseudo-header.
/// <code>
/// echo:  | type 128/129 | code | checksum | identifier | sequence | data
/// NS/NA: | type 135/136 | code | checksum | R S O reserved (32) | target (16) | option: type 1/2, len 1, MAC (6)
/// </code>
/// </summary>
public static class Icmpv6Packet
{
    public const byte EchoRequestType = 128;
    public const byte EchoReplyType = 129;
    public const byte NeighborSolicitType = 135;
    public const byte NeighborAdvertType = 136;
    public const byte OptionSourceLinkAddress = 1;
    public const byte OptionTargetLinkAddress = 2;

    public static int EchoRequest(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, ushort id, ushort seq, ReadOnlySpan<byte> data = default) =>
        Write(dst, eth, ip, EchoRequestType, 0, ((uint)id << 16) | seq, data);

    public static int EchoReply(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, ushort id, ushort seq, ReadOnlySpan<byte> data = default) =>
        Write(dst, eth, ip, EchoReplyType, 0, ((uint)id << 16) | seq, data);

    /// <summary>
    /// Who has <paramref name="target"/>? Sent to its solicited-node group with hop limit 255 and a
    /// source link-layer address option (omitted for duplicate address detection, source ::).
    /// </summary>
    public static int NeighborSolicitation(Span<byte> dst, MacAddress srcMac, Ipv6Address srcIp, Ipv6Address target, VlanTag? vlan = null)
    {
        var group = target.SolicitedNode;
        var eth = new EthernetHeader(MacAddress.ForIpv6Multicast(group), srcMac, vlan);
        var ip = new Ipv6Header(srcIp, group, HopLimit: 255);
        byte opt = srcIp == Ipv6Address.Any ? (byte)0 : OptionSourceLinkAddress;
        return WriteNd(dst, eth, ip, NeighborSolicitType, 0, target, opt, srcMac);
    }

    /// <summary><paramref name="srcIp"/> is at <paramref name="srcMac"/>: an advertisement with a target link-layer address option.</summary>
    public static int NeighborAdvertisement(Span<byte> dst, MacAddress srcMac, Ipv6Address srcIp, MacAddress dstMac, Ipv6Address dstIp,
        NdAdvertFlags flags = NdAdvertFlags.Solicited | NdAdvertFlags.Override, VlanTag? vlan = null)
    {
        var eth = new EthernetHeader(dstMac, srcMac, vlan);
        var ip = new Ipv6Header(srcIp, dstIp, HopLimit: 255);
        return WriteNd(dst, eth, ip, NeighborAdvertType, (uint)flags, srcIp, OptionTargetLinkAddress, srcMac);
    }

    /// <summary>Any ICMPv6 message: type, code, checksum, the 32-bit <paramref name="word"/>, then <paramref name="data"/>.</summary>
    public static int Write(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, byte type, byte code, uint word, ReadOnlySpan<byte> data)
    {
        int n = IpFrame.WriteV6(dst, eth, ip, IpProtocol.Icmpv6, 8 + data.Length, out var m);
        WriteHeader(m, type, code, word);
        data.CopyTo(m[8..]);
        SetChecksum(m, ip);
        return n;
    }

    /// <summary>
    /// A neighbor discovery message with a target address (solicitation 135, advertisement 136):
    /// the <paramref name="word"/> (advertisement flags), the target, and — when
    /// <paramref name="optionType"/> is not 0 — one link-layer address option (1 source, 2 target).
    /// </summary>
    public static int WriteNd(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, byte type, uint word, Ipv6Address target, byte optionType, MacAddress optionMac)
    {
        int n = IpFrame.WriteV6(dst, eth, ip, IpProtocol.Icmpv6, optionType != 0 ? 32 : 24, out var m);
        WriteHeader(m, type, 0, word);
        target.Write(m[8..]);
        if (optionType != 0)
        {
            m[24] = optionType;
            m[25] = 1;
            optionMac.Write(m[26..]);
        }
        SetChecksum(m, ip);
        return n;
    }

    private static void WriteHeader(Span<byte> m, byte type, byte code, uint word)
    {
        m[0] = type;
        m[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(m[4..], word);
    }

    private static void SetChecksum(Span<byte> m, in Ipv6Header ip) =>
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], Checksum.TransportV6(ip.Source, ip.Destination, IpProtocol.Icmpv6, m));
}
