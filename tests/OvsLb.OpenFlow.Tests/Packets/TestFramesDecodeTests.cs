using OvsLb.OpenFlow.Packets;
using OvsLb.Testing.Frames;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// Every frame the tests build with PacketDotNet (<see cref="TestFrames"/>) is written to a pcap file and
/// decoded by tshark and tcpdump, which must see the fields we meant and call every checksum correct; our
/// own flow-field parser must read back the same fields.
/// </summary>
[TestFixture]
public class TestFramesDecodeTests
{
    private static readonly MacAddress Mac1 = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress Mac2 = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly Ipv4Address Ip1 = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address Ip2 = Ipv4Address.Parse("10.0.0.2");
    private static readonly Ipv6Address Ip6a = Ipv6Address.Parse("2001:db8::1");
    private static readonly Ipv6Address Ip6b = Ipv6Address.Parse("2001:db8::2");
    private static readonly EthernetHeader Eth = new(Mac2, Mac1);
    private static readonly EthernetHeader EthVlan = new(Mac2, Mac1, VlanTag.Dot1Q(10, 5));

    /// <summary>A built frame and what tshark must report for it (field name to value).</summary>
    public sealed record Case(string Name, byte[] Frame, Dictionary<string, string> Expect);

    private static Case Make(string name, Func<byte[]> build, params (string Field, string Value)[] expect) =>
        new(name, build(), expect.ToDictionary(e => e.Field, e => e.Value));

