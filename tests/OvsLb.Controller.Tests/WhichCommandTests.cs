using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Controller.Cli;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Hashing;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>What <c>ovslb which</c> printed, parsed.</summary>
internal sealed record WhichAnswer(FiveTuple Tuple, uint DpHash, int Bucket, string Backend, string TraceBridge, string TraceFlow)
{
    public static WhichAnswer Parse(FiveTuple t, string output)
    {
        string Field(string pattern)
        {
            var m = Regex.Match(output, pattern, RegexOptions.Multiline);
            Assert.That(m.Success, Is.True, $"'{pattern}' in:\n{output}");
            return m.Groups[1].Value;
        }
        var check = Regex.Match(output, @"^check:    ovs-appctl ofproto/trace (\S+) '([^']+)'$", RegexOptions.Multiline);
        Assert.That(check.Success, Is.True, output);
        // A UDP service picks by multipath (hash: and slot: lines), a TCP one by its select group (dp_hash: and bucket:).
        bool slots = output.Contains("\nslot:     ", StringComparison.Ordinal);
        return new WhichAnswer(t, uint.Parse(Field(slots ? @"^hash:     0x([0-9a-f]{8}) " : @"^dp_hash:  0x([0-9a-f]{8}) "), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            int.Parse(Field(slots ? @"^slot:     (\d+) of " : @"^bucket:   (\d+) = "), CultureInfo.InvariantCulture), Field(@"^backend:  (\S+)"), check.Groups[1].Value, check.Groups[2].Value);
    }
}

/// <summary>
/// <c>ovslb which</c> against Open vSwitch 3.1 itself (dummy datapath, which is the userspace datapath's
/// code with in-process ports): for 150 random connections to the direct, translate and udp scenarios'
/// services, (1) <c>ofproto/trace</c> with the dp_hash <c>which</c> reports picks the same bucket (UDP: multipath
/// writes the slot <c>which</c> reports into reg2, hrw with 16 slots and iter_hash with 256) and delivers to the
/// backend <c>which</c> names, and (2) the same TCP packets injected into the datapath get,
/// after the select group's recirculation, exactly the 32-bit dp_hash <c>which</c> computed
/// (read back from <c>dpctl/dump-flows</c>). Real veth packets: <see cref="WhichRealPacketTests"/>.
/// </summary>
[TestFixture, Category("Ovs")]
public class WhichCommandTests
{
    private sealed record Target(string Scenario, string ConfigBridge, string Bridge, byte Protocol, ushort Port, string[] Ports);

