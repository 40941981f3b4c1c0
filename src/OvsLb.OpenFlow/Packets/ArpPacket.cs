using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Packets;

/// <summary>
/// Builds Ethernet/IPv4 ARP packets (RFC 826); the load balancer sends requests for its gateways
/// through PACKET_OUT and announces its addresses with gratuitous ARP (RFC 5227 §3).
/// <code>
/// +---------+---------+-----+-----+--------+---------+---------+---------+---------+
/// | hrd = 1 | pro =   | hln | pln | op     | sha (6) | spa (4) | tha (6) | tpa (4) |
/// | (2)     | 0x0800  | = 6 | = 4 | 1 or 2 |         |         |         |         |
/// +---------+---------+-----+-----+--------+---------+---------+---------+---------+
/// </code>
/// Frames are not padded to the 60-byte Ethernet minimum (42 bytes, 46 with a VLAN tag); the
/// switch pads when it transmits.
/// </summary>
public static class ArpPacket
{
    public const ushort OpRequest = 1;
    public const ushort OpReply = 2;
    public const int BodyLength = 28;

    /// <summary>Who has <paramref name="targetIp"/>? Tell <paramref name="srcIp"/>: broadcast, target hardware address zero.</summary>
    public static int Request(Span<byte> dst, MacAddress srcMac, Ipv4Address srcIp, Ipv4Address targetIp, VlanTag? vlan = null) =>
        Write(dst, new EthernetHeader(MacAddress.Broadcast, srcMac, vlan), OpRequest, srcMac, srcIp, MacAddress.Zero, targetIp);

    /// <summary><paramref name="srcIp"/> is at <paramref name="srcMac"/>, sent to the asker.</summary>
    public static int Reply(Span<byte> dst, MacAddress srcMac, Ipv4Address srcIp, MacAddress targetMac, Ipv4Address targetIp, VlanTag? vlan = null) =>
        Write(dst, new EthernetHeader(targetMac, srcMac, vlan), OpReply, srcMac, srcIp, targetMac, targetIp);

    /// <summary>An ARP announcement: a broadcast request whose sender and target protocol addresses are both <paramref name="ip"/>.</summary>
    public static int Gratuitous(Span<byte> dst, MacAddress mac, Ipv4Address ip, VlanTag? vlan = null) =>
        Write(dst, new EthernetHeader(MacAddress.Broadcast, mac, vlan), OpRequest, mac, ip, MacAddress.Zero, ip);

    /// <summary>Any Ethernet/IPv4 ARP packet; returns the frame length.</summary>
    public static int Write(Span<byte> dst, in EthernetHeader eth, ushort op, MacAddress sha, Ipv4Address spa, MacAddress tha, Ipv4Address tpa)
    {
        Builder.Need(dst, eth.Length + BodyLength);
        int pos = EthernetFrame.WriteHeader(dst, eth, EtherType.Arp);
        var a = dst.Slice(pos, BodyLength);
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a[2..], EtherType.IPv4);
        a[4] = 6;
        a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a[6..], op);
        sha.Write(a[8..]);
        spa.Write(a[14..]);
        tha.Write(a[18..]);
        tpa.Write(a[24..]);
        return pos + BodyLength;
    }
}
