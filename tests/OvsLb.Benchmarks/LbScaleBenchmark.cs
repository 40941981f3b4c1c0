using System.Diagnostics;
using System.Globalization;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

public sealed record LbScaleOptions
{
    public int Vips { get; init; } = 1000;
    public int BackendsPerVip { get; init; } = 8;

    /// <summary>Client packets (distinct 5-tuples to the VIPs) injected after convergence to show the tables do not grow with connections.</summary>
    public int Packets { get; init; } = 1000;

    /// <summary>Fit flows = a + b·VIPs + c·backends from extra builder runs (a few seconds at full size).</summary>
    public bool FitModel { get; init; } = true;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Rounds of each one-change case (<see cref="LbChangeBenchmark"/>); 0 skips them.</summary>
    public int ChangeRounds { get; init; } = 20;

    /// <summary>The transports the cold connect runs on, alternating (p, d, p, d) for <see cref="TransportRounds"/> rounds.</summary>
    public IReadOnlyList<string> Transports { get; init; } = [Runtime.Transport.Transports.Default];

    public int TransportRounds { get; init; } = 1;
}

/// <summary>One way of loading the state into a fresh OVS and how long it took.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Time">Wall-clock time until the switch held everything.</param>
/// <param name="Parts">Named sub-times (e.g. groups and flows loads).</param>
/// <param name="Verified">The switch's dump-flows and dump-groups equal the desired state.</param>
public sealed record LoadTiming(string Name, TimeSpan Time, IReadOnlyList<(string Name, TimeSpan Time)> Parts, bool Verified);

public sealed record LbScaleResult
{
    public required LbScaleOptions Options { get; init; }
    public required TimeSpan ConfigParse { get; init; }
    public required TimeSpan BuildCold { get; init; }
    public required TimeSpan BuildWarm { get; init; }
    public required int Flows { get; init; }
    public required int Groups { get; init; }
    public required int Buckets { get; init; }
    public required FlowCountModel? Model { get; init; }
    public required LoadTiming Controller { get; init; }
    public required LoadTiming FloorTwoBundles { get; init; }
    public required LoadTiming FloorOneBundle { get; init; }
    public required long FlowModsSent { get; init; }
    public required long GroupModsSent { get; init; }
    public required long BundleCommits { get; init; }
    public required int FlowsAfterPackets { get; init; }
    public required long ServiceTablePackets { get; init; }
    public required IReadOnlyList<string> Problems { get; init; }
    public required LbChangeResult? Change { get; init; }
    public required LbChangeResult? ChangeDistributed { get; init; }

    /// <summary>Every cold connect, in the order run, with its transport (<see cref="Controller"/> is the first).</summary>
    public required IReadOnlyList<(string Transport, LoadTiming Timing)> ColdConnects { get; init; }

    /// <summary>From ovs-vsctl set-controller until the controller had identified the switch (TCP, HELLO, FEATURES).</summary>
    public TimeSpan Identified => Controller.Parts.First(p => p.Name.StartsWith("set-controller to switch identified", StringComparison.Ordinal)).Time;

    /// <summary>Controller cold connect to converged over the brief's floor (ovs-ofctl --bundle add-groups + --bundle add-flows).</summary>
    public double Ratio => Controller.Time / FloorTwoBundles.Time;
}

