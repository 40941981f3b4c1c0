using System.Diagnostics;
using System.Globalization;
using OvsLb.Balancer;
using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.State;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;

namespace OvsLb.Benchmarks;

/// <summary>One kind of change, repeated: what the controller spends per bridge before the bundle goes out.</summary>
/// <param name="Name">The change.</param>
/// <param name="Plan">Time of <see cref="LoadBalancer.Plan"/> (the builder and its inputs), per round.</param>
/// <param name="Diff">Time of <see cref="StateDiff.Compute"/> against the installed state, per round.</param>
/// <param name="Apply">Time of <see cref="StateDiff.Apply"/> (the session's new installed state), per round.</param>
/// <param name="GroupMods">GROUP_MODs each round's diff held.</param>
/// <param name="FlowMods">FLOW_MODs each round's diff held.</param>
public sealed record ChangeTiming(string Name, IReadOnlyList<TimeSpan> Plan, IReadOnlyList<TimeSpan> Diff, IReadOnlyList<TimeSpan> Apply,
    IReadOnlyList<int> GroupMods, IReadOnlyList<int> FlowMods)
{
    public IReadOnlyList<TimeSpan> Total => Plan.Select((p, i) => p + Diff[i] + Apply[i]).ToList();
}

/// <summary>The change cases' results, and whether every round's diff and each case's last plan were right.</summary>
public sealed record LbChangeResult(string Title, IReadOnlyList<ChangeTiming> Cases, IReadOnlyList<string> Problems);

/// <summary>
/// The cost of one small change in a large deployment, without a switch: a <see cref="LoadBalancer"/>
/// over the lbscale configuration (every service with a TCP health check, so a check result can take
/// a backend down; the checks themselves never run), one bridge whose installed state is the first
/// plan. Each round makes one change, then times what the runtime does on the resulting
/// <c>Changed</c> event (<see cref="ChangeRounds"/>). The multi-bridge variant is <see cref="LbChangeDistributed"/>.
/// </summary>
public static class LbChangeBenchmark
{
    public static LbChangeResult Run(int vips, int backendsPerVip, int rounds, TextWriter log)
    {
        var plain = LbScaleConfig.Config(vips, backendsPerVip);
        var check = HealthCheckConfig.Default with { Kind = HealthCheckKind.Tcp };
        var config = plain with { Services = plain.Services.Select(s => s with { HealthCheck = check }).ToArray() };
        var view = LbScaleConfig.View();
        var sw = new SwitchInfo(view.DatapathId, view.BridgeName, view.Ports);
        var lb = new LoadBalancer(config);
        var r = new ChangeRounds(lb, () => sw, rounds, log, FreshView);

        string Backend(int round) => $"svc{round * 37 % vips}/b{round % backendsPerVip}";
        var cases = new List<ChangeTiming>
        {
            r.Case("re-plan, nothing changed (e.g. a port status of an unrelated port)", 0, 0, _ => { }),
            r.Case("one backend down (health check)", 1, 0, i =>
            {
                for (int k = 0; k < check.Fall; k++) lb.Health.Record(Backend(i), false, check.Rise, check.Fall);
            }),
            r.Case("the same backend up again", 1, 0, i =>
            {
                for (int k = 0; k < check.Rise; k++) lb.Health.Record(Backend(i), true, check.Rise, check.Fall);
            }),
            r.Case("reload: one service's backend weight 1 -> 2", 1, 0, i =>
            {
                var cur = lb.Config;
                int k = i * 53 % vips;
                var s = cur.Services[k];
                var services = cur.Services.ToArray();
                services[k] = s with { Backends = s.Backends.Select((b, j) => j == 0 ? b with { Weight = b.Weight == 1 ? 2 : 1 } : b).ToArray() };
                lb.Apply(cur with { Services = services });
            }),
        };
        return new LbChangeResult($"One change in {vips} VIPs x {backendsPerVip} backends (translate mode), one bridge", cases, r.Problems);

        // Only health holds backends down on a single bridge.
        BridgeView FreshView(IReadOnlyDictionary<string, IReadOnlyList<string?>> slots) =>
            new(sw.DatapathId, sw.BridgeName, sw.Ports, lb.Health.Down(), slots);
    }

