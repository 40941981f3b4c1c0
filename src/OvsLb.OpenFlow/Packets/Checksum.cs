using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit
/// big-endian words, with the pseudo-headers TCP/UDP/ICMPv6 add (RFC 793, RFC 768, RFC 8200 §8.1).
/// </summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> to a running 32-bit sum (odd trailing byte padded with zero).</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        ulong s = sum;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4) s += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        for (; i + 2 <= data.Length; i += 2) s += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) s += (uint)data[i] << 8;
        return Fold(s);
    }

    /// <summary>Folds a wide sum into 16 bits with end-around carry (kept in a uint).</summary>
    public static uint Fold(ulong s)
    {
        while (s >> 16 != 0) s = (s & 0xffff) + (s >> 16);
        return (uint)s;
    }

    /// <summary>The checksum field value for a running sum: its one's complement.</summary>
    public static ushort Finish(uint sum) => (ushort)~Fold(sum);

    /// <summary>Checksum of a block (IPv4 header, ICMPv4 message).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>Sum of the IPv4 pseudo-header: source, destination, zero, protocol, length.</summary>
    public static uint PseudoHeaderV4(Ipv4Address src, Ipv4Address dst, byte protocol, int length) =>
        Fold((ulong)(src.Value >> 16) + (src.Value & 0xffff) + (dst.Value >> 16) + (dst.Value & 0xffff) + protocol + (uint)length);

    /// <summary>Sum of the IPv6 pseudo-header: source, destination, 32-bit length, next header.</summary>
    public static uint PseudoHeaderV6(Ipv6Address src, Ipv6Address dst, byte nextHeader, int length)
    {
        ulong s = (ulong)(uint)length + nextHeader;
        for (int shift = 0; shift < 128; shift += 16) s += (ushort)(src.Value >> shift) + (ulong)(ushort)(dst.Value >> shift);
        return Fold(s);
    }

    /// <summary>TCP/UDP/ICMPv6 checksum over an IPv4 pseudo-header and the whole transport segment.</summary>
    public static ushort TransportV4(Ipv4Address src, Ipv4Address dst, byte protocol, ReadOnlySpan<byte> segment) =>
        Finish(Add(PseudoHeaderV4(src, dst, protocol, segment.Length), segment));

    /// <summary>TCP/UDP/ICMPv6 checksum over an IPv6 pseudo-header and the whole transport segment.</summary>
    public static ushort TransportV6(Ipv6Address src, Ipv6Address dst, byte nextHeader, ReadOnlySpan<byte> segment) =>
        Finish(Add(PseudoHeaderV6(src, dst, nextHeader, segment.Length), segment));

    /// <summary>True when a block that contains its own checksum field sums to all ones.</summary>
    public static bool IsValid(ReadOnlySpan<byte> dataWithChecksum) => Fold(Add(0, dataWithChecksum)) == 0xffff;
}
