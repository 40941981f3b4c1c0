using OvsLb.Balancer;
using OvsLb.OpenFlow.Packets;
using OvsLb.Testing.Frames;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The probe frames PacketDotNet builds are pinned byte for byte, and the reading of ARP replies agrees with our flow-field parser
/// (<see cref="ParsedPacket"/>) on replies, other ARP, VLAN-tagged and cut-short frames.
/// </summary>
public sealed class ProbePacketsTests
{
    private static readonly MacAddress[] Macs =
        [MacAddress.Parse("02:00:00:00:01:fe"), MacAddress.Zero, MacAddress.Broadcast, MacAddress.Parse("aa:bb:cc:dd:ee:ff"), MacAddress.Parse("01:00:5e:7f:00:01")];

    private static readonly Ipv4Address[] Ips =
        [Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Any, Ipv4Address.Broadcast, Ipv4Address.Parse("192.0.2.50"), Ipv4Address.Parse("172.16.254.3")];

    private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    [Test]
    public void The_bytes_of_a_probe_and_an_announcement_are_pinned()
    {
        var mac = MacAddress.Parse("02:00:00:00:01:fe");
        Assert.Multiple(() =>
        {
            Assert.That(Hex(ProbePackets.ArpProbeFrame(mac, Ipv4Address.Parse("10.0.0.1"))), Is.EqualTo(
                "ffffffffffff" + "0200000001fe" + "0806" + "0001" + "0800" + "06" + "04" + "0001" + "0200000001fe" + "00000000" + "000000000000" + "0a000001"));
            Assert.That(Hex(ProbePackets.GratuitousFrame(mac, Ipv4Address.Parse("192.0.2.50"))), Is.EqualTo(
                "ffffffffffff" + "0200000001fe" + "0806" + "0001" + "0800" + "06" + "04" + "0001" + "0200000001fe" + "c0000232" + "000000000000" + "c0000232"));
            var po = ProbePackets.ArpProbe(mac, Ipv4Address.Parse("10.0.0.1"), 7);
            Assert.That(Hex(po.Data.Span.ToArray()), Is.EqualTo(Hex(ProbePackets.ArpProbeFrame(mac, Ipv4Address.Parse("10.0.0.1")))));
        });
    }

    /// <summary>Frames the health flow may send to the controller, and frames it would not, with every length cut.</summary>
    private static IEnumerable<byte[]> Frames()
    {
        var lb = MacAddress.Parse("02:00:00:00:01:fe");
        var backend = MacAddress.Parse("02:00:00:00:00:0b");
        foreach (var vlan in new VlanTag?[] { null, VlanTag.Dot1Q(100, 3) })
        {
            var reply = TestFrames.ArpReply(backend, Ipv4Address.Parse("10.0.0.11"), lb, Ipv4Address.Any, vlan);
            int n = reply.Length;
            var request = TestFrames.ArpRequest(backend, Ipv4Address.Parse("10.0.0.11"), Ipv4Address.Parse("10.0.0.1"), vlan);
            foreach (var f in new[] { reply, request })
            {
                int len = f.Length;
                for (int cut = 0; cut <= len; cut++) yield return f[..cut];
                var padded = new byte[60];
                f.AsSpan(0, len).CopyTo(padded);
                yield return padded;
            }
            // Another hardware type, protocol type, lengths, and operations 0, 3, 0x0102.
            foreach (var (at, value) in new (int, byte)[] { (1, 6), (3, 0x86), (4, 8), (5, 16), (7, 0), (7, 3), (6, 1) })
            {
                var bad = reply[..n];
                bad[n - 28 + at] = value;
                yield return bad;
            }
        }
        // Two tags (802.1ad outer, 802.1Q inner).
        var inner = TestFrames.ArpReply(backend, Ipv4Address.Parse("10.0.0.12"), lb, Ipv4Address.Any, VlanTag.Dot1Q(200));
        yield return [.. inner.AsSpan(0, 12), 0x88, 0xa8, 0x00, 0x0a, .. inner.AsSpan(12)];
        // Not ARP at all.
        yield return Convert.FromHexString("0200000001fe02000000000b0800450000140000000040060000c0000201c0000202");
    }

    [Test]
    public void Replies_are_read_as_the_flow_field_parser_reads_them()
    {
        int replies = 0;
        Assert.Multiple(() =>
        {
            foreach (var f in Frames())
            {
                var old = ParsedPacket.Parse(f);
                bool oldReply = old.IsArp && old.ArpOp == ArpOp.Reply;
                bool read = ProbePackets.TryReadArpReply(f, out var ip, out var mac);
                Assert.That(read, Is.EqualTo(oldReply), Convert.ToHexString(f));
                if (read && oldReply)
                {
                    replies++;
                    Assert.That((ip, mac), Is.EqualTo((old.ArpSpa, old.ArpSha)), Convert.ToHexString(f));
                }
            }
        });
        Assert.That(replies, Is.EqualTo(5), "whole replies: untagged, untagged padded, tagged, tagged padded, two tags");
    }
}
