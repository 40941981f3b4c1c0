using System.Buffers.Binary;
using PacketDotNet;
using PacketDotNet.Ndp;
using PacketDotNet.Utils;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Balancer;

/// <summary>An IPv6 neighbour advertisement as read by <see cref="NdpPackets.TryReadNeighborAdvertisement"/>.</summary>
/// <param name="Target">The address advertised (RFC 4861 §4.4 Target Address).</param>
/// <param name="Mac">The target link-layer address option's MAC, or the frame's Ethernet source when the option is absent.</param>
/// <param name="Router">The R flag: the sender is a router.</param>
/// <param name="Solicited">The S flag: an answer to a solicitation.</param>
/// <param name="Override">The O flag: the answer should override a cached address.</param>
public readonly record struct NeighborAdvertisement(Ipv6Address Target, MacAddress Mac, bool Router, bool Solicited, bool Override);

/// <summary>
/// The IPv6 counterpart of the ARP probes (<see cref="ProbePackets"/>): neighbour solicitations the controller sends by
/// PACKET_OUT (RFC 4861 §4.3, §7.2.2) for NS health checks and next-hop probes over IPv6, and the reading of the
/// advertisements that answer them. PacketDotNet 1.4.8 reads NDP but cannot build it (its NDP classes take only a
/// byte segment), so the solicitation is laid out here and its checksum computed here; the tests hold it against
/// PacketDotNet's checksum check and a real Linux neighbour's answer.
/// </summary>
public static class NdpPackets
{
    /// <summary>Ethernet (14) + IPv6 (40) + ICMPv6 NS (24) + source link-layer address option (8).</summary>
    public const int SolicitationLength = 86;

    /// <summary>ICMPv6 types (RFC 4861 §4.3, §4.4).</summary>
    public const byte SolicitationType = 135, AdvertisementType = 136;

    /// <summary>Most 802.1Q/802.1ad tags read before the IPv6 header, as OVS parses (FLOW_MAX_VLAN_HEADERS).</summary>
    private const int MaxVlanHeaders = 2;

    /// <summary>
    /// fe80::/64 with the modified EUI-64 interface identifier of <paramref name="mac"/> (RFC 4291 §2.5.1, appendix A):
    /// the source of our solicitations. An NS must come from an address of the sender for the answer to be unicast
    /// (from the unspecified address it is a DAD probe, answered to all nodes, §7.2.4). A link-local address of the LB
    /// MAC is one no host uses, and the neighbour entry the target makes for it points at the LB MAC, which is right.
    /// </summary>
    public static Ipv6Address LinkLocal(MacAddress mac)
    {
        ulong m = mac.Value;
        ulong iid = ((m >> 24) << 40 | 0xfffeUL << 24 | (m & 0xff_ffff)) ^ 0x0200_0000_0000_0000UL;
        return new Ipv6Address(new UInt128(0xfe80_0000_0000_0000UL, iid));
    }

    /// <summary>
    /// "Who has <paramref name="target"/>?" from <paramref name="lbMac"/> (source <see cref="LinkLocal"/> of it, with its
    /// source link-layer address option) to the target's solicited-node multicast group, hop limit 255; the neighbour
    /// answers with a unicast NA to the LB MAC. Sent out of <paramref name="outPort"/>, or flooded when there is none.
    /// </summary>
    public static PacketOut NeighborSolicitation(MacAddress lbMac, Ipv6Address target, uint? outPort) => new()
    {
        InPort = OfctlFormat.Ports.Controller,
        Actions = [new OutputAction(outPort ?? OfctlFormat.Ports.Flood)],
        Data = new Bytes(NeighborSolicitationFrame(lbMac, target)),
    };