/// <summary>
/// The scale benchmark: V VIPs × B backends on one bridge. Measures the pipeline builder, the
/// flow and group counts, the time from a cold controller connect (a real
/// <see cref="SwitchServer"/> whose desired state is <see cref="PipelineBuilder.Build"/>) until
/// the dummy-datapath OVS holds everything, and the floor: the same flows and groups loaded with
/// ovs-ofctl from files. Each load runs in a fresh OVS of its own.
/// </summary>
public static class LbScaleBenchmark
{
    public static async Task<int> MainAsync(string[] args)
    {
        var a = new Options(args);
        var o = new LbScaleOptions
        {
            Vips = a.Int("vips", 1000),
            BackendsPerVip = a.Int("backends", 8),
            Packets = a.Int("packets", 1000),
            FitModel = !a.Has("no-fit"),
            Timeout = TimeSpan.FromSeconds(a.Int("timeout", 300)),
            ChangeRounds = a.Int("rounds", 20),
            Transports = TransportRuns.Parse(a),
            TransportRounds = a.Int("transport-rounds", 2),
        };
        Console.WriteLine($"host: {ProcessFacts.Describe()}");
        Console.WriteLine($"ovs: {ProcessRunner.Run("ovs-vswitchd", ["--version"]).Stdout.Split('\n')[0]}");
        if (a.Has("change-only"))
        {
            var single = LbChangeBenchmark.Run(o.Vips, o.BackendsPerVip, o.ChangeRounds, Console.Out);
            var spread = await LbChangeDistributed.RunAsync(o.Vips, o.BackendsPerVip, o.ChangeRounds, Console.Out);
            LbChangeBenchmark.Print(single, Console.Out);
            LbChangeBenchmark.Print(spread, Console.Out);
            return single.Problems.Count + spread.Problems.Count == 0 ? 0 : 1;
        }
        var r = await RunAsync(o, Console.Out);
        Print(r, Console.Out);
        IReadOnlyList<double> Of(string tr, Func<LoadTiming, double> f) => [.. r.ColdConnects.Where(c => c.Transport == tr).Select(c => f(c.Timing))];
        TransportRuns.PrintTable(Console.Out, $"lbscale cold connect, {o.Vips} VIPs x {o.BackendsPerVip} backends, median of {o.TransportRounds} round(s)", o.Transports,
        [
            ("cold connect to converged", false, tr => Of(tr, t => t.Time.TotalMilliseconds), "ms"),
            ("set-controller to switch identified", false, tr => Of(tr, t => t.Parts[1].Time.TotalMilliseconds), "ms"),
            ("reconcile (read back + diff + bundle commit)", false, tr => Of(tr, t => t.Parts[3].Time.TotalMilliseconds), "ms"),
            ("controller process CPU", false, tr => Of(tr, t => t.Parts[4].Time.TotalMilliseconds), "ms"),
            ("cold connect over the ovs-ofctl floor (two bundles)", false, tr => Of(tr, t => t.Time / r.FloorTwoBundles.Time), "x"),
        ]);
        return r.ColdConnects.All(c => c.Timing.Verified) && r.Change?.Problems.Count is null or 0 && r.ChangeDistributed?.Problems.Count is null or 0 && r.Controller.Verified && r.FloorTwoBundles.Verified && r.FloorOneBundle.Verified && r.FlowsAfterPackets == r.Flows && r.Problems.Count == 0 ? 0 : 1;
    }

    public static async Task<LbScaleResult> RunAsync(LbScaleOptions o, TextWriter log)
    {
        log.WriteLine($"  {o.Vips} VIPs x {o.BackendsPerVip} backends, translate mode, 256 buckets per group");
        string json = LbScaleConfig.Json(o.Vips, o.BackendsPerVip);
        var sw = Stopwatch.StartNew();
        var parsed = ConfigLoader.Parse(json);
        var parse = sw.Elapsed;
        if (!parsed.IsValid) throw new InvalidOperationException("generated configuration is invalid: " + string.Join("; ", parsed.Errors.Take(5)));
        var config = parsed.Config!;

        sw.Restart();
        var state = PipelineBuilder.Build(config, LbScaleConfig.View()).State;
        var cold = sw.Elapsed;
        var warm = Enumerable.Range(0, 3).Select(_ =>
        {
            var t = Stopwatch.StartNew();
            GC.KeepAlive(PipelineBuilder.Build(config, LbScaleConfig.View()));
            return t.Elapsed;
        }).Order().ElementAt(1);
        int buckets = state.Groups.Values.Sum(g => g.Buckets.Length);
        log.WriteLine($"  built {state.Flows.Count} flows, {state.Groups.Count} groups ({buckets} buckets) in {Table.Ms(cold)} (warm {Table.Ms(warm)})");
        var model = o.FitModel ? FlowCountModel.Fit() : null;
        if (model is not null) log.WriteLine($"  {model}");
        var change = o.ChangeRounds > 0 ? LbChangeBenchmark.Run(o.Vips, o.BackendsPerVip, o.ChangeRounds, log) : null;
        var spread = o.ChangeRounds > 0 ? await LbChangeDistributed.RunAsync(o.Vips, o.BackendsPerVip, o.ChangeRounds, log) : null;

        var floor2 = LoadWithOfctl(state, oneBundle: false, o.Timeout, log);
        var floor1 = LoadWithOfctl(state, oneBundle: true, o.Timeout, log);
        // The cold connect on each transport, alternating (p, d, p, d) so machine load hits both alike; the first is the main figure.
        var coldConnects = new List<(string, LoadTiming)>();
        (LoadTiming, SessionCounts, int, long, IReadOnlyList<string>)? first = null;
        var allProblems = new List<string>();
        foreach (var (round, transport) in TransportRuns.Order(o.Transports, o.TransportRounds))
        {
            log.WriteLine($"  cold connect on {transport}, round {round}:");
            var run = await LoadWithControllerAsync(config, state, o, log, transport);
            coldConnects.Add((transport, run.Item1));
            first ??= run;
            allProblems.AddRange(run.Item5.Select(p => $"{transport}: {p}"));
        }
        var (controller, session, flowsAfter, servicePackets, _) = first!.Value;
        var problems = allProblems;
        return new LbScaleResult
        {
            Options = o, ConfigParse = parse, BuildCold = cold, BuildWarm = warm,
            Flows = state.Flows.Count, Groups = state.Groups.Count, Buckets = buckets, Model = model,
            Controller = controller, FloorTwoBundles = floor2, FloorOneBundle = floor1,
            FlowModsSent = session.FlowMods, GroupModsSent = session.GroupMods, BundleCommits = session.Bundles,
            FlowsAfterPackets = flowsAfter, ServiceTablePackets = servicePackets, Problems = problems, Change = change, ChangeDistributed = spread,
            ColdConnects = coldConnects,
        };
    }

