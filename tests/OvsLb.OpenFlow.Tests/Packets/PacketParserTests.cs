using System.Globalization;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// The parser on frames the Linux kernel produced (Packets/data/linux.pcap, from
/// tests/golden/linux_frames.sh), checked field by field against tshark; and on truncated,
/// mutated and hand-made malformed frames, where it must stop like OVS's flow_extract and never throw.
/// </summary>
[TestFixture]
public class PacketParserTests
{
    private static string LinuxPcap => Path.Combine(AppContext.BaseDirectory, "Packets", "data", "linux.pcap");

    private static readonly string[] Fields =
    [
        "eth.src", "eth.dst", "eth.type", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4",
        "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.dsfield", "ipv6.src", "ipv6.dst", "ipv6.hlim", "ipv6.flow",
        "tcp.srcport", "tcp.dstport", "tcp.flags", "udp.srcport", "udp.dstport", "icmp.type", "icmp.code",
        "icmpv6.type", "icmpv6.code", "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address", "icmpv6.opt.type", "icmpv6.opt.linkaddr",
    ];

    private static string Dec(int v) => v.ToString(CultureInfo.InvariantCulture);

    [Test]
    public void Kernel_frames_parse_to_what_tshark_sees()
    {
        ExternalDecoders.Require("tshark");
        var frames = PcapFile.Read(LinuxPcap);
        var rows = ExternalDecoders.Tshark(LinuxPcap, Fields);
        Assert.That(frames, Has.Count.GreaterThan(20));
        Assert.That(rows, Has.Count.EqualTo(frames.Count));
        int arp = 0, tcp = 0, udp = 0, icmp = 0, nd = 0;
        Assert.Multiple(() =>
        {
            for (int i = 0; i < frames.Count; i++)
            {
                var t = rows[i];
                var p = ParsedPacket.Parse(frames[i]);
                string at = $"frame {i + 1}";
                Assert.That(p.EthSrc.ToString(), Is.EqualTo(t["eth.src"]), at);
                Assert.That(p.EthDst.ToString(), Is.EqualTo(t["eth.dst"]), at);
                Assert.That("0x" + p.EthType.ToString("x4", CultureInfo.InvariantCulture), Is.EqualTo(t["eth.type"]), at);
                if (p.IsArp)
                {
                    arp++;
                    Assert.That(Dec(p.ArpOp), Is.EqualTo(t["arp.opcode"]), at);
                    Assert.That(p.ArpSha.ToString(), Is.EqualTo(t["arp.src.hw_mac"]), at);
                    Assert.That(p.NwSrc.ToString(), Is.EqualTo(t["arp.src.proto_ipv4"]), at);
                    Assert.That(p.ArpTha.ToString(), Is.EqualTo(t["arp.dst.hw_mac"]), at);
                    Assert.That(p.NwDst.ToString(), Is.EqualTo(t["arp.dst.proto_ipv4"]), at);
                    continue;
                }
                if (p.IsIPv4)
                {
                    Assert.That(p.NwSrc.ToString(), Is.EqualTo(t["ip.src"]), at);
                    Assert.That(p.NwDst.ToString(), Is.EqualTo(t["ip.dst"]), at);
                    Assert.That(Dec(p.NwProto), Is.EqualTo(t["ip.proto"]), at);
                    Assert.That(Dec(p.NwTtl), Is.EqualTo(t["ip.ttl"]), at);
                    Assert.That("0x" + p.NwTos.ToString("x2", CultureInfo.InvariantCulture), Is.EqualTo(t["ip.dsfield"]), at);
                }
                if (p.IsIPv6)
                {
                    Assert.That(p.Ipv6Src.ToString(), Is.EqualTo(t["ipv6.src"]), at);
                    Assert.That(p.Ipv6Dst.ToString(), Is.EqualTo(t["ipv6.dst"]), at);
                    Assert.That(Dec(p.NwTtl), Is.EqualTo(t["ipv6.hlim"]), at);
                    Assert.That("0x" + p.Ipv6Label.ToString("x6", CultureInfo.InvariantCulture), Is.EqualTo(t["ipv6.flow"]), at);
                }
                Assert.That(p.Layers, Is.EqualTo(PacketLayers.Ethernet | PacketLayers.Network | PacketLayers.Transport | (p.Layers & PacketLayers.NdTarget)), at);
                switch (p.NwProto)
                {
                    case IpProtocol.Tcp:
                        tcp++;
                        Assert.That(Dec(p.TpSrc), Is.EqualTo(t["tcp.srcport"]), at);
                        Assert.That(Dec(p.TpDst), Is.EqualTo(t["tcp.dstport"]), at);
                        Assert.That("0x" + p.TcpFlags.ToString("x4", CultureInfo.InvariantCulture), Is.EqualTo(t["tcp.flags"]), at);
                        break;
                    case IpProtocol.Udp:
                        udp++;
                        Assert.That(Dec(p.TpSrc), Is.EqualTo(t["udp.srcport"]), at);
                        Assert.That(Dec(p.TpDst), Is.EqualTo(t["udp.dstport"]), at);
                        break;
                    case IpProtocol.Icmp:
                        icmp++;
                        Assert.That(Dec(p.IcmpType), Is.EqualTo(t["icmp.type"]), at);
                        Assert.That(Dec(p.IcmpCode), Is.EqualTo(t["icmp.code"]), at);
                        break;
                    case IpProtocol.Icmpv6:
                        icmp++;
                        Assert.That(Dec(p.IcmpType), Is.EqualTo(t["icmpv6.type"]), at);
                        Assert.That(Dec(p.IcmpCode), Is.EqualTo(t["icmpv6.code"]), at);
                        if (p.IcmpType is 135 or 136)
                        {
                            nd++;
                            Assert.That(p.NdTarget.ToString(), Is.EqualTo(p.IcmpType == 135 ? t["icmpv6.nd.ns.target_address"] : t["icmpv6.nd.na.target_address"]), at);
                            // Only link-layer address options count (Linux's DAD probes carry a nonce option, type 14).
                            string opt = t["icmpv6.opt.type"] is "1" or "2" ? t["icmpv6.opt.type"] : "";
                            Assert.That(p.NdOptionsType == 0 ? "" : Dec(p.NdOptionsType), Is.EqualTo(opt), at);
                            var lla = p.NdOptionsType == 1 ? p.NdSll : p.NdTll;
                            if (opt.Length > 0) Assert.That(lla.ToString(), Is.EqualTo(t["icmpv6.opt.linkaddr"]), at);
                        }
                        break;
                    default:
                        Assert.Fail($"{at}: unexpected protocol {p.NwProto}");
                        break;
                }
            }
        });
        // The capture must still hold frames of each kind (ARP, TCP, UDP, ICMP/ICMPv6, ND).
        Assert.That(Math.Min(Math.Min(arp, tcp), Math.Min(Math.Min(udp, icmp), nd)), Is.GreaterThanOrEqualTo(2), $"{arp} {tcp} {udp} {icmp} {nd}");
    }

