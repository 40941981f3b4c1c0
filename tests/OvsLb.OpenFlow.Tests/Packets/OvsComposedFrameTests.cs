using OvsLb.OpenFlow.Packets;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// Our builders against frames Open vSwitch composed itself (`ovs-ofctl compose-packet`, kept as
/// the `frame:` of tests/golden/data/packets.golden): with the same fields the bytes, checksums
/// included, must be identical.
/// </summary>
[TestFixture]
public class OvsComposedFrameTests
{
    private static readonly MacAddress M1 = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress M2 = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly Ipv4Address A1 = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address A2 = Ipv4Address.Parse("10.0.0.2");
    private static readonly Ipv6Address V1 = Ipv6Address.Parse("2001:db8::1");
    private static readonly Ipv6Address V2 = Ipv6Address.Parse("2001:db8::2");
    private static readonly EthernetHeader Eth = new(M2, M1);

    // compose-packet leaves the IPv4 identification, flags, TCP sequence numbers and window at zero.
    private static readonly Ipv4Header Ip = new(A1, A2, DontFragment: false);

    public delegate int Build(Span<byte> b);

    private static IEnumerable<TestCaseData> Frames()
    {
        TestCaseData Case(string golden, Build build) => new TestCaseData(golden, build).SetName("Same_bytes_as_ovs." + golden);
        yield return Case("arp-request", b => ArpPacket.Request(b, M1, A1, Ipv4Address.Parse("10.0.0.254")));
        yield return Case("arp-reply", b => ArpPacket.Reply(b, M2, Ipv4Address.Parse("10.0.0.254"), M1, A1));
        yield return Case("arp-gratuitous", b => ArpPacket.Gratuitous(b, M1, A1));
        yield return Case("vlan-arp", b => ArpPacket.Request(b, M1, Ipv4Address.Parse("10.1.0.1"), Ipv4Address.Parse("10.1.0.254"), VlanTag.Dot1Q(100)));
        yield return Case("tcp-syn", b => TcpPacket.Build(b, Eth, Ip, new TcpHeader(40000, 80, Window: 0)));
        yield return Case("tcp-ack-psh-data", b => TcpPacket.Build(b, Eth, new Ipv4Header(A2, A1, Ttl: 63, Tos: 32, DontFragment: false),
            new TcpHeader(80, 40000, Flags: TcpControl.Psh | TcpControl.Ack, Window: 0), "Hello"u8));
        yield return Case("udp", b => UdpPacket.Build(b, Eth, Ip, 5000, 53, [1, 2, 3, 4, 5, 6, 7, 8]));
        yield return Case("icmp-echo-request", b => IcmpPacket.EchoRequest(b, Eth, Ip, 0, 0, [0, 1, 0, 2, 0x61, 0x62, 0x63, 0x64]));
        yield return Case("icmp-echo-reply", b => IcmpPacket.EchoReply(b, Eth, new Ipv4Header(A2, A1, DontFragment: false), 0, 0, [0, 1, 0, 2, 0x61, 0x62, 0x63, 0x64]));
        yield return Case("tcp6-syn", b => TcpPacket.Build(b, Eth, new Ipv6Header(V1, V2), new TcpHeader(40001, 443, Window: 0)));
        yield return Case("icmp6-echo", b => Icmpv6Packet.EchoRequest(b, Eth, new Ipv6Header(V1, V2, FlowLabel: 0x12345), 0, 0, [0, 1, 0, 2]));
        yield return Case("icmp6-ns", b => Icmpv6Packet.NeighborSolicitation(b, M1, Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2")));
        yield return Case("icmp6-na", b => Icmpv6Packet.NeighborAdvertisement(b, M2, Ipv6Address.Parse("fe80::2"), M1, Ipv6Address.Parse("fe80::1"), NdAdvertFlags.None));
    }

    [TestCaseSource(nameof(Frames))]
    public void Same_bytes_as_ovs(string golden, Build build)
    {
        var entry = GoldenFile.Load("packets.golden").Single(e => e.Name == "packet-out." + golden);
        Assert.That(entry.Extra["source"], Does.StartWith("ovs-ofctl compose-packet"));
        var buf = new byte[256];
        int n = build(buf);
        Assert.That(Convert.ToHexString(buf, 0, n).ToLowerInvariant(), Is.EqualTo(entry.Extra["frame"]));
    }
}