    /// <summary>A fresh OVS with the benchmark's bridge and uplink port.</summary>
    private static OvsSandbox FreshOvs()
    {
        var ovs = OvsSandbox.Start(dummy: true);
        try
        {
            ovs.AddBridge(LbScaleConfig.Bridge, LbScaleConfig.DatapathId);
            ovs.AddDummyPort(LbScaleConfig.Bridge, "up1", (int)LbScaleConfig.Uplink);
            return ovs;
        }
        catch
        {
            ovs.Dispose();
            throw;
        }
    }

    /// <summary>The floor: files written beforehand (not timed), then ovs-ofctl loads them into an empty bridge.</summary>
    private static LoadTiming LoadWithOfctl(SwitchState state, bool oneBundle, TimeSpan timeout, TextWriter log)
    {
        using var ovs = FreshOvs();
        string br = LbScaleConfig.Bridge;
        var parts = new List<(string, TimeSpan)>();
        var ofctlCpu = TimeSpan.Zero;
        var switchCpu0 = Cpu.Of(ovs.VswitchdProcess!);
        TimeSpan Ofctl(string what, params string[] args)
        {
            var cpu = Cpu.Children();
            var t = Stopwatch.StartNew();
            ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", .. args], ovs.Env, timeout).EnsureSuccess();
            parts.Add((what, t.Elapsed));
            ofctlCpu += Cpu.Children() - cpu;
            return t.Elapsed;
        }
        string name;
        if (oneBundle)
        {
            string file = Path.Combine(ovs.Dir, "bundle.txt");
            File.WriteAllLines(file, state.GroupLines().Select(g => "group add " + g).Concat(state.FlowLines().Select(f => "flow add " + f)));
            Ofctl("ovs-ofctl bundle (groups + flows)", "bundle", br, file);
            name = "ovs-ofctl bundle FILE (one transaction)";
        }
        else
        {
            string groups = Path.Combine(ovs.Dir, "groups.txt"), flows = Path.Combine(ovs.Dir, "flows.txt");
            File.WriteAllLines(groups, state.GroupLines());
            File.WriteAllLines(flows, state.FlowLines());
            Ofctl("--bundle add-groups", "--bundle", "add-groups", br, groups);
            Ofctl("--bundle add-flows", "--bundle", "add-flows", br, flows);
            name = "ovs-ofctl --bundle add-groups + --bundle add-flows";
        }
        var total = parts.Aggregate(TimeSpan.Zero, (s, p) => s + p.Item2);
        parts.Add(("CPU time of ovs-ofctl (parsing the text, encoding, sending)", ofctlCpu));
        parts.Add(("CPU time of ovs-vswitchd during the load", Cpu.Of(ovs.VswitchdProcess!) - switchCpu0));
        bool ok = Holds(ovs, state, log, name);
        log.WriteLine($"  {name}: {Table.Ms(total)}{(ok ? "" : " (NOT VERIFIED)")}");
        return new LoadTiming(name, total, parts, ok);
    }