    private static IEnumerable<byte[]> AllFrames()
    {
        foreach (var f in PcapFile.Read(LinuxPcap)) yield return f;
        foreach (var c in TestFramesDecodeTests.Cases()) yield return c.Frame;
    }

    [Test]
    public void Every_prefix_of_every_frame_parses_without_throwing_and_stays_inside_the_bytes()
    {
        int n = 0;
        foreach (var frame in AllFrames())
        {
            for (int len = 0; len <= frame.Length; len++)
            {
                var span = frame.AsSpan(0, len);
                var p = ParsedPacket.Parse(span);
                Assert.That(p.FrameLength, Is.EqualTo(len));
                Assert.That(p.L3Offset, Is.LessThanOrEqualTo(len));
                Assert.That(p.L4Offset < 0 || p.L4Offset + p.L4Length <= len, $"L4 {p.L4Offset}+{p.L4Length} beyond {len}");
                Assert.That(len >= 14 || p.Layers == PacketLayers.None);
                Assert.That(PacketFlowText.Format(span), Does.EndWith("\n"));
                n++;
            }
        }
        Assert.That(n, Is.GreaterThan(1000));
    }

    [Test]
    public void Randomly_mutated_frames_never_make_the_parser_throw()
    {
        var rnd = new Random(12345);
        var frames = AllFrames().ToList();
        for (int i = 0; i < 20000; i++)
        {
            var f = (byte[])frames[rnd.Next(frames.Count)].Clone();
            int flips = rnd.Next(1, 6);
            for (int k = 0; k < flips; k++) f[rnd.Next(f.Length)] = (byte)rnd.Next(256);
            var span = f.AsSpan(0, rnd.Next(f.Length + 1));
            var p = ParsedPacket.Parse(span);
            Assert.That(p.L4Offset < 0 || p.L4Offset + p.L4Length <= span.Length);
            _ = PacketFlowText.Format(span);
        }
    }

    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    [Test]
    public void Two_vlan_tags_are_read_and_a_third_is_left_as_the_ethertype()
    {
        var p = ParsedPacket.Parse(Hex("ffffffffffff 020000000001 88a8 2064 8100 000a 8100 0005 0800"));
        Assert.That((p.VlanCount, p.Vlan0, p.Vlan1, p.EthType), Is.EqualTo((2, new VlanTag(0x88a8, 0x2064), new VlanTag(0x8100, 0x000a), (ushort)0x8100)));
        Assert.That(p.Vlan0.Pcp, Is.EqualTo(1));
        // A tag without room for the type that follows it is not a tag: the TPID becomes the EtherType.
        var q = ParsedPacket.Parse(Hex("ffffffffffff 020000000001 8100 0064 08"));
        Assert.That((q.VlanCount, q.EthType), Is.EqualTo((0, (ushort)0x8100)));
    }

