using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// Cluster mode, the partitioned master (issue 13): two <c>ovslb run</c> instances on a 3-member etcd, two bridges each
/// connected to both. Their <c>/status</c> cluster section and <c>/metrics</c> cluster gauges agree with OVS on who is
/// master. Then the master of the first bridge is stopped with SIGSTOP: its lease runs out, the other instance takes over
/// with a higher generation. On SIGCONT the old master closes its write gate by its own clock (lease deadline passed)
/// and goes standby: no FLOW_MOD or GROUP_MOD from it reaches ovs-vswitchd (its vconn log), and the flows are the new
/// master's.
/// </summary>
[TestFixture, Category("Ovs"), Category("Etcd")]
public partial class ClusterPartitionTests
{
    private const int LeaseTtlSeconds = 3;
    private const ulong FirstDpid = 0x4b01;
    private const string Prefix = "/has";
    private static readonly string[] Names = ["has-a", "has-b"];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static string Bridge(int i) => $"has{i}";

    private static string LbConfig()
    {
        var bridges = string.Join(",", Enumerable.Range(0, 2).Select(i => $$"""{ "name": "{{Bridge(i)}}", "lbMac": "02:00:00:00:4b:0{{i}}", "uplink": 1 }"""));
        var services = string.Join(",", Enumerable.Range(0, 2).Select(i => $$"""
            { "name": "web{{i}}", "vip": "10.1.{{i}}.100", "protocol": "tcp", "port": 80, "mode": "direct", "bridges": [ "{{Bridge(i)}}" ],
              "backends": [ { "name": "s{{i}}a", "ip": "10.1.{{i}}.11", "mac": "02:00:00:01:0{{i}}:11", "bridge": "{{Bridge(i)}}", "port": 11 },
                            { "name": "s{{i}}b", "ip": "10.1.{{i}}.12", "mac": "02:00:00:01:0{{i}}:12", "bridge": "{{Bridge(i)}}", "port": 12 } ] }
            """));
        return $$"""{ "healthCheck": { "kind": "none" }, "bridges": [ {{bridges}} ], "services": [ {{services}} ] }""";
    }


    private static OvslbRun StartInstance(EtcdCluster etcd, string name) => ClusterProcesses.StartInstance(etcd, name, Prefix, LeaseTtlSeconds);

