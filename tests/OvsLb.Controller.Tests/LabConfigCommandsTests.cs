using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OvsLb.Controller.Cli;
using OvsLb.Controller.Tests.Provisioning;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Hashing;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// The debugging verbs on the lab's own configurations (<c>lab/MODE/config.json</c>), against a real OVS
/// that a real <c>ovslb run</c> programmed: <c>validate</c> accepts each file, <c>diff</c> finds nothing
/// to change, <c>flows --switch</c> prints exactly what <c>ovs-ofctl dump-flows</c> shows, and
/// <c>which</c> agrees with <c>ofproto/trace</c> on 100 random connections per balancing bridge.
/// </summary>
[TestFixture, Category("Ovs")]
public class LabConfigCommandsTests
{
    public static readonly string[] Modes = ["direct", "translate", "portgroup", "distributed", "nat", "fullnat"];

    private static string Config(string mode) => Repo.PathOf($"lab/{mode}/config.json");

    /// <summary>Bridges of a lab configuration with their datapath ids and the port numbers it names (uplink, backends).</summary>
    private static List<(string Name, ulong Dpid, SortedSet<int> Ports)> Bridges(string mode)
    {
        var root = JsonNode.Parse(string.Join('\n', File.ReadAllLines(Config(mode)).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal))))!;
        var lb = root["LoadBalancer"] ?? root;
        var result = new List<(string, ulong, SortedSet<int>)>();
        var bridges = lb["bridges"]!.AsArray();
        foreach (var b in bridges)
        {
            string name = (string)b!["name"]!;
            var ports = new SortedSet<int>();
            if (b["uplink"] is JsonValue u && u.TryGetValue(out int up)) ports.Add(up);
            foreach (var s in lb["services"]!.AsArray())
            {
                foreach (var be in s!["backends"]!.AsArray())
                {
                    bool here = (string?)be!["bridge"] == name || (be["bridge"] is null && bridges.Count == 1);
                    if (here && be["port"] is JsonValue p && p.TryGetValue(out int no)) ports.Add(no);
                }
            }
            result.Add((name, Convert.ToUInt64(((string)b["datapathId"]!)[2..], 16), ports));
        }
        return result;
    }

    [TestCaseSource(nameof(Modes))]
    public void Validate_diff_flows_and_which_agree_with_the_switch_the_controller_programmed(string mode)
    {
        var v = Ovslb.Run("validate", Config(mode));
        Assert.That(v.Code, Is.Zero, v.Out + v.Err);

        using var ovs = OvsSandbox.Start();
        var bridges = Bridges(mode);
        foreach (var (name, dpid, ports) in bridges)
        {
            ovs.AddBridge(name, dpid);
            foreach (int p in ports) ovs.AddDummyPort(name, $"{name}-p{p}", p);
        }
        using var controller = OvslbRun.Start(["--config", Config(mode), "--Controller:Listen:0=127.0.0.1:0", "--Status:Listen=127.0.0.1:0"]);
        try
        {
            int port = controller.OpenFlowPort();
            foreach (var b in bridges) ovs.SetController(b.Name, $"tcp:127.0.0.1:{port}");
            foreach (var (name, _, _) in bridges)
            {
                string target = "unix:" + ovs.MgmtSocket(name);
                (int Code, string Out, string Err) d = default;
                Assert.That(ProcessRunner.WaitUntil(() => (d = Ovslb.Run("diff", "--config", Config(mode), "--switch", target, "--bridge", name)).Code == 0,
                    TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)), Is.True, $"{mode}/{name}: diff\n{d.Out}{d.Err}\n{controller.Tail()}");
                var flows = Ovslb.Run("flows", "--config", Config(mode), "--bridge", name, "--switch", target, "--plain");
                Assert.That(flows.Code, Is.Zero, flows.Err);
                Assert.That(Ovslb.Lines(flows.Out).Order(StringComparer.Ordinal), Is.EqualTo(ovs.DumpFlows(name).Where(f => !f.StartsWith("cookie=0x4c42ff", StringComparison.Ordinal))),
                    $"{mode}/{name}: flows --switch --plain equals dump-flows");
                if (ovs.DumpGroups(name).Count > 0) WhichAgreesWithTrace(ovs, mode, name, target);
            }
        }
        finally
        {
            controller.Stop(TimeSpan.FromSeconds(15));
        }
    }

    private static void WhichAgreesWithTrace(OvsSandbox ovs, string mode, string bridge, string target)
    {
        var root = JsonNode.Parse(string.Join('\n', File.ReadAllLines(Config(mode)).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal))))!;
        var svc = (root["LoadBalancer"] ?? root)["services"]!.AsArray()[0]!;
        string vip = (string)svc["vip"]!;
        ushort servicePort = svc["port"] is JsonValue pv && pv.TryGetValue(out int sp) ? (ushort)sp : (ushort)80;
        var rnd = new Random(mode.GetHashCode(StringComparison.Ordinal) ^ Environment.TickCount);
        int agreed = 0;
        var buckets = new HashSet<int>();
        for (int i = 0; i < 100; i++)
        {
            var src = new Ipv4Address((uint)rnd.NextInt64(0x01000000, 0xdf000000));
            ushort sport = (ushort)rnd.Next(1024, 65536);
            var r = Ovslb.Run("which", "--config", Config(mode), "--bridge", bridge, "--switch", target, "tcp", $"{src}:{sport}", $"{vip}:{servicePort}");
            Assert.That(r.Code, Is.Zero, r.Out + r.Err);
            var a = WhichAnswer.Parse(new FiveTuple(IpProtocol.Tcp, src, sport, Ipv4Address.Parse(vip), servicePort), r.Out);
            string trace = ovs.Appctl("ofproto/trace", bridge, a.TraceFlow).Stdout;
            var used = Regex.Match(trace, @"-> using bucket (\d+)");
            Assert.That(used.Success, Is.True, trace);
            Assert.That(int.Parse(used.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(a.Bucket), $"{mode}: {a.Tuple}\n{trace}");
            buckets.Add(a.Bucket);
            agreed++;
            if (i == 0 && mode is not ("nat" or "fullnat"))
            {
                // Persistence: no entry before the connection's first packet; after it (the trace run for real, its learn
                // executed), which names the learned entry and the backend it pins, the one it predicted.
                Assert.That(r.Out, Does.Contain("pinned:   no entry in table 21"), r.Out);
                ovs.Appctl("ofproto/trace", bridge, a.TraceFlow, "-generate");
                var again = Ovslb.Run("which", "--config", Config(mode), "--bridge", bridge, "--switch", target, "tcp", $"{src}:{sport}", $"{vip}:{servicePort}");
                Assert.That(again.Out, Does.Contain($"pinned:   table 21 learned entry → {a.Backend} (reg1=0x"), again.Out);
                TestContext.Out.WriteLine($"{mode}: after one packet of {a.Tuple}: {again.Out.Split('\n').First(l => l.StartsWith("pinned:", StringComparison.Ordinal))}");
            }
            else if (i == 0)
            {
                Assert.That(r.Out, Does.Contain("pinned:   by the connection tracker (zone 64256)"), r.Out);
            }
        }
        TestContext.Out.WriteLine($"{mode}/{bridge}: ofproto/trace used which's bucket for {agreed}/100 connections ({buckets.Count} distinct buckets)");
    }
}