    [Test]
    public void Ieee_802_3_frames_use_snap_type_or_0x05ff()
    {
        Assert.That(ParsedPacket.Parse(Hex("0180c2000000 020000000001 0026 424203 000000000000")).EthType, Is.EqualTo(EtherType.None));
        Assert.That(ParsedPacket.Parse(Hex("020000000002 020000000001 0010 aaaa03 000000 0806")).EthType, Is.EqualTo(EtherType.Arp));
        Assert.That(ParsedPacket.Parse(Hex("020000000002 020000000001 0010 aaaa03 000000 0100")).EthType, Is.EqualTo(EtherType.None));
    }

    [Test]
    public void Mpls_labels_up_to_bottom_of_stack()
    {
        var p = ParsedPacket.Parse(Hex("020000000002 020000000001 8847 00064040 000c8140 45"));
        Assert.That((p.MplsCount, p.MplsLse0, p.MplsLse1, p.L3Offset), Is.EqualTo((2, 0x00064040u, 0x000c8140u, 22)));
    }

    [Test]
    public void Ipv6_extension_headers_and_fragments()
    {
        const string eth = "020000000002 020000000001 86dd";
        const string addrs = "20010db8000000000000000000000001 20010db8000000000000000000000002";
        // hop-by-hop (8 bytes) then UDP
        var p = ParsedPacket.Parse(Hex(eth + "60000000 0010 00 40" + addrs + "1100000000000000" + "0035003500080000"));
        Assert.That((p.NwProto, p.TpSrc, p.L4Offset, p.L4Length, p.NwFrag), Is.EqualTo((IpProtocol.Udp, (ushort)53, 62, 8, IpFragment.None)));
        // fragment header, offset 0 and more-fragments: first fragment, UDP still parsed
        p = ParsedPacket.Parse(Hex(eth + "60000000 0010 2c 40" + addrs + "1100000100000001" + "0035003500080000"));
        Assert.That((p.NwProto, p.TpSrc, p.NwFrag), Is.EqualTo((IpProtocol.Udp, (ushort)53, IpFragment.Any)));
        // later fragment: protocol reported as 44, no transport fields
        p = ParsedPacket.Parse(Hex(eth + "60000000 0010 2c 40" + addrs + "1100000800000001" + "0035003500080000"));
        Assert.That((p.NwProto, p.TpSrc, p.NwFrag), Is.EqualTo((IpProtocol.Fragment, (ushort)0, IpFragment.Any | IpFragment.Later)));
        // extension header running past the payload: OVS keeps the addresses, drops everything after
        p = ParsedPacket.Parse(Hex(eth + "60012345 0008 00 40" + addrs + "1101000000000000"));
        Assert.That((p.Ipv6Src, p.NwProto, p.NwTtl, p.Ipv6Label, p.L4Offset), Is.EqualTo((Ipv6Address.Parse("2001:db8::1"), (byte)0, (byte)0, 0u, -1)));
    }