    /// <summary>The frame of <see cref="NeighborSolicitation"/> (<see cref="SolicitationLength"/> bytes).</summary>
    public static byte[] NeighborSolicitationFrame(MacAddress lbMac, Ipv6Address target)
    {
        var f = new byte[SolicitationLength];
        var group = target.SolicitedNode;
        MacAddress.ForIpv6Multicast(group).Write(f);
        lbMac.Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x86dd);
        var ip = f.AsSpan(14, 40);
        ip[0] = 0x60;                                               // version 6, traffic class 0, flow label 0
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 32);         // payload: NS 24 + option 8
        ip[6] = 58;                                                 // next header ICMPv6
        ip[7] = 255;                                                // hop limit: §7.1 drops NDP with any other
        LinkLocal(lbMac).Write(ip[8..]);
        group.Write(ip[24..]);
        var icmp = f.AsSpan(54);
        icmp[0] = SolicitationType;                                 // code 0, checksum below, reserved 0
        target.Write(icmp[8..]);
        icmp[24] = 1;                                               // option: source link-layer address,
        icmp[25] = 1;                                               // length 1 (8 bytes)
        lbMac.Write(icmp[26..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(ip[8..24], ip[24..40], icmp));
        return f;
    }

    /// <summary>
    /// The ICMPv6 checksum (RFC 4443 §2.3) over the pseudo-header of RFC 8200 §8.1 (source, destination, upper-layer
    /// length, next header 58) and <paramref name="message"/>, whose checksum field must be zero.
    /// </summary>
    public static ushort Checksum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> message)
    {
        ulong sum = Sum(source) + Sum(destination) + (ulong)message.Length + 58 + Sum(message);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    private static ulong Sum(ReadOnlySpan<byte> b)
    {
        ulong s = 0;
        int i = 0;
        for (; i + 1 < b.Length; i += 2) s += BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
        if (i < b.Length) s += (ulong)b[i] << 8;
        return s;
    }

    /// <summary>
    /// Reads an Ethernet/IPv6 neighbour advertisement (after up to two VLAN tags) from a packet-in's data. False for
    /// anything else, and for an NA that RFC 4861 §7.1.2 says to drop: hop limit other than 255, code other than 0, a
    /// wrong checksum, a body cut short, or a multicast target.
    /// </summary>
    public static bool TryReadNeighborAdvertisement(ReadOnlySpan<byte> frame, out NeighborAdvertisement advertisement)
    {
        advertisement = default;
        try
        {
            var eth = new EthernetPacket(new ByteArraySegment(frame.ToArray()));
            Packet? p = eth.PayloadPacket;
            for (int tags = 0; p is Ieee8021QPacket tag && tags < MaxVlanHeaders; tags++) p = tag.PayloadPacket;
            if (p is not IPv6Packet ip || ip.HopLimit != 255 || ip.PayloadPacket is not IcmpV6Packet icmp) return false;
            if (icmp.Type != IcmpV6Type.NeighborAdvertisement || icmp.Code != 0) return false;
            // PacketDotNet reads a cut-short body from past the frame's end; the NA body is 20 bytes after the type/code/checksum.
            if (icmp.HeaderSegment.Offset + 24 > frame.Length || icmp.HeaderSegment.Offset + 24 > ip.HeaderSegment.Offset + 40 + ip.PayloadLength) return false;
            if (!icmp.ValidIcmpChecksum) return false;
            var na = icmp.Extract<NdpNeighborAdvertisementPacket>();
            if (na is null) return false;
            var target = Ipv6Address.Read(na.TargetAddress.GetAddressBytes());
            if ((target.Value >> 120) == 0xff) return false;
            var mac = MacAddress.Read(eth.SourceHardwareAddress.GetAddressBytes());
            foreach (var o in na.OptionsCollection)
            {
                if (o is NdpLinkLayerAddressOption { Type: OptionTypes.TargetLinkLayerAddress } ll && ll.LinkLayerAddress.GetAddressBytes().Length == 6)
                {
                    mac = MacAddress.Read(ll.LinkLayerAddress.GetAddressBytes());
                    break;
                }
            }
            advertisement = new NeighborAdvertisement(target, mac, na.Router, na.Solicited, na.Override);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException or NullReferenceException)
        {
            return false;
        }
    }
}
