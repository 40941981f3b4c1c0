using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// The line ofp-print shows for the Ethernet frame inside a PACKET_IN or PACKET_OUT
/// (ofp_packet_to_string in lib/ofp-print.c): the frame's flow as flow_format prints it, then the
/// transport checksum (" tcp_csum:1a2b"). flow_format is match_format of an exact match on the
/// fields flow_wildcards_init_for_packet (lib/flow.c) selects for the packet, without the all-zero
/// metadata; the fields go to <see cref="MatchFormatter"/> so the ordering and spelling live there.
/// Which fields exist is OVS's flow extraction (<see cref="PacketParser"/>); the header values PacketDotNet
/// knows (Ethernet, IPv4/IPv6, ARP, TCP/UDP/ICMP/ICMPv6) are its reading, <see cref="PacketHeaders"/>.
/// </summary>
/// <remarks>NSH frames (EtherType 0x894f) are not decoded: their nsh_* fields are not printed.</remarks>
public static class PacketFlowText
{
    private const ulong MacMask = 0xffff_ffff_ffff;

    /// <summary>The packet line, ending with a newline.</summary>
    public static string Format(ReadOnlySpan<byte> frame)
    {
        var s = new StringBuilder();
        Format(s, frame);
        return s.ToString();
    }

    public static void Format(StringBuilder s, ReadOnlySpan<byte> frame)
    {
        var p = PacketHeaders.Read(frame, PacketParser.Parse(frame), out uint? checksum);
        var fields = new List<(string, UInt128, UInt128)>(24);
        void Add(string key, UInt128 v, UInt128 m) => fields.Add((key, v, m));

        // flow_wildcards_init_for_packet with packet_type Ethernet; in_port, metadata, registers,
        // conntrack and tunnel fields are zero for a bare frame, and flow_format leaves zeros out.
        Add("dl_dst", p.EthDst.Value, MacMask);
        Add("dl_src", p.EthSrc.Value, MacMask);
        Add("dl_type", p.EthType, 0xffff);
        // The first VLAN slot always shows (vlan_tci=0x0000 when untagged); OVS marks a present tag with the CFI bit.
        Add("vlan_tci", p.VlanCount >= 1 ? (ushort)(p.Vlan0.Tci | 0x1000) : 0u, 0xffff);
        if (p.VlanCount >= 1) Add("vlan_tci1", p.VlanCount >= 2 ? (ushort)(p.Vlan1.Tci | 0x1000) : 0u, 0xffff);

        switch (p.EthType)
        {
            case EtherType.IPv4:
                Add("nw_src", p.NwSrc.Value, uint.MaxValue);
                Add("nw_dst", p.NwDst.Value, uint.MaxValue);
                break;
            case EtherType.IPv6:
                Add("ipv6_src", p.Ipv6Src.Value, UInt128.MaxValue);
                Add("ipv6_dst", p.Ipv6Dst.Value, UInt128.MaxValue);
                Add("ipv6_label", p.Ipv6Label, uint.MaxValue);
                if (p.NwProto == IpProtocol.Icmpv6 && p.TpDst == 0 && p.TpSrc is Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement)
                {
                    Add("arp_sha", p.ArpSha.Value, MacMask);
                    Add("arp_tha", p.ArpTha.Value, MacMask);
                    Add("nd_target", p.NdTarget.Value, UInt128.MaxValue);
                }
                break;
            case EtherType.Arp or EtherType.Rarp:
                Add("nw_src", p.NwSrc.Value, uint.MaxValue);
                Add("nw_dst", p.NwDst.Value, uint.MaxValue);
                Add("nw_proto", p.NwProto, 0xff);
                Add("arp_sha", p.ArpSha.Value, MacMask);
                Add("arp_tha", p.ArpTha.Value, MacMask);
                break;
            case EtherType.Mpls or EtherType.MplsMulticast:
                // Label stack entries up to and including the first with bottom-of-stack set.
                uint[] lse = [p.MplsLse0, p.MplsLse1, p.MplsLse2];
                for (int i = 0; i < lse.Length; i++)
                {
                    Add("mpls_lse" + i.ToString(CultureInfo.InvariantCulture), lse[i], uint.MaxValue);
                    if ((lse[i] & 0x100) != 0) break;
                }
                break;
        }

        if (p.EthType is EtherType.IPv4 or EtherType.IPv6)
        {
            Add("nw_frag", (byte)p.NwFrag, 3);
            Add("nw_tos", p.NwTos, 0xff);
            Add("nw_ttl", p.NwTtl, 0xff);
            Add("nw_proto", p.NwProto, 0xff);
            if ((p.NwFrag & IpFragment.Later) == 0
                && p.NwProto is IpProtocol.Icmp or IpProtocol.Icmpv6 or IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Sctp or IpProtocol.Igmp)
            {
                Add("tp_src", p.TpSrc, 0xffff);
                Add("tp_dst", p.TpDst, 0xffff);
                if (p.NwProto == IpProtocol.Tcp) Add("tcp_flags", p.TcpFlags, 0xffff);
                else if (p.NwProto == IpProtocol.Igmp) Add("igmp_group_ip4", p.IgmpGroup, uint.MaxValue);
            }
        }

        MatchFormatter.FormatFlowFields(s, CollectionsMarshal.AsSpan(fields), MatchFormatter.DefaultPriority);
        AppendChecksum(s, p, frame, checksum);
        s.Append('\n');
    }

    /// <summary>
    /// The checksum ofp_packet_to_string appends, chosen by nw_proto when the transport header fits: PacketDotNet's
    /// reading (<paramref name="read"/>) for TCP, UDP, ICMP and ICMPv6; SCTP's from the bytes, as PacketDotNet (1.4.8) has no
    /// SCTP packet to read it.
    /// </summary>
    private static void AppendChecksum(StringBuilder s, in ParsedPacket p, ReadOnlySpan<byte> frame, uint? read)
    {
        var l4 = p.L4(frame);
        switch (p.NwProto)
        {
            case IpProtocol.Tcp when l4.Length >= 20:
                s.Append(" tcp_csum:").Append((read ?? 0).ToString("x", CultureInfo.InvariantCulture));
                break;
            case IpProtocol.Udp when l4.Length >= 8:
                s.Append(" udp_csum:").Append((read ?? 0).ToString("x", CultureInfo.InvariantCulture));
                break;
            case IpProtocol.Sctp when l4.Length >= 12:
                s.Append(" sctp_csum:").Append(BinaryPrimitives.ReadUInt32BigEndian(l4[8..]).ToString("x", CultureInfo.InvariantCulture));
                break;
            case IpProtocol.Icmp when l4.Length >= 8:
                s.Append(" icmp_csum:").Append((read ?? 0).ToString("x", CultureInfo.InvariantCulture));
                break;
            case IpProtocol.Icmpv6 when l4.Length >= 4:
                s.Append(" icmp6_csum:").Append((read ?? 0).ToString("x", CultureInfo.InvariantCulture));
                break;
        }
    }
}