    [Test]
    public void Which_agrees_with_ofproto_trace_and_with_the_datapaths_dp_hash_on_100_random_connections()
    {
        int seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var rnd = new Random(seed);
        using var ovs = OvsSandbox.Start();
        Target[] targets =
        [
            new("direct", "br-lb", ovs.AddBridge("brd"), IpProtocol.Tcp, 80, ["uplink=1", "s1=11", "s2=12", "s3=13"]),
            new("translate", "br-lb", ovs.AddBridge("brt", 0xa1), IpProtocol.Tcp, 8080, ["uplink0=1"]),
            new("translate", "br-lb", "brt", IpProtocol.Udp, 53, ["uplink0=1"]),
            new("udp", "br-lb", ovs.AddBridge("bru"), IpProtocol.Udp, 53, ["uplink=1", "s1=11", "s2=12", "s3=13"]),
            new("udp", "br-lb", "bru", IpProtocol.Udp, 514, ["uplink=1", "s1=11", "s2=12", "s3=13"]),
        ];
        foreach (var t in targets.DistinctBy(t => t.Bridge)) Install(ovs, t);
        // The translate bridge learns its gateway from an ARP, so translated packets leave (and show their new ip_dst).
        ovs.Appctl("netdev-dummy/receive", "brt-uplink0",
            "in_port(1),eth(src=02:00:00:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.1,op=1,sha=02:00:00:00:00:01,tha=00:00:00:00:00:00)");
        Assert.That(ProcessRunner.WaitUntil(() => ovs.DumpFlows("brt").Any(f => f.Contains("table=50, hard_timeout=60", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)), Is.True, "gateway learned");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = new List<(Target Target, WhichAnswer Answer)>();
        for (int i = 0; i < 150; i++)
        {
            var t = targets[i % targets.Length];
            var tuple = new FiveTuple(t.Protocol, new Ipv4Address((uint)rnd.NextInt64(0x01000000, 0xdf000000)), (ushort)rnd.Next(1024, 65536),
                Ipv4Address.Parse("10.0.0.100"), t.Port);
            var r = Ovslb.Run("which", "--config", Ovslb.Config(t.Scenario), "--bridge", t.ConfigBridge, "--ports", string.Join(",", t.Ports),
                tuple.ProtocolName, $"{tuple.Source}:{tuple.SourcePort}", $"{tuple.Destination}:{tuple.DestinationPort}");
            Assert.That(r.Code, Is.Zero, r.Out + r.Err);
            answers.Add((t, WhichAnswer.Parse(tuple, r.Out)));
        }
        var backends = Backends();
        TestContext.Out.WriteLine($"{answers.Count} x ovslb which: {clock.ElapsedMilliseconds} ms");

        // (1) ofproto/trace, given the dp_hash which reports, uses which's bucket and reaches which's backend.
        foreach (var (t, a) in answers)
        {
            Assert.That(a.TraceBridge, Is.EqualTo(t.ConfigBridge));
            string trace = ovs.Appctl("ofproto/trace", t.Bridge, a.TraceFlow).Stdout;
            if (t.Protocol == IpProtocol.Udp)
            {
                // multipath wrote the slot into reg2; the slot table's flow for it matched.
                var slot = Regex.Match(trace, @"^\s*27\. udp,reg2=(0x[0-9a-f]+|\d+),", RegexOptions.Multiline);
                Assert.That(slot.Success, Is.True, trace);
                Assert.That(Convert.ToInt32(slot.Groups[1].Value, slot.Groups[1].Value.StartsWith("0x", StringComparison.Ordinal) ? 16 : 10), Is.EqualTo(a.Bucket), $"{a.Tuple}: slot\n{trace}");
            }
            else
            {
                var used = Regex.Match(trace, @"-> using bucket (\d+)");
                Assert.That(used.Success, Is.True, trace);
                Assert.That(int.Parse(used.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(a.Bucket), $"{a.Tuple}: bucket\n{trace}");
            }
            string actions = Regex.Match(trace, "^Datapath actions: (.*)$", RegexOptions.Multiline).Groups[1].Value;
            var (mac, ip) = backends[a.Backend];
            // Direct: the backend's MAC. Translate: ip_dst becomes the backend's address, towards the learned gateway.
            string expect = t.Scenario is "direct" or "udp" ? $"set(eth(dst={mac}))" : $"dst={ip}";
            Assert.That(actions, Does.Contain(expect), $"{a.Tuple}: which says {a.Backend}\n{trace}");
        }
        TestContext.Out.WriteLine($"ofproto/trace agreed on {answers.Count} connections over {answers.Select(a => a.Answer.Backend).Distinct().Count()} backends and {answers.Select(a => a.Answer.Bucket).Distinct().Count()} buckets ({clock.ElapsedMilliseconds} ms so far)");

        // (2) The datapath computes the same dp_hash for the real packet (TCP: UDP's multipath runs in translation, (1)).
        long traced = clock.ElapsedMilliseconds;
        foreach (var (t, a) in answers.Where(x => x.Target.Protocol == IpProtocol.Tcp))
        {
            ovs.Appctl("revalidator/purge");
            var tu = a.Tuple;
            string l4 = tu.Protocol == IpProtocol.Tcp ? "tcp" : "udp";
            ovs.Appctl("netdev-dummy/receive", $"{t.Bridge}-{t.Ports[0].Split('=')[0]}",
                $"in_port(1),eth(src=02:00:00:00:aa:01,dst=02:00:00:00:00:fe),eth_type(0x0800),ipv4(src={tu.Source},dst={tu.Destination},proto={tu.Protocol},tos=0,ttl=64,frag=no),{l4}(src={tu.SourcePort},dst={tu.DestinationPort})");
            uint? seen = null;
            Assert.That(ProcessRunner.WaitUntil(() => (seen = RecirculatedDpHash(ovs)) is not null, TimeSpan.FromSeconds(5)), Is.True, $"{tu}: no recirculated datapath flow");
            Assert.That(seen, Is.EqualTo(a.DpHash), $"{tu}: datapath dp_hash 0x{seen:x8}, which said 0x{a.DpHash:x8}");
        }
        TestContext.Out.WriteLine($"the datapath's dp_hash equalled which's on all {answers.Count(x => x.Target.Protocol == IpProtocol.Tcp)} TCP packets ({clock.ElapsedMilliseconds - traced} ms)");
    }

    /// <summary>The dp_hash of the one datapath flow that matches on it (after the group's recirculation), or null.</summary>
    internal static uint? RecirculatedDpHash(OvsSandbox ovs)
    {
        var hashes = Regex.Matches(ovs.Appctl("dpctl/dump-flows").Stdout, @"dp_hash\(0x([0-9a-f]+)/0x[0-9a-f]+\)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.That(hashes, Has.Count.LessThanOrEqualTo(1), "one packet, one recirculated flow");
        return hashes.Count == 0 ? null : uint.Parse(hashes[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static void Install(OvsSandbox ovs, Target t)
    {
        foreach (var p in t.Ports) ovs.AddDummyPort(t.Bridge, $"{t.Bridge}-{p.Split('=')[0]}", int.Parse(p.Split('=')[1], CultureInfo.InvariantCulture));
        string[] common = ["flows", "--config", Ovslb.Config(t.Scenario), "--bridge", t.ConfigBridge, "--ports", string.Join(",", t.Ports)];
        using var ff = new Ovslb.TempFile(Ovslb.Run([.. common, "--plain"]).Out, ".txt");
        using var gf = new Ovslb.TempFile(Ovslb.Run([.. common, "--plain-groups"]).Out, ".txt");
        ovs.Ofctl("add-groups", t.Bridge, gf.Path);
        ovs.Ofctl("add-flows", t.Bridge, ff.Path);
    }

    /// <summary>Backend name → (MAC, IP) in the direct and translate scenarios (unnamed backends are named by IP).</summary>
    private static Dictionary<string, (string? Mac, string? Ip)> Backends()
    {
        var d = new Dictionary<string, (string?, string?)>();
        foreach (var s in new[] { "direct", "translate", "udp" })
        {
            var c = DebugPlan.LoadConfig(Ovslb.Config(s));
            foreach (var b in c.Services.SelectMany(x => x.Backends)) d[b.Name] = (b.Mac?.ToString(), b.Ip?.ToString());
        }
        return d;
    }

    [Test]
    public void Which_explains_connections_that_no_backend_gets()
    {
        var notPort = Ovslb.Run("which", "--config", Ovslb.Config("translate"), "--bridge", "br-lb", "udp", "192.0.2.7:4000", "10.0.0.100:54");
        Assert.That((notPort.Code, notPort.Out), Is.EqualTo((WhichCommand.ExitNotBalanced,
            "udp 192.0.2.7:4000 -> 10.0.0.100:54 on bridge br-lb\nverdict:  service(s) 'dns' match the VIP but not port 54: table=20 drops it\n")));
        var notVip = Ovslb.Run("which", "--config", Ovslb.Config("direct"), "--bridge", "br-lb", "tcp", "192.0.2.7:4000", "10.0.0.99:80");
        Assert.That(notVip.Out, Does.EndWith("verdict:  10.0.0.99 is not a VIP on this bridge: a packet to the LB MAC is dropped by table=20; to any other MAC it is switched by NORMAL\n"));
        var allDown = Ovslb.Run("which", "--config", Ovslb.Config("direct"), "--bridge", "br-lb", "--down", "web/s1,web/s2,web/s3", "tcp", "192.0.2.7:4000", "10.0.0.100:80");
        Assert.That(allDown.Out, Does.EndWith("verdict:  service(s) 'web' match the VIP but have no live backend on this bridge: table=20 drops it\n"));
        var bad = Ovslb.Run("which", "--config", Ovslb.Config("direct"), "--bridge", "br-lb", "icmp", "192.0.2.7:4000", "10.0.0.100:80");
        Assert.That((bad.Code, bad.Err), Is.EqualTo((CommandLine.ExitUsage, "ovslb which: 'icmp' is not a protocol the pipeline balances (tcp or udp)\n")));
    }
}