    public static List<Case> Cases()
    {
        byte[] payload = "hello, world"u8.ToArray();
        return
        [
            Make("arp-request", () => TestFrames.ArpRequest(Mac1, Ip1, Ipv4Address.Parse("10.0.0.254")),
                ("eth.dst", "ff:ff:ff:ff:ff:ff"), ("eth.src", "02:00:00:00:00:01"), ("eth.type", "0x0806"), ("arp.opcode", "1"),
                ("arp.src.hw_mac", "02:00:00:00:00:01"), ("arp.src.proto_ipv4", "10.0.0.1"),
                ("arp.dst.hw_mac", "00:00:00:00:00:00"), ("arp.dst.proto_ipv4", "10.0.0.254"), ("arp.isgratuitous", "")),
            Make("arp-reply", () => TestFrames.ArpReply(Mac2, Ip2, Mac1, Ip1),
                ("eth.dst", "02:00:00:00:00:01"), ("eth.src", "02:00:00:00:00:02"), ("arp.opcode", "2"),
                ("arp.src.hw_mac", "02:00:00:00:00:02"), ("arp.src.proto_ipv4", "10.0.0.2"),
                ("arp.dst.hw_mac", "02:00:00:00:00:01"), ("arp.dst.proto_ipv4", "10.0.0.1")),
            Make("arp-gratuitous", () => TestFrames.ArpGratuitous(Mac1, Ip1),
                ("eth.dst", "ff:ff:ff:ff:ff:ff"), ("arp.opcode", "1"), ("arp.isgratuitous", "1"),
                ("arp.src.proto_ipv4", "10.0.0.1"), ("arp.dst.proto_ipv4", "10.0.0.1")),
            Make("arp-request-vlan", () => TestFrames.ArpRequest(Mac1, Ip1, Ip2, VlanTag.Dot1Q(100, 3)),
                ("eth.type", "0x8100"), ("vlan.id", "100"), ("vlan.priority", "3"), ("vlan.etype", "0x0806"),
                ("arp.opcode", "1"), ("arp.dst.proto_ipv4", "10.0.0.2")),
            Make("tcp-syn", () => TestFrames.Tcp(Eth, new Ipv4Header(Ip1, Ip2, Identification: 0x1234), new TcpHeader(40000, 80, Sequence: 1000)),
                ("ip.src", "10.0.0.1"), ("ip.dst", "10.0.0.2"), ("ip.proto", "6"), ("ip.ttl", "64"), ("ip.id", "0x1234"),
                ("ip.flags.df", "1"), ("ip.len", "40"), ("ip.checksum.status", "1"),
                ("tcp.srcport", "40000"), ("tcp.dstport", "80"), ("tcp.seq_raw", "1000"), ("tcp.flags", "0x0002"),
                ("tcp.hdr_len", "20"), ("tcp.checksum.status", "1")),
            Make("tcp-psh-ack-data-vlan", () => TestFrames.Tcp(EthVlan, new Ipv4Header(Ip2, Ip1, Ttl: 63, Tos: 0x2e),
                    new TcpHeader(80, 40000, 5000, 1001, TcpControl.Psh | TcpControl.Ack, 512), payload),
                ("vlan.id", "10"), ("vlan.priority", "5"), ("ip.dsfield", "0x2e"), ("ip.ttl", "63"), ("ip.checksum.status", "1"),
                ("tcp.flags", "0x0018"), ("tcp.ack_raw", "1001"), ("tcp.window_size_value", "512"), ("tcp.len", "12"),
                ("tcp.checksum.status", "1")),
            Make("tcp6-syn-ack", () => TestFrames.Tcp(Eth, new Ipv6Header(Ip6a, Ip6b, FlowLabel: 0x12345), new TcpHeader(443, 40001, 7, 8, TcpControl.Syn | TcpControl.Ack)),
                ("ipv6.src", "2001:db8::1"), ("ipv6.dst", "2001:db8::2"), ("ipv6.nxt", "6"), ("ipv6.flow", "0x012345"), ("ipv6.plen", "20"),
                ("tcp.flags", "0x0012"), ("tcp.checksum.status", "1")),
            Make("udp", () => TestFrames.Udp(Eth, new Ipv4Header(Ip1, Ip2, DontFragment: false), 5000, 53, payload),
                ("ip.flags.df", "0"), ("ip.checksum.status", "1"), ("udp.srcport", "5000"), ("udp.dstport", "53"),
                ("udp.length", "20"), ("udp.checksum.status", "1")),
            Make("udp-odd-length", () => TestFrames.Udp(Eth, new Ipv4Header(Ip1, Ip2), 1, 2, "abc"u8),
                ("udp.length", "11"), ("udp.checksum.status", "1")),
            Make("udp6", () => TestFrames.Udp(Eth, new Ipv6Header(Ip6a, Ip6b, HopLimit: 7, TrafficClass: 0xb8), 546, 547, payload),
                ("ipv6.hlim", "7"), ("ipv6.tclass", "0x000000b8"), ("udp.srcport", "546"), ("udp.checksum.status", "1")),
            Make("icmp-echo-request", () => TestFrames.IcmpEcho(Eth, new Ipv4Header(Ip1, Ip2), false, 0x77, 3, payload),
                ("ip.proto", "1"), ("ip.checksum.status", "1"), ("icmp.type", "8"), ("icmp.code", "0"), ("icmp.seq", "3"),
                ("icmp.checksum.status", "1")),
            Make("icmp-echo-reply", () => TestFrames.IcmpEcho(Eth, new Ipv4Header(Ip2, Ip1), true, 0x77, 3, payload),
                ("icmp.type", "0"), ("icmp.checksum.status", "1")),
            Make("icmp6-echo-request", () => TestFrames.Icmpv6Echo(Eth, new Ipv6Header(Ip6a, Ip6b), false, 0x99, 4, payload),
                ("ipv6.nxt", "58"), ("icmpv6.type", "128"), ("icmpv6.echo.identifier", "0x0099"), ("icmpv6.echo.sequence_number", "4"),
                ("icmpv6.checksum.status", "1")),
            Make("icmp6-neighbor-solicitation", () => TestFrames.NeighborSolicitation(Mac1, Ip6a, Ip6b),
                ("eth.dst", "33:33:ff:00:00:02"), ("ipv6.dst", "ff02::1:ff00:2"), ("ipv6.hlim", "255"), ("icmpv6.type", "135"),
                ("icmpv6.nd.ns.target_address", "2001:db8::2"), ("icmpv6.opt.type", "1"), ("icmpv6.opt.linkaddr", "02:00:00:00:00:01"),
                ("icmpv6.checksum.status", "1")),
            Make("icmp6-neighbor-solicitation-dad", () => TestFrames.NeighborSolicitation(Mac1, Ipv6Address.Any, Ip6a),
                ("ipv6.src", "::"), ("ipv6.dst", "ff02::1:ff00:1"), ("icmpv6.nd.ns.target_address", "2001:db8::1"), ("icmpv6.opt.type", ""),
                ("icmpv6.checksum.status", "1")),
            Make("icmp6-neighbor-advertisement", () => TestFrames.NeighborAdvertisement(Mac2, Ip6b, Mac1, Ip6a, NdAdvertFlags.Solicited | NdAdvertFlags.Override, VlanTag.Dot1Q(7)),
                ("vlan.id", "7"), ("icmpv6.type", "136"), ("icmpv6.nd.na.target_address", "2001:db8::2"), ("icmpv6.nd.na.flag.r", "0"),
                ("icmpv6.nd.na.flag.s", "1"), ("icmpv6.nd.na.flag.o", "1"), ("icmpv6.opt.type", "2"), ("icmpv6.opt.linkaddr", "02:00:00:00:00:02"),
                ("icmpv6.checksum.status", "1")),
        ];
    }

