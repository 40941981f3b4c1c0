using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>IPv4 header fields for a packet to build (RFC 791); length, protocol and checksum are filled in.</summary>
public readonly record struct Ipv4Header(Ipv4Address Source, Ipv4Address Destination, byte Ttl = 64, byte Tos = 0, ushort Identification = 0, bool DontFragment = true);

/// <summary>IPv6 header fields for a packet to build (RFC 8200); payload length and next header are filled in.</summary>
public readonly record struct Ipv6Header(Ipv6Address Source, Ipv6Address Destination, byte HopLimit = 64, byte TrafficClass = 0, uint FlowLabel = 0);

/// <summary>
/// Writes Ethernet + IP headers in front of a transport message.
/// <code>
/// IPv4 (20 bytes, no options):                 IPv6 (40 bytes):
///  0x45 | tos | total length                    6 | traffic class | flow label (20)
///  identification | flags(3) fragment off(13)   payload length | next header | hop limit
///  ttl | protocol | header checksum             source (16)
///  source (4)                                   destination (16)
///  destination (4)
/// </code>
/// </summary>
public static class IpFrame
{
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;

    /// <summary>Writes Ethernet and IPv4 headers for an <paramref name="l4Length"/>-byte payload; returns the frame length and the payload's slice.</summary>
    public static int WriteV4(Span<byte> dst, in EthernetHeader eth, in Ipv4Header ip, byte protocol, int l4Length, out Span<byte> l4)
    {
        if (l4Length < 0 || l4Length > ushort.MaxValue - Ipv4HeaderLength) throw new ArgumentOutOfRangeException(nameof(l4Length), l4Length, "IPv4 payload does not fit a 16-bit total length");
        int total = eth.Length + Ipv4HeaderLength + l4Length;
        Builder.Need(dst, total);
        int pos = EthernetFrame.WriteHeader(dst, eth, EtherType.IPv4);
        var h = dst.Slice(pos, Ipv4HeaderLength);
        h[0] = 0x45;
        h[1] = ip.Tos;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(Ipv4HeaderLength + l4Length));
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], ip.Identification);
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], ip.DontFragment ? (ushort)0x4000 : (ushort)0);
        h[8] = ip.Ttl;
        h[9] = protocol;
        h[10] = h[11] = 0;
        ip.Source.Write(h[12..]);
        ip.Destination.Write(h[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
        l4 = dst.Slice(pos + Ipv4HeaderLength, l4Length);
        return total;
    }

    /// <summary>Writes Ethernet and IPv6 headers for an <paramref name="l4Length"/>-byte payload; returns the frame length and the payload's slice.</summary>
    public static int WriteV6(Span<byte> dst, in EthernetHeader eth, in Ipv6Header ip, byte nextHeader, int l4Length, out Span<byte> l4)
    {
        if (l4Length < 0 || l4Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(l4Length), l4Length, "IPv6 payload does not fit a 16-bit payload length");
        int total = eth.Length + Ipv6HeaderLength + l4Length;
        Builder.Need(dst, total);
        int pos = EthernetFrame.WriteHeader(dst, eth, EtherType.IPv6);
        var h = dst.Slice(pos, Ipv6HeaderLength);
        BinaryPrimitives.WriteUInt32BigEndian(h, 0x6000_0000u | ((uint)ip.TrafficClass << 20) | (ip.FlowLabel & 0xfffff));
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], (ushort)l4Length);
        h[6] = nextHeader;
        h[7] = ip.HopLimit;
        ip.Source.Write(h[8..]);
        ip.Destination.Write(h[24..]);
        l4 = dst.Slice(pos + Ipv6HeaderLength, l4Length);
        return total;
    }
}