    /// <summary>True when the bridge's flows and groups (ovs-ofctl dumps, normalised) equal the desired state.</summary>
    public static bool Holds(OvsSandbox ovs, SwitchState state, TextWriter log, string what)
    {
        var flows = FlowText.NormaliseFlows(ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "--no-stats", "dump-flows", LbScaleConfig.Bridge], ovs.Env, TimeSpan.FromMinutes(2)).EnsureSuccess().Stdout);
        var groups = FlowText.NormaliseGroups(ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "dump-groups", LbScaleConfig.Bridge], ovs.Env, TimeSpan.FromMinutes(2)).EnsureSuccess().Stdout);
        var wantFlows = state.FlowLines();
        var wantGroups = state.GroupLines();
        bool ok = flows.SequenceEqual(wantFlows) && groups.SequenceEqual(wantGroups);
        if (!ok)
        {
            log.WriteLine($"  {what}: switch holds {flows.Count} flows / {groups.Count} groups, desired {wantFlows.Count} / {wantGroups.Count}");
            foreach (var l in flows.Except(wantFlows).Take(3)) log.WriteLine($"    unexpected flow: {l}");
            foreach (var l in wantFlows.Except(flows).Take(3)) log.WriteLine($"    missing flow: {l}");
            foreach (var l in wantGroups.Except(groups).Take(1)) log.WriteLine($"    missing group: {l[..Math.Min(200, l.Length)]}");
        }
        return ok;
    }

    private sealed record SessionCounts(long FlowMods, long GroupMods, long Bundles);

    /// <summary>
    /// Cold connect: the controller listens, the bridge is pointed at it (timing starts just before
    /// ovs-vsctl set-controller), and the measurement ends when the session's first reconciliation has
    /// committed its bundle (the commit reply arrived: OVS holds the state). Then the dumps are compared
    /// and client packets injected.
    /// </summary>
    private static async Task<(LoadTiming, SessionCounts, int FlowsAfter, long ServicePackets, IReadOnlyList<string> Problems)> LoadWithControllerAsync(
        LoadBalancerConfig config, SwitchState expected, LbScaleOptions o, TextWriter log, string transport)
    {
        using var ovs = FreshOvs();
        var problems = new ProblemLog(log);
        var provider = new PipelineStateProvider(config);
        await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"], Transport = transport }, provider, null, problems.Factory());
        await controller.StartAsync();
        var switchCpu0 = Cpu.Of(ovs.VswitchdProcess!);
        var ownCpu0 = ProcessFacts.CpuTime();
        var t0 = Stopwatch.GetTimestamp();
        ovs.SetController(LbScaleConfig.Bridge, $"tcp:127.0.0.1:{controller.LocalEndpoints[0].Port}");
        var vsctl = Stopwatch.GetElapsedTime(t0);
        SwitchSession? s = null;
        TimeSpan? identified = null;
        bool done = await ProcessRunner.WaitUntilAsync(() =>
        {
            if (!controller.Sessions.TryGetValue(LbScaleConfig.DatapathId, out s)) return false;
            identified ??= Stopwatch.GetElapsedTime(t0);
            return s.LastReconcile is not null;
        }, o.Timeout, TimeSpan.FromMilliseconds(2));
        var converged = Stopwatch.GetElapsedTime(t0);
        var ownCpu = ProcessFacts.CpuTime() - ownCpu0;
        var switchCpu = Cpu.Of(ovs.VswitchdProcess!) - switchCpu0;
        if (!done || s?.LastReconcile is null)
        {
            throw new TimeoutException($"the controller did not converge within {o.Timeout.TotalSeconds:0} s (session: {s?.State.ToString() ?? "none"}); first problems:\n  {string.Join("\n  ", problems.First)}");
        }
        var rec = s.LastReconcile;
        bool ok = Holds(ovs, expected, log, "controller");
        log.WriteLine($"  controller, cold connect to converged: {Table.Ms(converged)} (reconcile {Table.Ms(rec.Duration)}, builder {Table.Ms(provider.LastBuild)}){(ok ? "" : " (NOT VERIFIED)")}");

        int flowsAfter = expected.Flows.Count;
        long servicePackets = 0;
        if (o.Packets > 0)
        {
            (flowsAfter, servicePackets) = InjectClients(ovs, config, o.Packets);
            log.WriteLine($"  {o.Packets} client packets (distinct 5-tuples) injected: {servicePackets} hit the service table, flow table {expected.Flows.Count} -> {flowsAfter} flows");
        }
        var parts = new List<(string, TimeSpan)>
        {
            ("ovs-vsctl set-controller", vsctl),
            ("set-controller to switch identified (TCP, HELLO, FEATURES)", identified ?? converged),
            ("builder (in the provider)", provider.LastBuild),
            ("reconcile: read back + diff + bundle commit", rec.Duration),
            ("CPU time of this process (controller; includes the 2 ms convergence poll)", ownCpu),
            ("CPU time of ovs-vswitchd during the load", switchCpu),
        };
        return (new LoadTiming("controller, cold connect", converged, parts, ok), new SessionCounts(s.FlowModsSent, s.GroupModsSent, s.BundleCommits),
            flowsAfter, servicePackets, [.. problems.First]);
    }

    /// <summary>
    /// Sends <paramref name="count"/> TCP packets with distinct (client IP, source port) to the VIPs in
    /// through the uplink (netdev-dummy/receive); returns the flow count afterwards and how many packets
    /// the service table matched (its flows' packet counters).
    /// </summary>
    public static (int Flows, long ServicePackets) InjectClients(OvsSandbox ovs, LoadBalancerConfig config, int count)
    {
        using var ctl = OvsUnixctl.Connect(ovs.VswitchdCtl);
        var services = config.Services;
        var packets = Enumerable.Range(0, count).Select(i =>
        {
            var svc = services[i % services.Length];
            uint client = 0xc612_0000u + (uint)(i / 50000) + 1;
            int port = 1024 + i % 50000;
            return new[] { "up1",
                $"eth(src=02:00:00:00:aa:01,dst={config.Bridges[0].LbMac}),eth_type(0x0800),ipv4(src={new OvsLb.OpenFlow.Packets.Ipv4Address(client)},dst={svc.Vip},proto=6,tos=0,ttl=64,frag=no),tcp(src={port},dst={svc.Port})" };
        }).ToList();
        // A dummy port queues at most 100 packets and the datapath takes one per main-loop pass, so the
        // packets go in batches, each once the port has received the previous ones (its RX counter).
        const int batch = 50;
        for (int sent = 0; sent < packets.Count; sent += batch)
        {
            var chunk = packets.Skip(sent).Take(batch).ToList();
            ctl.CallMany("netdev-dummy/receive", chunk);
            long want = sent + chunk.Count;
            if (!ProcessRunner.WaitUntil(() => RxPackets(ctl, "up1") >= want, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1)))
            {
                throw new TimeoutException($"port up1 received {RxPackets(ctl, "up1")} of {want} injected packets");
            }
        }
        // Packets that hit a cached datapath flow reach the OpenFlow counters when a revalidator pushes its stats.
        long ServicePackets()
        {
            var agg = ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "dump-aggregate", LbScaleConfig.Bridge, $"table={LbPipeline.Service.Id}"], ovs.Env).EnsureSuccess().Stdout;
            var m = System.Text.RegularExpressions.Regex.Match(agg, @"packet_count=(\d+)");
            return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        }
        long hits = 0;
        ProcessRunner.WaitUntil(() => (hits = ServicePackets()) >= count, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
        int flows = FlowText.NormaliseFlows(ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "--no-stats", "dump-flows", LbScaleConfig.Bridge], ovs.Env, TimeSpan.FromMinutes(2)).EnsureSuccess().Stdout).Count;
        return (flows, hits);
    }

    /// <summary>The RX packet counter of a datapath port (<c>dpctl/show -s</c>, read from the netdev at once).</summary>
    public static long RxPackets(OvsUnixctl ctl, string port)
    {
        var m = System.Text.RegularExpressions.Regex.Match(ctl.Call("dpctl/show", "-s"), $@"port \d+: {port} [^\n]*\n\s*RX packets:(\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    public static void Print(LbScaleResult r, TextWriter w)
    {
        var o = r.Options;
        w.WriteLine();
        w.WriteLine($"LB scale: {o.Vips} VIPs x {o.BackendsPerVip} backends (translate mode), one bridge, dummy-datapath OVS, default ControllerOptions");
        List<string[]> rows =
        [
            ["config parse + validate (JSON, ConfigLoader)", Table.Ms(r.ConfigParse)],
            ["PipelineBuilder.Build, first call / warm (median of 3)", $"{Table.Ms(r.BuildCold)} / {Table.Ms(r.BuildWarm)}"],
            ["flows / groups / buckets", $"{r.Flows} / {r.Groups} / {r.Buckets}"],
        ];
        if (r.Model is not null) rows.Add(["flow-count model (builder)", r.Model.ToString()]);
        foreach (var l in new[] { r.Controller, r.FloorTwoBundles, r.FloorOneBundle })
        {
            rows.Add([l.Name + (l.Verified ? "" : " (NOT VERIFIED)"), Table.Ms(l.Time)]);
            foreach (var (n, t) in l.Parts) rows.Add(["  " + n, Table.Ms(t)]);
        }
        rows.Add(["ratio controller / (--bundle add-groups + add-flows)", r.Ratio.ToString("0.00", CultureInfo.InvariantCulture)]);
        rows.Add(["ratio controller / one ovs-ofctl bundle", (r.Controller.Time / r.FloorOneBundle.Time).ToString("0.00", CultureInfo.InvariantCulture)]);
        var afterConnect = r.Controller.Time - r.Identified;
        rows.Add(["controller from switch identified to converged (build + reconcile)", Table.Ms(afterConnect)]);
        rows.Add(["  ratio to (--bundle add-groups + add-flows) / to one bundle",
            string.Create(CultureInfo.InvariantCulture, $"{afterConnect / r.FloorTwoBundles.Time:0.00} / {afterConnect / r.FloorOneBundle.Time:0.00}")]);
        rows.Add(["controller: bundles / FLOW_MODs / GROUP_MODs", $"{r.BundleCommits} / {r.FlowModsSent} / {r.GroupModsSent}"]);
        if (o.Packets > 0) rows.Add([$"flows after {o.Packets} distinct client 5-tuples (service-table packets)", $"{r.FlowsAfterPackets} ({r.ServiceTablePackets})"]);
        rows.Add(["warnings+errors logged", $"{r.Problems.Count}"]);
        Table.Print(w, ["measure", "value"], rows);
        foreach (var p in r.Problems.Take(5)) w.WriteLine($"  problem: {p}");
        if (r.Change is not null) LbChangeBenchmark.Print(r.Change, w);
        if (r.ChangeDistributed is not null) LbChangeBenchmark.Print(r.ChangeDistributed, w);
    }
}

/// <summary>The controller's desired state for a switch: the pipeline builder over a fixed configuration (what the ovslb host does, without reload or health).</summary>
public sealed class PipelineStateProvider(LoadBalancerConfig config) : IDesiredStateProvider
{
    /// <summary>How long the last <see cref="PipelineBuilder.Build"/> took.</summary>
    public TimeSpan LastBuild { get; private set; }

    public SwitchState GetDesiredState(SwitchInfo sw)
    {
        var t = Stopwatch.StartNew();
        var state = PipelineBuilder.Build(config, BridgeView.Of(sw)).State;
        LastBuild = t.Elapsed;
        return state;
    }

    public event EventHandler? Changed { add { } remove { } }
}

/// <summary>CPU time of other processes: a running one (ovs-vswitchd), and children this process has reaped (ovs-ofctl).</summary>
internal static class Cpu
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSec, UserUsec, SysSec, SysUsec;
        public long Rest0, Rest1, Rest2, Rest3, Rest4, Rest5, Rest6, Rest7, Rest8, Rest9, Rest10, Rest11, Rest12, Rest13;
    }

    private const int RusageChildren = -1;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    /// <summary>User + system time of all children waited for so far (getrusage RUSAGE_CHILDREN).</summary>
    public static TimeSpan Children() =>
        getrusage(RusageChildren, out var u) == 0
            ? TimeSpan.FromSeconds(u.UserSec + u.SysSec) + TimeSpan.FromMicroseconds(u.UserUsec + u.SysUsec)
            : TimeSpan.Zero;

    public static TimeSpan Of(Process p)
    {
        p.Refresh();
        return p.TotalProcessorTime;
    }
}