    private static string TempPcap(string name) => Path.Combine(Path.GetTempPath(), $"ovslb-{name}-{Environment.ProcessId}-{Guid.NewGuid():n}.pcap");

    [Test]
    public void Tshark_decodes_every_built_packet_as_intended()
    {
        ExternalDecoders.Require("tshark");
        var cases = Cases();
        var fields = cases.SelectMany(c => c.Expect.Keys).Distinct().ToArray();
        string pcap = TempPcap("built");
        try
        {
            PcapFile.Write(pcap, cases.Select(c => c.Frame));
            var rows = ExternalDecoders.Tshark(pcap, fields);
            Assert.That(rows, Has.Count.EqualTo(cases.Count));
            Assert.Multiple(() =>
            {
                for (int i = 0; i < cases.Count; i++)
                {
                    foreach (var (field, value) in cases[i].Expect)
                    {
                        Assert.That(rows[i][field], Is.EqualTo(value), $"{cases[i].Name}: {field}");
                    }
                }
            });
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Test]
    public void Tcpdump_finds_every_checksum_correct()
    {
        ExternalDecoders.Require("tcpdump");
        var cases = Cases();
        string pcap = TempPcap("built-tcpdump");
        try
        {
            PcapFile.Write(pcap, cases.Select(c => c.Frame));
            var lines = ExternalDecoders.Tcpdump(pcap);
            Assert.That(lines, Has.Count.EqualTo(cases.Count));
            Assert.Multiple(() =>
            {
                for (int i = 0; i < cases.Count; i++)
                {
                    string l = lines[i], name = cases[i].Name;
                    Assert.That(l, Does.Not.Contain("bad cksum").And.Not.Contain("incorrect").And.Not.Contain("wrong"), name);
                    if (name.StartsWith("tcp", StringComparison.Ordinal)) Assert.That(l, Does.Contain("(correct)"), name);
                    if (name.StartsWith("udp", StringComparison.Ordinal)) Assert.That(l, Does.Contain("[udp sum ok]"), name);
                    if (name.StartsWith("icmp6", StringComparison.Ordinal)) Assert.That(l, Does.Contain("[icmp6 sum ok]"), name);
                    if (name.StartsWith("arp-gratuitous", StringComparison.Ordinal)) Assert.That(l, Does.Contain("Request who-has 10.0.0.1 tell 10.0.0.1"), name);
                }
            });
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Test]
    public void Our_parser_reads_back_what_was_built()
    {
        foreach (var c in Cases())
        {
            var p = ParsedPacket.Parse(c.Frame);
            Assert.That(p.Layers.HasFlag(PacketLayers.Network), c.Name);
            if (p.L4Offset >= 0) Assert.That(p.Layers.HasFlag(PacketLayers.Transport), c.Name);
        }
        var syn = ParsedPacket.Parse(Cases().Single(c => c.Name == "tcp-syn").Frame);
        Assert.That((syn.EthSrc, syn.EthDst, syn.NwSrc, syn.NwDst, syn.TpSrc, syn.TpDst, syn.TcpFlags, syn.NwTtl), Is.EqualTo((Mac1, Mac2, Ip1, Ip2, (ushort)40000, (ushort)80, (ushort)2, (byte)64)));
        var na = ParsedPacket.Parse(Cases().Single(c => c.Name == "icmp6-neighbor-advertisement").Frame);
        Assert.That((na.VlanCount, na.Vlan0.Vid, na.IcmpType, na.NdTarget, na.NdTll, na.NdSll, na.NdOptionsType), Is.EqualTo((1, (ushort)7, (byte)136, Ip6b, Mac2, MacAddress.Zero, (byte)2)));
        Assert.That(na.NdReserved, Is.EqualTo((uint)(NdAdvertFlags.Solicited | NdAdvertFlags.Override)));
        var arp = ParsedPacket.Parse(Cases().Single(c => c.Name == "arp-request-vlan").Frame);
        Assert.That((arp.Vlan0.Vid, arp.Vlan0.Pcp, arp.ArpOp, arp.ArpSha, arp.NwSrc, arp.NwDst), Is.EqualTo(((ushort)100, (byte)3, ArpOp.Request, Mac1, Ip1, Ip2)));
    }
}
