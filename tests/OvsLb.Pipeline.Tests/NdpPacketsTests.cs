using System.Security.Cryptography;
using OvsLb.Balancer;
using OvsLb.OpenFlow.Packets;
using OvsLb.Testing;
using PacketDotNet;
using PacketDotNet.Utils;
using static OvsLb.Testing.Frames.CapturedNdp;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The neighbour solicitation the controller builds for IPv6 probes (<see cref="NdpPackets"/>), held against what we did
/// not write: Linux's own frames (captured while OVS's NDP responder answered, helpers s18), PacketDotNet's checksum
/// check, OVS's field parser (<see cref="ParsedPacket"/>), and a real Linux neighbour that answers it.
/// </summary>
public sealed class NdpPacketsTests
{
    private static readonly MacAddress Lb = MacAddress.Parse("02:00:00:00:01:fe");

    [Test]
    public void The_link_local_source_is_the_modified_eui_64_linux_derives()
    {
        // Linux named 02:00:00:00:00:02's link-local address fe80::ff:fe00:2 in the captured NUD probe.
        Assert.That(NdpPackets.LinkLocal(MacAddress.Parse("02:00:00:00:00:02")), Is.EqualTo(Ipv6Address.Parse("fe80::ff:fe00:2")));
        Assert.That(NdpPackets.LinkLocal(MacAddress.Parse("aa:bb:cc:dd:ee:ff")), Is.EqualTo(Ipv6Address.Parse("fe80::a8bb:ccff:fedd:eeff")));
    }

    [Test]
    public void The_checksum_is_the_one_linux_wrote()
    {
        var f = Convert.FromHexString(Ns);
        var icmp = f.AsSpan(54).ToArray();
        ushort linux = (ushort)(icmp[2] << 8 | icmp[3]);
        icmp[2] = icmp[3] = 0;
        Assert.That(NdpPackets.Checksum(f.AsSpan(22, 16), f.AsSpan(38, 16), icmp), Is.EqualTo(linux));
    }

    [Test]
    public void A_solicitation_is_what_ovs_and_packetdotnet_read_as_one()
    {
        var target = Ipv6Address.Parse("fd00::11");
        var f = NdpPackets.NeighborSolicitationFrame(Lb, target);
        var p = ParsedPacket.Parse(f);
        var ip = (IPv6Packet)new EthernetPacket(new ByteArraySegment(f)).PayloadPacket;
        Assert.Multiple(() =>
        {
            Assert.That(f, Has.Length.EqualTo(NdpPackets.SolicitationLength));
            Assert.That(p.EthDst, Is.EqualTo(MacAddress.Parse("33:33:ff:00:00:11")));
            Assert.That(p.EthSrc, Is.EqualTo(Lb));
            Assert.That(p.Ipv6Src, Is.EqualTo(Ipv6Address.Parse("fe80::ff:fe00:1fe")));
            Assert.That(p.Ipv6Dst, Is.EqualTo(Ipv6Address.Parse("ff02::1:ff00:11")));
            Assert.That((p.IcmpType, p.IcmpCode, p.NdTarget, p.NdSll, p.NdOptionsType), Is.EqualTo(((byte)135, (byte)0, target, Lb, (byte)1)));
            Assert.That(ip.HopLimit, Is.EqualTo(255));
            Assert.That(((IcmpV6Packet)ip.PayloadPacket).ValidIcmpChecksum, Is.True);
            // Linux's own solicitation has the same layout after the addresses: type, code, reserved, target, SLL option.
            Assert.That(Convert.ToHexString(f.AsSpan(12, 10)), Is.EqualTo(Ns[24..44].ToUpperInvariant()));
        });
        var po = NdpPackets.NeighborSolicitation(Lb, target, 7);
        Assert.That(po.Data.Span.ToArray(), Is.EqualTo(f));
    }

