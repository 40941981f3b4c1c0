using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>The addresses (and optional 802.1Q tag) of an Ethernet frame to build; the EtherType comes from what is built.</summary>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, VlanTag? Vlan = null)
{
    /// <summary>14, or 18 with a VLAN tag.</summary>
    public int Length => Vlan is null ? 14 : 18;
}

/// <summary>
/// Writes Ethernet II headers (IEEE 802.3 §3.1.1, 802.1Q §9.3):
/// <code>
/// +----------+----------+[------------+-----------]+-----------+---------
/// | dst (6)  | src (6)  |[TPID 0x8100 | PCP/DEI/VID]| EtherType | payload
/// +----------+----------+[------------+-----------]+-----------+---------
/// </code>
/// </summary>
public static class EthernetFrame
{
    /// <summary>Writes the header and returns its length.</summary>
    public static int WriteHeader(Span<byte> dst, in EthernetHeader eth, ushort etherType)
    {
        Builder.Need(dst, eth.Length);
        eth.Destination.Write(dst);
        eth.Source.Write(dst[6..]);
        int pos = 12;
        if (eth.Vlan is { } tag)
        {
            BinaryPrimitives.WriteUInt16BigEndian(dst[pos..], tag.Tpid);
            BinaryPrimitives.WriteUInt16BigEndian(dst[(pos + 2)..], tag.Tci);
            pos += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(dst[pos..], etherType);
        return pos + 2;
    }
}

/// <summary>Shared checks for the packet builders.</summary>
internal static class Builder
{
    public static void Need(Span<byte> dst, int length)
    {
        if (dst.Length < length) throw new ArgumentException($"buffer of {dst.Length} bytes is too small for a {length}-byte packet", nameof(dst));
    }
}
