using System.Net;
using System.Net.NetworkInformation;
using OvsLb.Balancer;
using PacketDotNet;
using PacketDotNet.Utils;
using MacAddress = OvsLb.OpenFlow.Packets.MacAddress;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The answers of onEmpty "reject" byte by byte (the traffic tests check them against the Linux stack): RFC 9293
/// §3.10.7.1 sequence numbers, a reset never answered, the ICMP quote of header + 8 bytes, valid checksums.
/// </summary>
public sealed class RejectPacketsTests
{
    private static readonly MacAddress Lb = MacAddress.Parse("02:00:00:00:72:fe");
    private static readonly PhysicalAddress ClientMac = PhysicalAddress.Parse("02-00-00-00-72-02");
    private static readonly IPAddress Client = IPAddress.Parse("10.72.0.2"), Vip = IPAddress.Parse("10.72.0.100");

    private static byte[] Tcp(Action<TcpPacket> set, int payload = 0)
    {
        var tcp = new TcpPacket(40000, 80) { SequenceNumber = 1000, WindowSize = 64240 };
        set(tcp);
        if (payload > 0) tcp.PayloadData = new byte[payload];
        var ip = new IPv4Packet(Client, Vip) { Protocol = ProtocolType.Tcp, PayloadPacket = tcp };
        ip.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        return new EthernetPacket(ClientMac, PhysicalAddress.Parse("02-00-00-00-72-FE"), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
    }

    private static (EthernetPacket Eth, IPv4Packet Ip) Parse(byte[] frame)
    {
        var eth = new EthernetPacket(new ByteArraySegment(frame));
        return (eth, (IPv4Packet)eth.PayloadPacket);
    }

    [Test]
    public void A_syn_gets_rst_ack_with_ack_one_past_its_sequence_from_the_vip_to_the_client()
    {
        var frame = RejectPackets.Answer(Tcp(t => t.Synchronize = true), Lb, out var what, out var why);
        Assert.That(frame, Is.Not.Null, why);
        var (eth, ip) = Parse(frame!);
        var rst = (TcpPacket)ip.PayloadPacket;
        Assert.That((eth.SourceHardwareAddress.ToString(), eth.DestinationHardwareAddress.ToString()), Is.EqualTo(("0200000072FE", "020000007202")));
        Assert.That((ip.SourceAddress, ip.DestinationAddress, rst.SourcePort, rst.DestinationPort), Is.EqualTo((Vip, Client, (ushort)80, (ushort)40000)));
        Assert.That((rst.Reset, rst.Acknowledgment, rst.Synchronize, rst.SequenceNumber, rst.AcknowledgmentNumber), Is.EqualTo((true, true, false, 0u, 1001u)));
        Assert.That((ip.ValidIPChecksum, rst.ValidTcpChecksum), Is.EqualTo((true, true)));
        Assert.That(what, Is.EqualTo(new RejectedPacket("tcp", OvsLb.OpenFlow.Packets.Ipv4Address.Parse("10.72.0.2"), 40000, OvsLb.OpenFlow.Packets.Ipv4Address.Parse("10.72.0.100"), 80)));
    }

    [Test]
    public void A_segment_with_ack_gets_a_bare_rst_at_its_ack_number_and_data_and_fin_count_in_the_ack_otherwise()
    {
        var withAck = Parse(RejectPackets.Answer(Tcp(t => { t.Acknowledgment = true; t.AcknowledgmentNumber = 5555; }, payload: 10), Lb, out _, out _)!);
        var r1 = (TcpPacket)withAck.Ip.PayloadPacket;
        Assert.That((r1.Reset, r1.Acknowledgment, r1.SequenceNumber), Is.EqualTo((true, false, 5555u)));
        var finData = Parse(RejectPackets.Answer(Tcp(t => t.Finished = true, payload: 10), Lb, out _, out _)!);
        var r2 = (TcpPacket)finData.Ip.PayloadPacket;
        Assert.That((r2.Reset, r2.Acknowledgment, r2.SequenceNumber, r2.AcknowledgmentNumber), Is.EqualTo((true, true, 0u, 1011u)));
        Assert.That(r2.ValidTcpChecksum, Is.True);
    }

    [Test]
    public void A_reset_is_never_answered_and_garbage_is_ignored_without_throwing()
    {
        Assert.That(RejectPackets.Answer(Tcp(t => t.Reset = true), Lb, out _, out var why), Is.Null);
        Assert.That(why, Does.Contain("reset"));
        var syn = Tcp(t => t.Synchronize = true);
        for (int n = 0; n < syn.Length; n++) Assert.That(() => RejectPackets.Answer(syn.AsSpan(0, n), Lb, out _, out _), Throws.Nothing, $"{n} bytes");
        var rnd = new Random(11);
        for (int i = 0; i < 2000; i++)
        {
            var junk = (byte[])syn.Clone();
            junk[14 + rnd.Next(junk.Length - 14)] = (byte)rnd.Next(256);
            Assert.That(() => RejectPackets.Answer(junk, Lb, out _, out _), Throws.Nothing);
        }
    }

    [Test]
    public void A_udp_datagram_gets_icmp_port_unreachable_quoting_its_ip_header_and_first_eight_bytes()
    {
        var udp = new UdpPacket(40000, 53) { PayloadData = "hello, are you there?"u8.ToArray() };
        var ip = new IPv4Packet(Client, Vip) { Protocol = ProtocolType.Udp, PayloadPacket = udp };
        ip.UpdateCalculatedValues();
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        var frame = new EthernetPacket(ClientMac, PhysicalAddress.Parse("02-00-00-00-72-FE"), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
        var answer = RejectPackets.Answer(frame, Lb, out var what, out var why);
        Assert.That(answer, Is.Not.Null, why);
        var (_, rip) = Parse(answer!);
        Assert.That((rip.SourceAddress, rip.DestinationAddress, rip.Protocol, rip.ValidIPChecksum), Is.EqualTo((Vip, Client, ProtocolType.Icmp, true)));
        var icmp = (IcmpV4Packet)rip.PayloadPacket;
        Assert.That((icmp.TypeCode, icmp.ValidIcmpChecksum), Is.EqualTo((IcmpV4TypeCode.UnreachablePort, true)));
        Assert.That(rip.PayloadPacket.Bytes.Skip(8).ToArray(), Is.EqualTo(ip.Bytes.Take(20 + 8).ToArray()));
        Assert.That(what.Protocol, Is.EqualTo("udp"));
    }
}