    [Test]
    public void Status_and_metrics_show_the_cluster_and_a_SIGSTOPped_master_is_replaced_and_writes_nothing_when_resumed()
    {
        using var etcd = EtcdCluster.Start();
        using var ovs = OvsSandbox.Start();
        var runs = new List<OvslbRun>();
        try
        {
            using (var file = new Ovslb.TempFile(LbConfig()))
            {
                var put = Ovslb.Run("config", "put", file.Path, $"--Cluster:Etcd={etcd.Endpoints}", $"--Cluster:Prefix={Prefix}");
                Assert.That(put.Code, Is.Zero, put.Err);
            }
            foreach (var name in Names) runs.Add(StartInstance(etcd, name));
            var targets = runs.Select(r => $"tcp:127.0.0.1:{r.OpenFlowPort(TimeSpan.FromSeconds(60))}").ToList();
            foreach (var r in runs) r.WaitFor("cluster instances: has-a, has-b", 0, Bound);
            for (int i = 0; i < 2; i++)
            {
                ovs.AddBridge(Bridge(i), FirstDpid + (ulong)i);
                ovs.AddDummyPort(Bridge(i), $"has{i}up", 1);
                ovs.AddDummyPort(Bridge(i), $"has{i}s1", 11);
                ovs.AddDummyPort(Bridge(i), $"has{i}s2", 12);
                var args = new List<string>();
                for (int c = 0; c < targets.Count; c++) args.AddRange(["--", $"--id=@c{c}", "create", "controller", $"target=\"{targets[c]}\"", "max_backoff=1000"]);
                args.AddRange(["--", "set", "bridge", Bridge(i), "controller=" + string.Join(",", targets.Select((_, c) => $"@c{c}"))]);
                ovs.Vsctl([.. args]);
            }
            Dictionary<string, List<string>> masters = [];
            Assert.That(ProcessRunner.WaitUntil(() => (masters = ClusterProcesses.OvsMasters(ovs)).Count(kv => kv.Key.StartsWith("has", StringComparison.Ordinal) && kv.Value.Count == 1) == 2,
                Bound, TimeSpan.FromMilliseconds(200)), Is.True, string.Join("\n---\n", runs.Select(r => r.Tail(15))));
            var masterOf = Enumerable.Range(0, 2).ToDictionary(i => FirstDpid + (ulong)i, i => targets.IndexOf(masters[Bridge(i)][0]));
            var generation = masterOf.ToDictionary(kv => kv.Key, kv => ClusterProcesses.Masterships(runs[kv.Value]).Last(m => m.Dpid == kv.Key).Generation);

            // /status and /metrics of both instances: same masters and generations as OVS and the logs.
            for (int i = 0; i < runs.Count; i++)
            {
                int me = i;
                Assert.That(ProcessRunner.WaitUntil(() => ClusterAgrees(runs[me], me, masterOf, generation), Bound, TimeSpan.FromMilliseconds(200)), Is.True,
                    $"{Names[i]} /status cluster section:\n{runs[i].Status()["cluster"]}");
                AssertMetrics(runs[i], me, masterOf, generation);
            }
            TestContext.Out.WriteLine($"{Names[0]} /status cluster section:\n{runs[0].Status()["cluster"]}");

            // SIGSTOP the first bridge's master; the other instance takes over its bridges.
            int victim = masterOf[FirstDpid];
            int other = 1 - victim;
            var orphaned = masterOf.Where(kv => kv.Value == victim).Select(kv => kv.Key).ToList();
            ovs.Appctl("vlog/set", "vconn:file:dbg");
            var clock = Stopwatch.StartNew();
            Posix.Kill(runs[victim].Process.Pid, Posix.SigStop);
            var taken = new Dictionary<ulong, (ulong Generation, TimeSpan At)>();
            bool tookOver = ProcessRunner.WaitUntil(() =>
            {
                foreach (var (dpid, gen) in ClusterProcesses.Masterships(runs[other]))
                {
                    if (orphaned.Contains(dpid) && !taken.ContainsKey(dpid) && gen > generation[dpid]) taken[dpid] = (gen, clock.Elapsed);
                }
                return taken.Count == orphaned.Count;
            }, TimeSpan.FromSeconds(LeaseTtlSeconds + 10), TimeSpan.FromMilliseconds(50));
            TestContext.Out.WriteLine($"SIGSTOP {Names[victim]} (master of {string.Join(", ", orphaned.Select(d => d.ToString("x")))}); {Names[other]} took over: " +
                string.Join(", ", taken.Select(kv => $"{kv.Key:x} gen {kv.Value.Generation} after {kv.Value.At.TotalSeconds:0.00} s (TTL {LeaseTtlSeconds} s)")));
            Assert.That(tookOver, Is.True, runs[other].Tail(20));
            Assert.That(taken.Values.Max(t => t.At), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(LeaseTtlSeconds + 1)), "takeover within lease TTL + 1 s");
            Assert.That(ProcessRunner.WaitUntil(() => ClusterProcesses.OvsMasters(ovs).Where(kv => kv.Key.StartsWith("has", StringComparison.Ordinal)).All(kv => kv.Value.SequenceEqual([targets[other]])),
                Bound, TimeSpan.FromMilliseconds(200)), Is.True, "OVS: the other instance masters both bridges");
            var flowsNew = Enumerable.Range(0, 2).ToDictionary(Bridge, i => ovs.DumpFlows(Bridge(i)));
            var groupsNew = Enumerable.Range(0, 2).ToDictionary(Bridge, i => ovs.DumpGroups(Bridge(i)));

            // SIGCONT: the old master stops writing by its own clock and goes standby; nothing it sends changes a switch.
            long logFrom = new FileInfo(ovs.VswitchdLog).Length;
            int linesBefore = runs[victim].Lines.Count;
            var resumed = Stopwatch.StartNew();
            Posix.Kill(runs[victim].Process.Pid, Posix.SigCont);
            foreach (var dpid in orphaned) runs[victim].WaitFor(Regex.Escape($"bridge {dpid:x16}: {Names[victim]} is a standby (SLAVE)"), linesBefore, Bound);
            var standbyAt = resumed.Elapsed;
            Assert.That(ProcessRunner.WaitUntil(() => ClusterAgrees(runs[victim], victim, orphaned.ToDictionary(d => d, _ => other), taken.ToDictionary(kv => kv.Key, kv => kv.Value.Generation)),
                Bound, TimeSpan.FromMilliseconds(200)), Is.True, $"{Names[victim]} /status after SIGCONT:\n{runs[victim].Status()["cluster"]}");
            var sinceResume = runs[victim].Lines.Skip(linesBefore).ToList();
            string why = string.Join("\n", sinceResume.Where(l => l.Contains("stopped writing at once", StringComparison.Ordinal) || l.Contains("is a standby", StringComparison.Ordinal) || l.Contains("lease", StringComparison.Ordinal)));
            TestContext.Out.WriteLine($"{Names[victim]} after SIGCONT (standby after {standbyAt.TotalMilliseconds:0} ms):\n{why}");

            string log = ClusterProcesses.ReadFrom(ovs.VswitchdLog, logFrom);
            var fromVictim = Regex.Matches(log, $@"\|vconn\|[^\n]*{Regex.Escape(targets[victim])}[^\n]*received: (OFPT_\w+)").Select(m => m.Groups[1].Value).ToList();
            var refused = Regex.Matches(log, $@"{Regex.Escape(targets[victim])}[^\n]*(OFPBRC_IS_SLAVE|OFPRRFC_STALE)").Select(m => m.Groups[1].Value).ToList();
            TestContext.Out.WriteLine($"ovs-vswitchd received from {Names[victim]} after SIGCONT: {string.Join(", ", fromVictim.GroupBy(t => t).Select(g => $"{g.Key} x{g.Count()}"))}; errors sent to it: {string.Join(", ", refused.Distinct())}");
            Assert.That(Regex.IsMatch(log, @"\|vconn\|[^\n]*due to excessive rate"), Is.False, "vconn debug log rate-limited: counts would be incomplete");
            Assert.That(fromVictim.Count(t => t is "OFPT_FLOW_MOD" or "OFPT_GROUP_MOD" or "OFPT_BUNDLE_ADD_MESSAGE"), Is.Zero, "no write from the resumed old master:\n" + log);
            foreach (var (bridge, flows) in flowsNew) Assert.That(ovs.DumpFlows(bridge), Is.EqualTo(flows), bridge);
            foreach (var (bridge, groups) in groupsNew) Assert.That(ovs.DumpGroups(bridge), Is.EqualTo(groups), bridge);
            AssertMetrics(runs[victim], victim, masterOf.ToDictionary(kv => kv.Key, _ => other), masterOf.ToDictionary(kv => kv.Key, kv => taken.TryGetValue(kv.Key, out var t) ? t.Generation : generation[kv.Key]));
        }
        finally
        {
            foreach (var r in runs)
            {
                try { Posix.Kill(r.Process.Pid, Posix.SigCont); } catch (InvalidOperationException) { }
                r.Dispose();
            }
        }
    }

    /// <summary>The instance's /status cluster section names the expected master, generation and "this instance" flag for each bridge.</summary>
    private static bool ClusterAgrees(OvslbRun run, int me, Dictionary<ulong, int> masterOf, Dictionary<ulong, ulong> generation)
    {
        var c = run.Status()["cluster"];
        if (c is null || (string?)c["instance"] != Names[me] || c["leaseValid"]?.GetValue<bool>() != true || c["etcdUp"]?.GetValue<bool>() != true) return false;
        var bridges = c["bridges"]!.AsArray();
        foreach (var (dpid, inst) in masterOf)
        {
            var b = bridges.FirstOrDefault(x => (string?)x!["datapathId"] == dpid.ToString("x16"));
            if (b is null || (string?)b["master"] != Names[inst] || b["generationId"]!.GetValue<ulong>() != generation[dpid]
                || b["isThisInstance"]!.GetValue<bool>() != (inst == me) || b["candidates"]!.AsArray().Count != 2) return false;
        }
        return true;
    }

    /// <summary>/metrics: valid text (promtool when installed), master 1/0 and the generation per bridge, lease left within the TTL, etcd up.</summary>
    private static void AssertMetrics(OvslbRun run, int me, Dictionary<ulong, int> masterOf, Dictionary<ulong, ulong> generation)
    {
        string text = run.Get("/metrics");
        var r = PrometheusExposition.Promtool(text);
        if (r is not null) Assert.That(r.ExitCode, Is.Zero, $"promtool check metrics:\n{r.Stdout}{r.Stderr}");
        var samples = PrometheusExposition.Parse(text);
        foreach (var (dpid, inst) in masterOf)
        {
            string d = dpid.ToString("x16");
            Assert.That(samples.Single(s => s.Name == "ovslb_cluster_master" && s["datapath_id"] == d).Value, Is.EqualTo(inst == me ? 1 : 0), $"{Names[me]} master {d}");
            Assert.That(samples.Single(s => s.Name == "ovslb_cluster_generation" && s["datapath_id"] == d).Value, Is.EqualTo((double)generation[dpid]), $"{Names[me]} generation {d}");
        }
        Assert.That(samples.Single(s => s.Name == "ovslb_cluster_lease_remaining_seconds").Value, Is.InRange(0.5, LeaseTtlSeconds));
        Assert.That(samples.Single(s => s.Name == "ovslb_cluster_etcd_up").Value, Is.EqualTo(1));
    }

}
