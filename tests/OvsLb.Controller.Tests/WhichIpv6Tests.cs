using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Controller.Cli;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Hashing;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb which</c> for IPv6 connections (<c>tcp [SRC6]:PORT [VIP6]:PORT</c>) against Open vSwitch 3.1 (dummy datapath), in the
/// style of <see cref="WhichCommandTests"/>: on the ipv6 and dualstack scenarios, (1) <c>ofproto/trace</c> given the dp_hash
/// <c>which</c> reports uses its bucket and sets its backend's MAC, and (2) the same IPv6 TCP packets injected into the
/// datapath get exactly that dp_hash after the group's recirculation (flow_hash_symmetric_l3l4's IPv6 branch).
/// </summary>
[TestFixture, Category("Ovs")]
public class WhichIpv6Tests
{
    [Test]
    public void Which_agrees_with_ofproto_trace_and_the_datapaths_dp_hash_on_ipv6_connections()
    {
        int seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var rnd = new Random(seed);
        using var ovs = OvsSandbox.Start();
        string[] ports = ["uplink=1", "s1=11", "s2=12", "s3=13"];
        var bridges = new[] { ("ipv6", ovs.AddBridge("br6")), ("dualstack", ovs.AddBridge("brds")) };
        foreach (var (scenario, br) in bridges) Install(ovs, scenario, br, ports);
        var macs = DebugPlan.LoadConfig(Ovslb.Config("ipv6")).Services.SelectMany(s => s.Backends).ToDictionary(b => b.Name, b => b.Mac!.Value.ToString());

        var answers = new List<(string Bridge, WhichAnswer Answer)>();
        for (int i = 0; i < 60; i++)
        {
            var (scenario, br) = bridges[i % bridges.Length];
            var src = new Ipv6Address(new UInt128(0x2001_0db8_0000_0000UL + (uint)rnd.Next(0, 0xffff), (ulong)rnd.NextInt64()));
            var t = FiveTuple.V6(IpProtocol.Tcp, src, (ushort)rnd.Next(1024, 65536), Ipv6Address.Parse("fd00::100"), 80);
            var r = Ovslb.Run("which", "--config", Ovslb.Config(scenario), "--bridge", "br-lb", "--ports", string.Join(",", ports),
                "tcp", $"[{t.Source6}]:{t.SourcePort}", $"[{t.Destination6}]:{t.DestinationPort}");
            Assert.That(r.Code, Is.Zero, r.Out + r.Err);
            Assert.That(r.Out, Does.Contain($"service:  web{(scenario == "ipv6" ? "6" : "")} (tcp [fd00::100]:80, direct)"), r.Out);
            answers.Add((br, WhichAnswer.Parse(t, r.Out)));
        }

        // (1) ofproto/trace, given which's dp_hash, uses which's bucket and sends to which's backend.
        foreach (var (br, a) in answers)
        {
            Assert.That(a.TraceFlow, Does.StartWith("in_port=1,tcp6,dl_dst=02:00:00:00:00:fe,ipv6_src="));
            string trace = ovs.Appctl("ofproto/trace", br, a.TraceFlow).Stdout;
            var used = Regex.Match(trace, @"-> using bucket (\d+)");
            Assert.That(used.Success, Is.True, trace);
            Assert.That(int.Parse(used.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(a.Bucket), $"{a.Tuple}: bucket\n{trace}");
            string actions = Regex.Match(trace, "^Datapath actions: (.*)$", RegexOptions.Multiline).Groups[1].Value;
            Assert.That(actions, Does.Contain($"set(eth(dst={macs[a.Backend]}))"), $"{a.Tuple}: which says {a.Backend}\n{trace}");
        }
        TestContext.Out.WriteLine($"ofproto/trace agreed on {answers.Count} IPv6 connections over {answers.Select(a => a.Answer.Backend).Distinct().Count()} backends and {answers.Select(a => a.Answer.Bucket).Distinct().Count()} buckets");

        // (2) The datapath hashes the real IPv6 packet to the same dp_hash.
        foreach (var (br, a) in answers)
        {
            ovs.Appctl("revalidator/purge");
            var tu = a.Tuple;
            ovs.Appctl("netdev-dummy/receive", $"{br}-uplink",
                $"in_port(1),eth(src=02:00:00:00:aa:01,dst=02:00:00:00:00:fe),eth_type(0x86dd),ipv6(src={tu.Source6},dst={tu.Destination6},label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src={tu.SourcePort},dst={tu.DestinationPort})");
            uint? seen = null;
            Assert.That(ProcessRunner.WaitUntil(() => (seen = WhichCommandTests.RecirculatedDpHash(ovs)) is not null, TimeSpan.FromSeconds(5)), Is.True, $"{tu}: no recirculated datapath flow");
            Assert.That(seen, Is.EqualTo(a.DpHash), $"{tu}: datapath dp_hash 0x{seen:x8}, which said 0x{a.DpHash:x8}");
        }
        TestContext.Out.WriteLine($"the datapath's dp_hash equalled which's on all {answers.Count} IPv6 TCP packets");
    }

    [Test]
    public void Ipv6_tuples_are_parsed_and_mixed_families_refused()
    {
        var t = WhichCommand.ParseTuple(["tcp", "[fd00::2]:40000", "[fd00::100]:80"]);
        Assert.That((t.IsIpv6, t.Source6.ToString(), t.SourcePort, t.Destination6.ToString(), t.DestinationPort, t.ToString()),
            Is.EqualTo((true, "fd00::2", (ushort)40000, "fd00::100", (ushort)80, "tcp [fd00::2]:40000 -> [fd00::100]:80")));
        Assert.Throws<UsageException>(() => WhichCommand.ParseTuple(["tcp", "192.0.2.7:40000", "[fd00::100]:80"]));
        Assert.Throws<UsageException>(() => WhichCommand.ParseTuple(["tcp", "[fd00::2]:40000", "[fd00::100]"]));
        var notVip = Ovslb.Run("which", "--config", Ovslb.Config("dualstack"), "--bridge", "br-lb", "tcp", "[fd00::2]:4000", "[fd00::99]:80");
        Assert.That((notVip.Code, notVip.Out), Is.EqualTo((WhichCommand.ExitNotBalanced,
            "tcp [fd00::2]:4000 -> [fd00::99]:80 on bridge br-lb\nverdict:  fd00::99 is not a VIP on this bridge: a packet to the LB MAC is dropped by table=20; to any other MAC it is switched by NORMAL\n")));
    }

    private static void Install(OvsSandbox ovs, string scenario, string bridge, string[] ports)
    {
        foreach (var p in ports) ovs.AddDummyPort(bridge, $"{bridge}-{p.Split('=')[0]}", int.Parse(p.Split('=')[1], CultureInfo.InvariantCulture));
        string[] common = ["flows", "--config", Ovslb.Config(scenario), "--bridge", "br-lb", "--ports", string.Join(",", ports)];
        using var ff = new Ovslb.TempFile(Ovslb.Run([.. common, "--plain"]).Out, ".txt");
        using var gf = new Ovslb.TempFile(Ovslb.Run([.. common, "--plain-groups"]).Out, ".txt");
        ovs.Ofctl("add-groups", bridge, gf.Path);
        ovs.Ofctl("add-flows", bridge, ff.Path);
    }
}