    private static string Count(IReadOnlyList<int> xs) => xs.Min() == xs.Max() ? $"{xs.Min()}" : $"{xs.Min()}-{xs.Max()}";

    public static TimeSpan Median(IReadOnlyList<TimeSpan> xs) => xs.Order().ElementAt(xs.Count / 2);

    public static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString(t.TotalMilliseconds < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + " ms";

    public static void Print(LbChangeResult r, TextWriter w)
    {
        w.WriteLine();
        w.WriteLine($"{r.Title}: LoadBalancer.Plan + StateDiff.Compute + StateDiff.Apply, median [min-max] of {r.Cases[0].Plan.Count} rounds");
        string Range(IReadOnlyList<TimeSpan> xs) => $"{Ms(Median(xs))} [{Ms(xs.Min())}-{Ms(xs.Max())}]";
        Table.Print(w, ["change", "total", "plan", "diff", "apply", "messages"],
            r.Cases.Select(c => (IReadOnlyList<string>)[c.Name, Range(c.Total), Range(c.Plan), Range(c.Diff), Range(c.Apply), $"{Count(c.GroupMods)} group, {Count(c.FlowMods)} flow"]));
        foreach (var p in r.Problems.Take(5)) w.WriteLine($"  problem: {p}");
    }
}

/// <summary>
/// Runs change cases against one bridge of a <see cref="LoadBalancer"/>: each round makes a change,
/// then times <c>GetDesiredState(switch, installed)</c> (what the runtime calls, i.e.
/// <see cref="LoadBalancer.Plan"/>), <see cref="StateDiff.Compute"/> and <see cref="StateDiff.Apply"/>,
/// with the installed state carried from round to round as a session carries it. Every round's diff
/// must hold exactly the expected messages, and each case's last plan must equal, line for line, what
/// <see cref="PipelineBuilder.Build"/> makes without a cache from the view <c>freshView</c> gives for
/// the previous plan's slot tables.
/// </summary>
public sealed class ChangeRounds
{
    private readonly LoadBalancer _lb;
    private readonly Func<SwitchInfo> _switch;
    private readonly int _rounds;
    private readonly TextWriter _log;
    private readonly Func<IReadOnlyDictionary<string, IReadOnlyList<string?>>, BridgeView> _freshView;
    private readonly Ownership _own;
    private SwitchState _installed;

    public ChangeRounds(LoadBalancer lb, Func<SwitchInfo> sw, int rounds, TextWriter log, Func<IReadOnlyDictionary<string, IReadOnlyList<string?>>, BridgeView> freshView)
    {
        (_lb, _switch, _rounds, _log, _freshView) = (lb, sw, rounds, log, freshView);
        // What a controller with default options owns; the load balancer must build with the same mapping.
        _own = new ControllerOptions().Ownership;
        if (BuildSettings.For(_own) != lb.Settings) throw new InvalidOperationException("the load balancer was not built with BuildSettings.For(ControllerOptions.Ownership)");
        // The switch as the session knows it after the first reconcile; then warm up (JIT tiers) with unchanged re-plans.
        _installed = Commit(sw(), SwitchState.Empty);
        for (int i = 0; i < 30; i++) _installed = Commit(sw(), _installed);
    }

    /// <summary>One reconcile as the runtime does it: plan, apply, then tell the load balancer the state is committed.</summary>
    private SwitchState Commit(SwitchInfo sw, SwitchState installed)
    {
        var desired = _lb.GetDesiredState(sw, installed);
        var next = StateDiff.Apply(installed, desired, _own);
        _lb.OnReconciled(new Offline(sw), desired);
        return next;
    }

