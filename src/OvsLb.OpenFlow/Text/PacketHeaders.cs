using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;
using OvsLb.OpenFlow.Packets;
using ArpPacket = PacketDotNet.ArpPacket;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// The header values of ofp-print's packet line, read by PacketDotNet. Which headers count, and where they start,
/// stays OVS's flow extraction (<see cref="PacketParser"/>: VLAN and MPLS stacks, fragments, truncation, the
/// sanity checks of flow_extract); PacketDotNet then reads each header that extraction accepted, at its offset.
/// VLAN tags, MPLS labels, IPv6 flow labels, fragments, IGMP and neighbour discovery fields stay the extraction's.
/// </summary>
internal static class PacketHeaders
{
    /// <summary>
    /// <paramref name="p"/> with the Ethernet, IPv4/IPv6, ARP and TCP/UDP fields as PacketDotNet reads them; the transport checksum
    /// (TCP, UDP, ICMP, ICMPv6) in <paramref name="checksum"/>. PacketDotNet has no SCTP packet: that checksum stays the caller's.
    /// </summary>
    public static ParsedPacket Read(ReadOnlySpan<byte> frame, ParsedPacket p, out uint? checksum)
    {
        checksum = null;
        if (!p.Layers.HasFlag(PacketLayers.Ethernet)) return p;
        byte[] bytes = frame.ToArray();
        var eth = new EthernetPacket(new ByteArraySegment(bytes, 0, bytes.Length));
        p = p with { EthDst = Mac(eth.DestinationHardwareAddress), EthSrc = Mac(eth.SourceHardwareAddress) };
        if (!p.Layers.HasFlag(PacketLayers.Network)) return p;
        var l3 = new ByteArraySegment(bytes, p.L3Offset, bytes.Length - p.L3Offset);
        if (p.IsIPv4)
        {
            var ip = new IPv4Packet(l3);
            p = p with { NwSrc = V4(ip.SourceAddress), NwDst = V4(ip.DestinationAddress), NwTtl = (byte)ip.TimeToLive, NwTos = (byte)ip.TypeOfService };
        }
        else if (p.IsIPv6)
        {
            var ip = new IPv6Packet(l3);
            p = p with { Ipv6Src = V6(ip.SourceAddress), Ipv6Dst = V6(ip.DestinationAddress), NwTtl = (byte)ip.HopLimit };
        }
        else if (p.IsArp)
        {
            var arp = new ArpPacket(l3);
            p = p with
            {
                NwSrc = V4(arp.SenderProtocolAddress), NwDst = V4(arp.TargetProtocolAddress),
                ArpSha = Mac(arp.SenderHardwareAddress), ArpTha = Mac(arp.TargetHardwareAddress),
            };
        }
        if (p.L4Offset < 0 || p.L4Offset + p.L4Length > bytes.Length) return p;
        var l4 = new ByteArraySegment(bytes, p.L4Offset, p.L4Length);
        switch (p.NwProto)
        {
            case IpProtocol.Tcp when p.L4Length >= 20:
                var tcp = new TcpPacket(l4);
                checksum = tcp.Checksum;
                if (p.Layers.HasFlag(PacketLayers.Transport)) p = p with { TpSrc = tcp.SourcePort, TpDst = tcp.DestinationPort };
                break;
            case IpProtocol.Udp when p.L4Length >= 8:
                var udp = new UdpPacket(l4);
                checksum = udp.Checksum;
                if (p.Layers.HasFlag(PacketLayers.Transport)) p = p with { TpSrc = udp.SourcePort, TpDst = udp.DestinationPort };
                break;
            case IpProtocol.Icmp when p.L4Length >= 8:
                checksum = new IcmpV4Packet(l4).Checksum;
                break;
            case IpProtocol.Icmpv6 when p.L4Length >= 4:
                checksum = new IcmpV6Packet(l4).Checksum;
                break;
        }
        return p;
    }

    private static MacAddress Mac(PhysicalAddress a) => MacAddress.Read(a.GetAddressBytes());

    private static Ipv4Address V4(IPAddress a) => Ipv4Address.Read(a.GetAddressBytes());

    private static Ipv6Address V6(IPAddress a) => Ipv6Address.Read(a.GetAddressBytes());
}
