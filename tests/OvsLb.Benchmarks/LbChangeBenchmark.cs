using System.Diagnostics;
using System.Globalization;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Control;
using OvsLb.Runtime.Reconcile;
using OvsLb.Runtime.Session;

namespace OvsLb.Benchmarks;

/// <summary>One kind of change, repeated: what the controller spends per bridge before the bundle goes out.</summary>
/// <param name="Name">The change.</param>
/// <param name="Plan">Time of <see cref="LoadBalancer.Plan"/> (the builder and its inputs), per round.</param>
/// <param name="Diff">Time of <see cref="StateDiff.Compute"/> against the installed state, per round.</param>
/// <param name="Apply">Time of <see cref="StateDiff.Apply"/> (the session's new installed state), per round.</param>
/// <param name="GroupMods">GROUP_MODs the diff held (the same every round).</param>
/// <param name="FlowMods">FLOW_MODs the diff held.</param>
public sealed record ChangeTiming(string Name, IReadOnlyList<TimeSpan> Plan, IReadOnlyList<TimeSpan> Diff, IReadOnlyList<TimeSpan> Apply, int GroupMods, int FlowMods)
{
    public IReadOnlyList<TimeSpan> Total => Plan.Select((p, i) => p + Diff[i] + Apply[i]).ToList();
}

/// <summary>The change cases' results, and whether every round's diff and the final states were right.</summary>
public sealed record LbChangeResult(IReadOnlyList<ChangeTiming> Cases, IReadOnlyList<string> Problems);

/// <summary>
/// The cost of one small change in a large deployment, without a switch: a <see cref="LoadBalancer"/>
/// over the lbscale configuration (every service with a TCP health check, so a check result can take
/// a backend down; the checks themselves never run), one bridge whose installed state is the first
/// plan. Each round makes one change, then times what the runtime does on the resulting
/// <c>Changed</c> event: <see cref="LoadBalancer.Plan"/> (via <c>GetDesiredState(switch, installed)</c>),
/// <see cref="StateDiff.Compute"/> and <see cref="StateDiff.Apply"/>. Every round's diff must hold
/// exactly the expected messages, and each case's last plan must equal, line for line, what
/// <see cref="PipelineBuilder.Build"/> makes from scratch from the same inputs.
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
        var set = lb.Settings;
        var own = new Ownership(set.Cookies, set.GroupIdFirst, set.GroupIdLast, false);
        var problems = new List<string>();

        // The switch as the session knows it after the first reconcile.
        var installed = StateDiff.Apply(SwitchState.Empty, lb.Plan(sw, SwitchState.Empty).State, own);
        BridgePlan last = lb.Plans[sw.DatapathId];

        ChangeTiming Case(string name, int groupMods, int flowMods, Action<int> change)
        {
            var plan = new List<TimeSpan>();
            var diff = new List<TimeSpan>();
            var apply = new List<TimeSpan>();
            for (int r = -2; r < rounds; r++) // two untimed warm-up rounds
            {
                change(r + 2);
                var before = last;
                var t = Stopwatch.StartNew();
                var desired = lb.GetDesiredState(sw, installed);
                var tPlan = t.Elapsed;
                var d = StateDiff.Compute(desired, installed, own);
                var tDiff = t.Elapsed;
                installed = StateDiff.Apply(installed, desired, own);
                var tApply = t.Elapsed;
                last = lb.Plans[sw.DatapathId];
                if (r >= 0)
                {
                    plan.Add(tPlan);
                    diff.Add(tDiff - tPlan);
                    apply.Add(tApply - tDiff);
                }
                int g = d.GroupAdds.Count + d.GroupMods.Count + d.GroupDeletes.Count, f = d.FlowAdds.Count + d.FlowDeletes.Count;
                if (g != groupMods || f != flowMods) problems.Add($"{name}, round {r}: {d} (expected {groupMods} group and {flowMods} flow messages)");
                if (r == rounds - 1) Verify(name, lb, sw, before, last, problems);
            }
            var c = new ChangeTiming(name, plan, diff, apply, groupMods, flowMods);
            log.WriteLine($"  {name}: plan + diff + apply median {Ms(Median(c.Total))} (plan {Ms(Median(plan))}, diff {Ms(Median(diff))}, apply {Ms(Median(apply))})");
            return c;
        }

        string Backend(int round) => $"svc{round * 37 % vips}/b{round % backendsPerVip}";
        var cases = new List<ChangeTiming>
        {
            Case("re-plan, nothing changed (e.g. a port status of an unrelated port)", 0, 0, _ => { }),
            Case("one backend down (health check)", 1, 0, r =>
            {
                for (int i = 0; i < check.Fall; i++) lb.Health.Record(Backend(r), false, check.Rise, check.Fall);
            }),
            Case("the same backend up again", 1, 0, r =>
            {
                for (int i = 0; i < check.Rise; i++) lb.Health.Record(Backend(r), true, check.Rise, check.Fall);
            }),
            Case("reload: one service's backend weight 1 -> 2", 1, 0, r =>
            {
                var cur = lb.Config;
                int k = r * 53 % vips;
                var s = cur.Services[k];
                var services = cur.Services.ToArray();
                services[k] = s with { Backends = s.Backends.Select((b, i) => i == 0 ? b with { Weight = b.Weight == 1 ? 2 : 1 } : b).ToArray() };
                lb.Apply(cur with { Services = services });
            }),
        };
        return new LbChangeResult(cases, problems);
    }

    /// <summary>The last plan must be what the builder makes from scratch from the same configuration, down set and previous slots.</summary>
    private static void Verify(string name, LoadBalancer lb, SwitchInfo sw, BridgePlan before, BridgePlan after, List<string> problems)
    {
        var slots = before.Services.Where(p => p.SlotKeys.Count > 0).ToDictionary(p => p.Service.Name, p => (IReadOnlyList<string?>)p.SlotKeys.ToArray());
        var view = new BridgeView(sw.DatapathId, sw.BridgeName, sw.Ports, lb.Health.Down(), slots);
        var fresh = PipelineBuilder.Build(lb.Config, view, lb.Settings).State;
        if (!fresh.FlowLines().SequenceEqual(after.State.FlowLines()) || !fresh.GroupLines().SequenceEqual(after.State.GroupLines()))
        {
            problems.Add($"{name}: the controller's plan differs from a fresh build of the same inputs");
        }
    }

    public static TimeSpan Median(IReadOnlyList<TimeSpan> xs) => xs.Order().ElementAt(xs.Count / 2);

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString(t.TotalMilliseconds < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + " ms";

    public static void Print(LbChangeResult r, int vips, int backends, TextWriter w)
    {
        w.WriteLine();
        w.WriteLine($"One change in {vips} VIPs x {backends} backends, one bridge (LoadBalancer.Plan + StateDiff.Compute + StateDiff.Apply; median [min-max] of {r.Cases[0].Plan.Count} rounds)");
        string Range(IReadOnlyList<TimeSpan> xs) => $"{Ms(Median(xs))} [{Ms(xs.Min())}-{Ms(xs.Max())}]";
        Table.Print(w, ["change", "total", "plan", "diff", "apply", "messages"],
            r.Cases.Select(c => (IReadOnlyList<string>)[c.Name, Range(c.Total), Range(c.Plan), Range(c.Diff), Range(c.Apply), $"{c.GroupMods} group, {c.FlowMods} flow"]));
        foreach (var p in r.Problems.Take(5)) w.WriteLine($"  problem: {p}");
    }
}
