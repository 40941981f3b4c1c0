using OvsLb.OpenFlow.Packets;
using OvsLb.Testing.Frames;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// The frames the tests build with PacketDotNet (<see cref="TestFrames"/>) against frames Open vSwitch
/// composed itself (`ovs-ofctl compose-packet`, kept as the `frame:` of tests/golden/data/packets.golden):
/// with the same fields the bytes, checksums included, must be identical.
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

    public delegate byte[] Build();

    private static IEnumerable<TestCaseData> Frames()
    {
        TestCaseData Case(string golden, Build build) => new TestCaseData(golden, build).SetName("Same_bytes_as_ovs." + golden);
        yield return Case("arp-request", () => TestFrames.ArpRequest(M1, A1, Ipv4Address.Parse("10.0.0.254")));
        yield return Case("arp-reply", () => TestFrames.ArpReply(M2, Ipv4Address.Parse("10.0.0.254"), M1, A1));
        yield return Case("arp-gratuitous", () => TestFrames.ArpGratuitous(M1, A1));
        yield return Case("vlan-arp", () => TestFrames.ArpRequest(M1, Ipv4Address.Parse("10.1.0.1"), Ipv4Address.Parse("10.1.0.254"), VlanTag.Dot1Q(100)));
        yield return Case("tcp-syn", () => TestFrames.Tcp(Eth, Ip, new TcpHeader(40000, 80, Window: 0)));
        yield return Case("tcp-ack-psh-data", () => TestFrames.Tcp(Eth, new Ipv4Header(A2, A1, Ttl: 63, Tos: 32, DontFragment: false),
            new TcpHeader(80, 40000, Flags: TcpControl.Psh | TcpControl.Ack, Window: 0), "Hello"u8));
        yield return Case("udp", () => TestFrames.Udp(Eth, Ip, 5000, 53, [1, 2, 3, 4, 5, 6, 7, 8]));
        yield return Case("icmp-echo-request", () => TestFrames.IcmpEcho(Eth, Ip, false, 0, 0, [0, 1, 0, 2, 0x61, 0x62, 0x63, 0x64]));
        yield return Case("icmp-echo-reply", () => TestFrames.IcmpEcho(Eth, new Ipv4Header(A2, A1, DontFragment: false), true, 0, 0, [0, 1, 0, 2, 0x61, 0x62, 0x63, 0x64]));
        yield return Case("tcp6-syn", () => TestFrames.Tcp(Eth, new Ipv6Header(V1, V2), new TcpHeader(40001, 443, Window: 0)));
        yield return Case("icmp6-echo", () => TestFrames.Icmpv6Echo(Eth, new Ipv6Header(V1, V2, FlowLabel: 0x12345), false, 0, 0, [0, 1, 0, 2]));
        yield return Case("icmp6-ns", () => TestFrames.NeighborSolicitation(M1, Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2")));
        yield return Case("icmp6-na", () => TestFrames.NeighborAdvertisement(M2, Ipv6Address.Parse("fe80::2"), M1, Ipv6Address.Parse("fe80::1"), NdAdvertFlags.None));
    }

    [TestCaseSource(nameof(Frames))]
    public void Same_bytes_as_ovs(string golden, Build build)
    {
        var entry = GoldenFile.Load("packets.golden").Single(e => e.Name == "packet-out." + golden);
        Assert.That(entry.Extra["source"], Does.StartWith("ovs-ofctl compose-packet"));
        Assert.That(Convert.ToHexString(build()).ToLowerInvariant(), Is.EqualTo(entry.Extra["frame"]));
    }
}