    [Test]
    public void Advertisements_are_read_and_everything_rfc_4861_drops_is_refused()
    {
        Assert.That(NdpPackets.TryReadNeighborAdvertisement(Convert.FromHexString(Na), out var na), Is.True);
        Assert.That(na, Is.EqualTo(new NeighborAdvertisement(Ipv6Address.Parse("fd00::100"), MacAddress.Parse("02:00:00:00:00:fe"), false, true, true)));
        // No TLL option (a nonce instead): the Ethernet source.
        Assert.That(NdpPackets.TryReadNeighborAdvertisement(Convert.FromHexString(DadNa), out var dad), Is.True);
        Assert.That(dad, Is.EqualTo(new NeighborAdvertisement(Ipv6Address.Parse("fd00::100"), MacAddress.Parse("02:00:00:00:00:fe"), false, false, true)));

        var whole = Convert.FromHexString(Na);
        Assert.Multiple(() =>
        {
            for (int cut = 0; cut < whole.Length - 8; cut++) Assert.That(NdpPackets.TryReadNeighborAdvertisement(whole[..cut], out _), Is.False, $"cut at {cut}");
            var hop = (byte[])whole.Clone();
            hop[21] = 254;
            Assert.That(NdpPackets.TryReadNeighborAdvertisement(hop, out _), Is.False, "hop limit 254");
            var sum = (byte[])whole.Clone();
            sum[56] ^= 1;
            Assert.That(NdpPackets.TryReadNeighborAdvertisement(sum, out _), Is.False, "checksum");
            var code = (byte[])whole.Clone();
            code[55] = 1;
            Assert.That(NdpPackets.TryReadNeighborAdvertisement(code, out _), Is.False, "code 1");
            Assert.That(NdpPackets.TryReadNeighborAdvertisement(Convert.FromHexString(Ns), out _), Is.False, "a solicitation");
            Assert.That(NdpPackets.TryReadNeighborAdvertisement(NdpPackets.NeighborSolicitationFrame(Lb, Ipv6Address.Parse("fd00::1")), out _), Is.False, "our solicitation");
        });
    }

    /// <summary>
    /// A Linux host answers the solicitation (so it accepted our checksum, hop limit and option) with a unicast NA to the LB MAC,
    /// which the reader reads; the host's neighbour table then holds the LB MAC's link-local address.
    /// </summary>
    [Test, Category("Ovs")]
    public void A_linux_neighbour_answers_the_solicitation()
    {
        string id = Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        using var host = NetNamespace.Create("ovslb-ndh-" + id);
        using var prober = NetNamespace.Create("ovslb-ndp-" + id);
        prober.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", host.Name);
        host.Exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0");
        host.Ip("link", "set", "eth0", "address", "02:00:00:00:00:11", "up");
        host.Ip("-6", "addr", "add", "fd00::11/64", "dev", "eth0", "nodad");
        prober.Ip("link", "set", "eth0", "up");

        var frame = NdpPackets.NeighborSolicitationFrame(Lb, Ipv6Address.Parse("fd00::11"));
        var reply = ProcessRunner.Run("ip", ["netns", "exec", prober.Name, "python3", "-c", SendAndReceive, "eth0", Convert.ToHexString(frame)]);
        Assert.That(reply.ExitCode, Is.Zero, $"no advertisement came back within 5 s: {reply.Stderr}");
        var bytes = Convert.FromHexString(reply.Stdout.Trim());
        TestContext.Out.WriteLine($"Linux answered: {reply.Stdout.Trim()}");
        Assert.That(NdpPackets.TryReadNeighborAdvertisement(bytes, out var na), Is.True);
        Assert.That(na, Is.EqualTo(new NeighborAdvertisement(Ipv6Address.Parse("fd00::11"), MacAddress.Parse("02:00:00:00:00:11"), false, true, true)));
        Assert.That(MacAddress.Read(bytes), Is.EqualTo(Lb), "unicast to the LB MAC");
        Assert.That(host.Ip("-6", "neigh", "show", "dev", "eth0").Stdout, Does.Contain("fe80::ff:fe00:1fe lladdr 02:00:00:00:01:fe"));
    }

    /// <summary>Sends one frame on an interface (AF_PACKET) and prints the first ICMPv6 neighbour advertisement received on it within 5 s.</summary>
    private const string SendAndReceive = """
        import select, socket, sys, time
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86dd))
        s.bind((sys.argv[1], 0))
        s.send(bytes.fromhex(sys.argv[2]))
        end = time.monotonic() + 5
        while (left := end - time.monotonic()) > 0:
            if not select.select([s], [], [], left)[0]:
                break
            d, a = s.recvfrom(2048)
            if a[2] != socket.PACKET_OUTGOING and len(d) > 54 and d[20] == 58 and d[54] == 136:
                print(d.hex())
                sys.exit(0)
        sys.exit(1)
        """;
}
