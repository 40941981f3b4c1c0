using OvsLb.OpenFlow.Packets;
using PacketDotNet;
using PacketDotNet.Ndp;
using static OvsLb.Testing.Frames.CapturedNdp;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// Frames captured (tcpdump -xx in the client namespace) while OVS 3.1's NDP responder flows answered a
/// Linux neighbour (helpers/s18/ndp-hand.sh): what PacketDotNet 1.4.8 and our parser make of the
/// solicitations Linux sends and of the advertisements the flows wrote. The NS health check and
/// next-hop learning of issue 12 will parse such frames.
/// </summary>
[TestFixture]
public class NdpCapturedFrameTests
{
    private static readonly Ipv6Address Vip = Ipv6Address.Parse("fd00::100");
    private static readonly MacAddress LbMac = new(0x0200_0000_00feUL);

    private static byte[] Hex(string h) => Convert.FromHexString(h);

    [TestCase(Na, 0x6000_0000u, TestName = "Our_parser_reads_the_solicited_NA")]
    [TestCase(NudNa, 0x6000_0000u, TestName = "Our_parser_reads_the_NUD_answer")]
    public void Our_parser_reads_the_answer(string frame, uint rso)
    {
        var p = ParsedPacket.Parse(Hex(frame));
        Assert.Multiple(() =>
        {
            Assert.That(p.IcmpType, Is.EqualTo(136));
            Assert.That(p.NdTarget, Is.EqualTo(Vip));
            Assert.That(p.NdTll, Is.EqualTo(LbMac));
            Assert.That(p.NdReserved, Is.EqualTo(rso));
            Assert.That(p.NdOptionsType, Is.EqualTo(2));
        });
    }

    [Test]
    public void Our_parser_sees_no_link_layer_option_in_a_dad_probe()
    {
        // OVS's parse_icmpv6 records only SLL/TLL options: the nonce leaves nd_options_type 0.
        var p = ParsedPacket.Parse(Hex(DadNs));
        Assert.Multiple(() =>
        {
            Assert.That(p.IcmpType, Is.EqualTo(135));
            Assert.That(p.NdTarget, Is.EqualTo(Vip));
            Assert.That(p.NdSll, Is.EqualTo(new MacAddress(0)));
            Assert.That(p.NdOptionsType, Is.EqualTo(0));
        });
    }

    [TestCase(Na, TestName = "PacketDotNet_reads_the_solicited_NA")]
    [TestCase(NudNa, TestName = "PacketDotNet_reads_the_NUD_answer")]
    public void PacketDotNet_reads_the_answer(string frame)
    {
        var eth = Packet.ParsePacket(LinkLayers.Ethernet, Hex(frame));
        var icmp = eth.Extract<IcmpV6Packet>();
        Assert.That(icmp, Is.Not.Null);
        Assert.That(icmp.Type, Is.EqualTo(IcmpV6Type.NeighborAdvertisement));
        var na = eth.Extract<NdpNeighborAdvertisementPacket>();
        Assert.That(na, Is.Not.Null, "PacketDotNet gives no NdpNeighborAdvertisementPacket");
        var tll = na.OptionsCollection.OfType<NdpLinkLayerAddressOption>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(na.TargetAddress.ToString(), Is.EqualTo("fd00::100"));
            Assert.That((na.Router, na.Solicited, na.Override), Is.EqualTo((false, true, true)));
            Assert.That(tll.Type.ToString(), Is.EqualTo("TargetLinkLayerAddress"));
            Assert.That(tll.LinkLayerAddress.ToString(), Is.EqualTo("0200000000FE"));
        });
    }

    [Test]
    public void PacketDotNet_reads_the_solicitation()
    {
        var ns = Packet.ParsePacket(LinkLayers.Ethernet, Hex(Ns)).Extract<NdpNeighborSolicitationPacket>();
        Assert.That(ns, Is.Not.Null);
        var sll = ns.OptionsCollection.OfType<NdpLinkLayerAddressOption>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(ns.TargetAddress.ToString(), Is.EqualTo("fd00::100"));
            Assert.That(sll.Type.ToString(), Is.EqualTo("SourceLinkLayerAddress"));
            Assert.That(sll.LinkLayerAddress.ToString(), Is.EqualTo("020000000002"));
        });
    }

    [Test]
    public void PacketDotNet_reads_dad_frames_but_drops_the_nonce_option()
    {
        // RFC 7527's nonce (type 14) is not an option type PacketDotNet knows: its collection comes back
        // empty, so a DAD probe and an answer to it are told apart by the source / destination address.
        var ns = Packet.ParsePacket(LinkLayers.Ethernet, Hex(DadNs)).Extract<NdpNeighborSolicitationPacket>();
        var na = Packet.ParsePacket(LinkLayers.Ethernet, Hex(DadNa)).Extract<NdpNeighborAdvertisementPacket>();
        Assert.Multiple(() =>
        {
            Assert.That(ns.TargetAddress.ToString(), Is.EqualTo("fd00::100"));
            Assert.That(ns.OptionsCollection, Is.Empty);
            Assert.That((na.Router, na.Solicited, na.Override), Is.EqualTo((false, false, true)));
            Assert.That(na.OptionsCollection, Is.Empty);
        });
    }

    [TestCase(Na, TestName = "PacketDotNet_checksum_of_the_solicited_NA_is_valid")]
    [TestCase(DadNa, TestName = "PacketDotNet_checksum_of_the_dad_answer_is_valid")]
    public void PacketDotNet_checksum(string frame)
    {
        var bytes = Hex(frame);
        Assert.That(Packet.ParsePacket(LinkLayers.Ethernet, bytes).Extract<IcmpV6Packet>().ValidIcmpChecksum, Is.True);
        bytes[^1] ^= 1; // one bit of the last option byte: the check must notice it
        Assert.That(Packet.ParsePacket(LinkLayers.Ethernet, bytes).Extract<IcmpV6Packet>().ValidIcmpChecksum, Is.False);
    }
}
