using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// Cluster mode with real processes (issue 13): a 3-member etcd, three <c>ovslb run --Cluster:Etcd</c> instances and
/// four bridges each connected to all three. Every bridge gets exactly one master (OVS's own Controller rows say
/// which connection is master), the masters spread over at least two instances, and each master's generation id is
/// its election key's create_revision in etcd. Then one master is killed with SIGKILL: each of its bridges has a new
/// master within the lease TTL + 1 s, and the new masters' read-back reconcile sends no FLOW_MOD or GROUP_MOD
/// (ovs-vswitchd's vconn log), the flows staying as they were.
/// </summary>
[TestFixture, Category("Ovs"), Category("Etcd")]
public partial class ClusterRunTests
{
    private const int LeaseTtlSeconds = 3;
    private const ulong FirstDpid = 0x4a01;
    private static readonly string[] Names = ["hay-a", "hay-b", "hay-c"];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static string Bridge(int i) => $"hay{i}";

    /// <summary>
    /// The shared configuration (stored with <c>ovslb config put</c>): four bridges, one direct-mode service on each (no
    /// health checks: nothing changes by itself); <paramref name="third"/> adds a third backend to each.
    /// </summary>
    private static string LbConfig(bool third = false)
    {
        var bridges = string.Join(",", Enumerable.Range(0, 4).Select(i => $$"""{ "name": "{{Bridge(i)}}", "lbMac": "02:00:00:00:4a:0{{i}}", "uplink": 1 }"""));
        var services = string.Join(",", Enumerable.Range(0, 4).Select(i => $$"""
            { "name": "web{{i}}", "vip": "10.0.{{i}}.100", "protocol": "tcp", "port": 80, "mode": "direct", "bridges": [ "{{Bridge(i)}}" ],
              "backends": [ { "name": "s{{i}}a", "ip": "10.0.{{i}}.11", "mac": "02:00:00:00:0{{i}}:11", "bridge": "{{Bridge(i)}}", "port": 11 },
                            { "name": "s{{i}}b", "ip": "10.0.{{i}}.12", "mac": "02:00:00:00:0{{i}}:12", "bridge": "{{Bridge(i)}}", "port": 12 }{{(third ? Third(i) : "")}} ] }
            """));
        return $$"""{ "healthCheck": { "kind": "none" }, "bridges": [ {{bridges}} ], "services": [ {{services}} ] }""";
    }

    private static string Third(int i) =>
        $$""", { "name": "s{{i}}c", "ip": "10.0.{{i}}.13", "mac": "02:00:00:00:0{{i}}:13", "bridge": "{{Bridge(i)}}", "port": 13 }""";