    [Test]
    public void Ipv4_header_checks_follow_ovs()
    {
        const string eth = "020000000002 020000000001 0800";
        // total length shorter than the frame: the rest is link padding, not transport bytes
        var p = ParsedPacket.Parse(Hex(eth + "4500001c 0000 0000 4011 0000 0a000001 0a000002 1388 1389 0008 0000 00000000"));
        Assert.That((p.L4Length, p.TpSrc), Is.EqualTo((8, (ushort)5000)));
        // total length beyond the frame: nothing past the Ethernet header
        p = ParsedPacket.Parse(Hex(eth + "45000040 0000 0000 4011 0000 0a000001 0a000002 1388 1389 0008 0000"));
        Assert.That((p.NwSrc, p.NwProto, p.Layers), Is.EqualTo((Ipv4Address.Any, (byte)0, PacketLayers.Ethernet)));
        // options (IHL 6) are skipped; a later fragment has no ports
        p = ParsedPacket.Parse(Hex(eth + "46000020 0000 0001 4006 0000 0a000001 0a000002 01010101 1388 1389 00000000"));
        Assert.That((p.L4Offset, p.NwFrag, p.TpSrc, p.NwProto), Is.EqualTo((38, IpFragment.Any | IpFragment.Later, (ushort)0, IpProtocol.Tcp)));
    }

    [Test]
    public void Neighbor_discovery_options()
    {
        const string head = "3333ff000002 020000000001 86dd 60000000 0028 3a ff fe800000000000000000000000000001 ff0200000000000000000001ff000002";
        const string ns = "87 00 0000 00000000 fe800000000000000000000000000002";
        var p = ParsedPacket.Parse(Hex(head + ns + "0101020000000001" + "0201020000000002"));
        Assert.That((p.NdTarget, p.NdSll, p.NdTll, p.NdOptionsType), Is.EqualTo((Ipv6Address.Parse("fe80::2"), MacAddress.Parse("02:00:00:00:00:01"), MacAddress.Parse("02:00:00:00:00:02"), (byte)1)));
        // the same option twice: OVS forgets the target and both addresses
        p = ParsedPacket.Parse(Hex(head + ns + "0101020000000001" + "0101020000000003"));
        Assert.That((p.NdTarget, p.NdSll, p.Layers.HasFlag(PacketLayers.NdTarget)), Is.EqualTo((Ipv6Address.Any, MacAddress.Zero, false)));
        // an option with length 0 ends the walk, keeping what came before
        p = ParsedPacket.Parse(Hex(head + ns + "0200020000000002" + "0101020000000003"));
        Assert.That((p.NdTarget, p.NdTll, p.NdSll), Is.EqualTo((Ipv6Address.Parse("fe80::2"), MacAddress.Zero, MacAddress.Zero)));
    }

    [Test]
    public void Arp_with_other_hardware_or_a_big_opcode()
    {
        const string eth = "ffffffffffff 020000000001 0806";
        var p = ParsedPacket.Parse(Hex(eth + "0006 0800 06 04 0001 020000000001 0a000001 000000000000 0a0000fe"));
        Assert.That((p.NwSrc, p.Layers), Is.EqualTo((Ipv4Address.Any, PacketLayers.Ethernet)));
        p = ParsedPacket.Parse(Hex(eth + "0001 0800 06 04 0101 020000000001 0a000001 000000000000 0a0000fe"));
        Assert.That((p.ArpOp, p.NwProto, p.NwSrc), Is.EqualTo(((ushort)0x101, (byte)0, Ipv4Address.Parse("10.0.0.1"))));
    }

    [Test]
    public void Addresses_parse_and_print()
    {
        Assert.That(MacAddress.Parse("0A:1b:2C:3d:4E:5f").ToString(), Is.EqualTo("0a:1b:2c:3d:4e:5f"));
        Assert.Throws<FormatException>(() => MacAddress.Parse("0a:1b:2c:3d:4e"));
        Assert.That(Ipv4Address.Parse("192.0.2.1").Value, Is.EqualTo(0xc0000201));
        Assert.That(Ipv6Address.Parse("2001:db8::ff:1234:5678").SolicitedNode.ToString(), Is.EqualTo("ff02::1:ff34:5678"));
        Assert.That(MacAddress.ForIpv6Multicast(Ipv6Address.Parse("ff02::1:ff34:5678")).ToString(), Is.EqualTo("33:33:ff:34:56:78"));
        Assert.Throws<FormatException>(() => Ipv4Address.Parse("2001:db8::1"));
    }
}