    /// <summary>The switch of the rounds as the load balancer's commit notification takes it; nothing is sent to it.</summary>
    private sealed class Offline(SwitchInfo sw) : ISwitchHandle
    {
        public ulong DatapathId => sw.DatapathId;
        public string DatapathIdText => sw.DatapathIdText;
        public string? BridgeName => sw.BridgeName;
        public IReadOnlyDictionary<uint, PortDescription> Ports => sw.Ports;
        public bool CanWrite => false;
        public void Send(PacketOut packetOut) => throw new InvalidOperationException("the change rounds have no switch to send to");
        public void Send(OvsLb.OpenFlow.Messages.Nicira.CtFlush flush) => throw new InvalidOperationException("the change rounds have no switch to send to");
        public void RenewLearned(FlowEntry learned) => throw new InvalidOperationException("the change rounds have no switch to send to");
        public Task<OvsLb.OpenFlow.Messages.OfpMessage> RequestAsync(OvsLb.OpenFlow.Messages.OfpMessage request, CancellationToken ct = default, TimeSpan? timeout = null) =>
            throw new InvalidOperationException("the change rounds have no switch to ask");
    }

    public List<string> Problems { get; } = [];

    public ChangeTiming Case(string name, int groupMods, int flowMods, Action<int> change) => Case(name, _ => (groupMods, flowMods), change);

    /// <summary>A case whose round i makes change(i) and must send expected(i) group and flow messages.</summary>
    public ChangeTiming Case(string name, Func<int, (int Groups, int Flows)> expected, Action<int> change)
    {
        var plan = new List<TimeSpan>();
        var diff = new List<TimeSpan>();
        var apply = new List<TimeSpan>();
        var groupMods = new List<int>();
        var flowMods = new List<int>();
        var sw = _switch();
        for (int r = -2; r < _rounds; r++) // two untimed rounds
        {
            change(r + 2);
            var before = _lb.Plans[sw.DatapathId];
            var t = Stopwatch.StartNew();
            var desired = _lb.GetDesiredState(_switch(), _installed);
            var tPlan = t.Elapsed;
            var d = StateDiff.Compute(desired, _installed, _own);
            var tDiff = t.Elapsed;
            _installed = StateDiff.Apply(_installed, desired, _own);
            var tApply = t.Elapsed;
            _lb.OnReconciled(new Offline(sw), desired); // the plan is committed: its slot tables are the memory of the next round
            int g = d.GroupAdds.Count + d.GroupMods.Count + d.GroupDeletes.Count, f = d.FlowAdds.Count + d.FlowDeletes.Count;
            if (r >= 0)
            {
                plan.Add(tPlan);
                diff.Add(tDiff - tPlan);
                apply.Add(tApply - tDiff);
                groupMods.Add(g);
                flowMods.Add(f);
            }
            var want = expected(r + 2);
            if ((g, f) != want) Problems.Add($"{name}, round {r}: {d} (expected {want.Groups} group and {want.Flows} flow messages)");
            if (r == _rounds - 1) Verify(name, before, _lb.Plans[sw.DatapathId]);
        }
        var c = new ChangeTiming(name, plan, diff, apply, groupMods, flowMods);
        _log.WriteLine($"  {name}: plan + diff + apply median {LbChangeBenchmark.Ms(LbChangeBenchmark.Median(c.Total))}");
        return c;
    }

    private void Verify(string name, BridgePlan before, BridgePlan after)
    {
        var slots = before.Services.Where(p => p.SlotKeys.Count > 0).ToDictionary(p => p.Service.Name, p => (IReadOnlyList<string?>)p.SlotKeys.ToArray());
        var fresh = PipelineBuilder.Build(_lb.Config, _freshView(slots), _lb.Settings).State;
        if (!fresh.FlowLines().SequenceEqual(after.State.FlowLines()) || !fresh.GroupLines().SequenceEqual(after.State.GroupLines()))
        {
            Problems.Add($"{name}: the controller's plan differs from a fresh build of the same inputs");
        }
    }
}