    /// <summary>Stores the shared configuration with <c>ovslb config put</c>; its revision.</summary>
    private static long Put(EtcdCluster etcd, string lbConfig)
    {
        using var file = new Ovslb.TempFile(lbConfig);
        var (code, stdout, stderr) = Ovslb.Run("config", "put", file.Path, $"--Cluster:Etcd={etcd.Endpoints}", "--Cluster:Prefix=/hay");
        Assert.That(code, Is.Zero, stderr);
        return long.Parse(stdout.Trim().Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static OvslbRun StartInstance(EtcdCluster etcd, string name) => ClusterProcesses.StartInstance(etcd, name, "/hay", LeaseTtlSeconds);

    /// <summary>The leader's create_revision per bridge, read by etcdctl (the referee): the lowest create_revision under the bridge's election.</summary>
    private static Dictionary<ulong, (long Revision, string Instance)> EtcdLeaders(EtcdCluster etcd)
    {
        var json = System.Text.Json.JsonDocument.Parse(etcd.Etcdctl("get", "--prefix", "/hay/elect/", "-w", "json").Stdout);
        var leaders = new Dictionary<ulong, (long, string)>();
        if (!json.RootElement.TryGetProperty("kvs", out var kvs)) return leaders;
        foreach (var kv in kvs.EnumerateArray())
        {
            string key = Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("key").GetString()!));
            string value = Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("value").GetString()!));
            long rev = kv.GetProperty("create_revision").GetInt64();
            ulong dpid = Convert.ToUInt64(key.Split('/')[3], 16);
            if (!leaders.TryGetValue(dpid, out var l) || rev < l.Item1) leaders[dpid] = (rev, value);
        }
        return leaders;
    }

    [Test]
    public void Three_instances_master_four_bridges_once_each_spread_out_and_a_killed_master_is_replaced_within_the_ttl_with_no_mods()
    {
        using var etcd = EtcdCluster.Start();
        using var ovs = OvsSandbox.Start();
        var runs = new List<OvslbRun>();
        try
        {
            long applied = Put(etcd, LbConfig());
            foreach (var name in Names) runs.Add(StartInstance(etcd, name));
            var ports = runs.Select(r => r.OpenFlowPort(TimeSpan.FromSeconds(60))).ToList();
            // Every instance knows all three before the bridges come, so each bridge's preferred instance is the same for all.
            foreach (var r in runs) r.WaitFor("cluster instances: hay-a, hay-b, hay-c", 0, Bound);
            var targets = ports.Select(p => $"tcp:127.0.0.1:{p}").ToList();
            for (int i = 0; i < 4; i++)
            {
                ovs.AddBridge(Bridge(i), FirstDpid + (ulong)i);
                ovs.AddDummyPort(Bridge(i), $"hay{i}up", 1);
                ovs.AddDummyPort(Bridge(i), $"hay{i}s1", 11);
                ovs.AddDummyPort(Bridge(i), $"hay{i}s2", 12);
                ovs.AddDummyPort(Bridge(i), $"hay{i}s3", 13);
                // Each bridge connects to every instance (one Controller row per target, reconnecting within 1 s).
                var args = new List<string>();
                for (int c = 0; c < targets.Count; c++) args.AddRange(["--", $"--id=@c{c}", "create", "controller", $"target=\"{targets[c]}\"", "max_backoff=1000"]);
                args.AddRange(["--", "set", "bridge", Bridge(i), "controller=" + string.Join(",", targets.Select((_, c) => $"@c{c}"))]);
                ovs.Vsctl([.. args]);
            }

            // One master per bridge, as OVS sees it, and the instances agree with etcd on who and with which generation.
            Dictionary<string, List<string>> masters = [];
            bool settled = ProcessRunner.WaitUntil(() =>
                (masters = ClusterProcesses.OvsMasters(ovs)).Count(kv => kv.Key.StartsWith("hay", StringComparison.Ordinal) && kv.Value.Count == 1) == 4, Bound, TimeSpan.FromMilliseconds(200));
            Assert.That(settled, Is.True, $"masters per bridge: {Show(masters)}\n{string.Join("\n---\n", runs.Select(r => r.Tail(15)))}");
            var masterOf = Enumerable.Range(0, 4).ToDictionary(i => FirstDpid + (ulong)i, i => targets.IndexOf(masters[Bridge(i)][0]));
            var leaders = EtcdLeaders(etcd);
            foreach (var (dpid, inst) in masterOf)
            {
                Assert.That(leaders[dpid].Instance, Is.EqualTo(Names[inst]), $"etcd's leader of {dpid:x16}");
                Assert.That(ClusterProcesses.Masterships(runs[inst]), Does.Contain((dpid, (ulong)leaders[dpid].Revision)), $"{Names[inst]} is master of {dpid:x16} with its key's create_revision");
            }
            Assert.That(masterOf.Values.Distinct().Count(), Is.GreaterThanOrEqualTo(2), $"masters spread: {Show(masters)}");
            TestContext.Out.WriteLine($"masters: {string.Join(", ", masterOf.Select(kv => $"{kv.Key:x}={Names[kv.Value]} gen {leaders[kv.Key].Revision}"))}");
            AssertClusterStatus(etcd, masterOf.ToDictionary(kv => kv.Key, kv => (Names[kv.Value], (ulong)leaders[kv.Key].Revision)), connected: 3);
            var flowsBefore = Enumerable.Range(0, 4).ToDictionary(Bridge, i => ovs.DumpFlows(Bridge(i)));
            Assert.That(flowsBefore.Values.All(f => f.Count > 0), Is.True, "the masters installed the services' flows");

            // Kill -9 the instance mastering the most bridges; count what the switch receives from here on.
            int victim = masterOf.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).First().Key;
            var orphaned = masterOf.Where(kv => kv.Value == victim).Select(kv => kv.Key).ToList();
            ovs.Appctl("vlog/set", "vconn:file:dbg");
            long logFrom = new FileInfo(ovs.VswitchdLog).Length;
            var clock = Stopwatch.StartNew();
            Posix.Kill(runs[victim].Process.Pid, Posix.SigKill);

            var taken = new Dictionary<ulong, (int Instance, ulong Generation, TimeSpan At)>();
            ProcessRunner.WaitUntil(() =>
            {
                for (int i = 0; i < runs.Count; i++)
                {
                    if (i == victim) continue;
                    foreach (var (dpid, gen) in ClusterProcesses.Masterships(runs[i]))
                    {
                        if (orphaned.Contains(dpid) && !taken.ContainsKey(dpid) && gen > (ulong)leaders[dpid].Revision) taken[dpid] = (i, gen, clock.Elapsed);
                    }
                }
                return taken.Count == orphaned.Count;
            }, TimeSpan.FromSeconds(LeaseTtlSeconds + 10), TimeSpan.FromMilliseconds(50));
            TestContext.Out.WriteLine($"killed {Names[victim]} (master of {string.Join(", ", orphaned.Select(d => d.ToString("x")))}); new masters: " +
                string.Join(", ", taken.Select(kv => $"{kv.Key:x}={Names[kv.Value.Instance]} gen {kv.Value.Generation} after {kv.Value.At.TotalSeconds:0.00} s")));
            Assert.That(taken.Keys, Is.EquivalentTo(orphaned), string.Join("\n---\n", runs.Where((_, i) => i != victim).Select(r => r.Tail(20))));
            Assert.That(taken.Values.Max(t => t.At), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(LeaseTtlSeconds + 1)), "failover within lease TTL + 1 s");

            // OVS agrees: one master per bridge, none of them the dead instance; the orphaned bridges' masters are the new ones.
            Assert.That(ProcessRunner.WaitUntil(() => (masters = ClusterProcesses.OvsMasters(ovs)).Where(kv => kv.Key.StartsWith("hay", StringComparison.Ordinal))
                    .All(kv => kv.Value.Count == 1 && kv.Value[0] != targets[victim]), Bound, TimeSpan.FromMilliseconds(200)), Is.True, Show(masters));
            foreach (var dpid in orphaned) Assert.That(masters[Bridge((int)(dpid - FirstDpid))], Is.EqualTo(new[] { targets[taken[dpid].Instance] }));

            // The takeover read the switches back and found nothing to change: no FLOW_MOD or GROUP_MOD reached ovs-vswitchd.
            string log = ClusterProcesses.ReadFrom(ovs.VswitchdLog, logFrom);
            Assert.That(Regex.IsMatch(log, @"\|vconn\|[^\n]*due to excessive rate"), Is.False, "vconn debug log rate-limited: counts would be incomplete; messages logged:\n" + Histogram(log));
            Assert.That(log, Does.Contain("received: OFPST_FLOW request").Or.Contain("OFPMP_FLOW request").Or.Contain("received: OFPT_MULTIPART_REQUEST"),
                "the new masters read the flows back (witness that the log holds their messages)");
            int mods = Regex.Count(log, "OFPT_FLOW_MOD|OFPT_GROUP_MOD");
            TestContext.Out.WriteLine($"FLOW_MOD+GROUP_MOD received after the kill: {mods}");
            Assert.That(mods, Is.Zero, log);
            foreach (var (bridge, before) in flowsBefore) Assert.That(ovs.DumpFlows(bridge), Is.EqualTo(before), bridge);

            // ovslb cluster status shows the new masters with their new generations (the dead instance's keys are gone with its lease).
            var after = masterOf.ToDictionary(kv => kv.Key, kv => taken.TryGetValue(kv.Key, out var t) ? (Names[t.Instance], t.Generation) : (Names[kv.Value], (ulong)leaders[kv.Key].Revision));
            AssertClusterStatus(etcd, after, connected: 2);

            // A configuration change written once reaches every bridge through its master: a third backend on each.
            var live = runs.Where((_, i) => i != victim).ToList();
            var putClock = Stopwatch.StartNew();
            long third = Put(etcd, LbConfig(third: true));
            // The new backend's pick flow (table 24, its MAC) on every bridge.
            bool reached = ProcessRunner.WaitUntil(() => Enumerable.Range(0, 4).All(i => string.Concat(ovs.DumpFlows(Bridge(i))).Contains($"set_field:02:00:00:00:0{i}:13->eth_dst", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));
            var took = putClock.Elapsed;
            TestContext.Out.WriteLine($"config put revision {third} (after {applied}): the third backend's flow on all 4 bridges {took.TotalMilliseconds:0} ms after put started");
            Assert.That(reached, Is.True, "the new backend reached every bridge:\n" + string.Join("\n---\n", live.Select(r => r.Tail(25))));
            Assert.That(took, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(1)), "config put reaches every bridge within 1 s");

            // A document written around 'config put' (no validation) is refused by every instance; the last good one stays.
            var groups = Enumerable.Range(0, 4).ToDictionary(Bridge, i => ovs.DumpGroups(Bridge(i)));
            etcd.Etcdctl("put", "/hay/config", """{ "services": [ { "name": "x", "vip": "10.0.0.300" } ] }""");
            foreach (var r in live) r.WaitFor($"keeping revision {third}", 0, Bound);
            foreach (var (bridge, before) in groups) Assert.That(ovs.DumpGroups(bridge), Is.EqualTo(before), bridge);
        }
        finally
        {
            foreach (var r in runs) r.Dispose();
        }
    }

    [Test]
    public void Bad_cluster_settings_stop_ovslb_run_with_exit_64_naming_each_one()
    {
        var r = OvslbRun.RunToExit("--Cluster:Etcd=localhost:2379", "--Cluster:LeaseTtl=00:00:01", "--Controller:Listen:0=127.0.0.1:0", "--Status:Listen=127.0.0.1:0");
        string err = r.Stderr + r.Stdout;
        Assert.That(r.ExitCode, Is.EqualTo(64), err);
        Assert.That(err, Does.Contain("Cluster:Etcd: 'localhost:2379' is not an etcd client URL http://HOST:PORT"));
        Assert.That(err, Does.Contain("Cluster:LeaseTtl: 00:00:01 must be whole seconds, at least 2 s"));

        // Cluster settings with no etcd: a forgotten --Cluster:Etcd, not silently one instance.
        r = OvslbRun.RunToExit("--Cluster:Prefix=/hay", "--Controller:Listen:0=127.0.0.1:0", "--Status:Listen=127.0.0.1:0");
        Assert.That(r.ExitCode, Is.EqualTo(64), r.Stderr + r.Stdout);
        Assert.That(r.Stderr + r.Stdout, Does.Contain("Cluster:Prefix given without Cluster:Etcd"));
    }

    [Test]
    public void An_unreachable_etcd_stops_ovslb_run_with_exit_1_naming_the_endpoints()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();   // nothing listens there now
        var r = OvslbRun.RunToExit($"--Cluster:Etcd=http://127.0.0.1:{port}", "--Cluster:ConnectTimeout=00:00:02", "--Controller:Listen:0=127.0.0.1:0", "--Status:Listen=127.0.0.1:0");
        string err = r.Stderr + r.Stdout;
        Assert.That(r.ExitCode, Is.EqualTo(1), err);
        Assert.That(err, Does.Contain($"ovslb run: etcd at http://127.0.0.1:{port} did not answer a first read (connect) within 2 s"));
    }

    /// <summary><c>ovslb cluster status</c>: one line per bridge with its master, generation, lease left (1 s to the TTL) and <paramref name="connected"/> candidates.</summary>
    private static void AssertClusterStatus(EtcdCluster etcd, Dictionary<ulong, (string Master, ulong Generation)> expected, int connected)
    {
        var (code, stdout, stderr) = Ovslb.Run("cluster", "status", $"--Cluster:Etcd={etcd.Endpoints}", "--Cluster:Prefix=/hay");
        TestContext.Out.WriteLine(stdout);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("# instances (" + connected + "): "));
        foreach (var (dpid, (master, gen)) in expected)
        {
            var line = Ovslb.Lines(stdout).SingleOrDefault(l => l.StartsWith($"{dpid:x16} ", StringComparison.Ordinal));
            Assert.That(line, Is.Not.Null, stdout);
            var cells = Regex.Split(line!.Trim(), @"\s{2,}");
            Assert.That((cells[1], cells[2]), Is.EqualTo((master, gen.ToString(System.Globalization.CultureInfo.InvariantCulture))), line);
            Assert.That(int.Parse(cells[3].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture), Is.InRange(1, LeaseTtlSeconds), line);
            Assert.That(cells[4].Split(", "), Has.Length.EqualTo(connected).And.Contain(master), line);
        }
    }

    private static string Show(Dictionary<string, List<string>> masters) => string.Join("; ", masters.Select(kv => $"{kv.Key}: [{string.Join(", ", kv.Value)}]"));

    /// <summary>How many of each message type the vconn log holds, per direction (for failure messages).</summary>
    private static string Histogram(string log) =>
        string.Join("\n", Regex.Matches(log, @"(tcp:\S+): (received|sent \(\w+\)): (\S+ \S+)").GroupBy(m => $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value}")
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Count(),5} {g.Key}"));
}
