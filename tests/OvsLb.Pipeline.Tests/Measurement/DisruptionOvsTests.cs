using System.Diagnostics;
using System.Globalization;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests.Measurement;

/// <summary>
/// Disruption: with N = 2..16 backends, adding or removing one moves at most 1.25/N of the
/// flows, measured through a real OVS (ofproto/trace of the installed select group), beside the
/// same figure for a naive one-bucket-per-backend group. Figures go to the test output; the README's
/// table comes from here (<c>dotnet test tests/OvsLb.Pipeline.Tests --filter DisruptionOvsTests
/// --logger "console;verbosity=detailed"</c>).
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class DisruptionOvsTests
{
    private const int TupleCount = 10_000;
    private const int Seed = 4004;
    private const int MinN = 2, MaxN = 16;

    /// <summary>The backends one group sends each low dp_hash byte to, as OVS's traces say.</summary>
    private sealed record TracedGroup(string Name, string[] MacBySlot, int[] BucketBySlot, uint Mask);

    /// <summary>One representative tuple per low dp_hash byte (its own 5-tuple and dp_hash), taken from the sample.</summary>
    private static HashedTuple[] Representatives(IReadOnlyList<HashedTuple> tuples)
    {
        var reps = new HashedTuple?[DisruptionLab.Buckets];
        foreach (var t in tuples) reps[t.DpHash & 0xff] ??= t;
        Assert.That(reps.All(r => r is not null), Is.True, "the sample should contain every low dp_hash byte");
        return reps.Select(r => r!.Value).ToArray();
    }

    /// <summary>Installs <paramref name="g"/> (mod-group), checks OVS holds it, traces one packet per low dp_hash byte.</summary>
    private static TracedGroup TraceGroup(DisruptionLab lab, string name, GroupEntry g, HashedTuple[] reps)
    {
        lab.ModGroup(g);
        Assert.That(lab.DumpGroups(), Is.EqualTo(new[] { g.Text }), $"{name}: OVS holds the group as sent");
        return TraceInstalled(lab, name, reps);
    }

    /// <summary>Traces one packet per low dp_hash byte through what the bridge holds now.</summary>
    private static TracedGroup TraceInstalled(DisruptionLab lab, string name, HashedTuple[] reps)
    {
        var traces = lab.Trace(reps);
        var macs = new string[reps.Length];
        var buckets = new int[reps.Length];
        uint mask = 0;
        for (int s = 0; s < reps.Length; s++)
        {
            var t = traces[s];
            Assert.That(t.SetEthDst, Is.Not.Null, $"{name}: dp_hash 0x{reps[s].DpHash:x} reached no backend:\n{t.Text}");
            Assert.That(t.DpHashMask & ~0xffu, Is.Zero, $"{name}: OVS's choice depends on dp_hash bits above the low byte:\n{t.Text}");
            macs[s] = t.SetEthDst!;
            buckets[s] = t.Bucket ?? -1;
            mask |= t.DpHashMask;
        }
        return new TracedGroup(name, macs, buckets, mask);
    }

    /// <summary>Checks the property the design relies on: dp_hash h uses bucket h mod 256, which carries the builder's slot-table owner.</summary>
    private static void AssertSlotIsBucket(TracedGroup tg, ServicePlan plan, HashedTuple[] reps)
    {
        Assert.That(tg.Mask, Is.EqualTo(0xffu), $"{tg.Name}: OVS should use 256 hash values (megaflow dp_hash mask)");
        for (int s = 0; s < reps.Length; s++)
        {
            Assert.That(tg.BucketBySlot[s], Is.EqualTo((int)(reps[s].DpHash % DisruptionLab.Buckets)), $"{tg.Name}: dp_hash 0x{reps[s].DpHash:x} should use bucket h mod 256");
            Assert.That(tg.MacBySlot[s], Is.EqualTo(plan.SlotKeys[s]), $"{tg.Name}: dp_hash 0x{reps[s].DpHash:x} (slot {s}) should reach the backend of bucket {s}");
        }
    }

    private static double Moved(IReadOnlyList<HashedTuple> tuples, TracedGroup before, TracedGroup after) =>
        (double)tuples.Count(t => before.MacBySlot[t.DpHash & 0xff] != after.MacBySlot[t.DpHash & 0xff]) / tuples.Count;

    /// <summary>Load of the busiest backend over the mean: max/mean of the tuples each backend receives.</summary>
    private static double MaxOverMean(IReadOnlyList<HashedTuple> tuples, TracedGroup g, int backends)
    {
        var counts = tuples.GroupBy(t => g.MacBySlot[t.DpHash & 0xff]).Select(x => x.Count()).ToList();
        return counts.Max() / ((double)tuples.Count / backends);
    }

    private static int SlotsMoved(TracedGroup before, TracedGroup after) =>
        Enumerable.Range(0, before.MacBySlot.Length).Count(s => before.MacBySlot[s] != after.MacBySlot[s]);

    [Test]
    public void Adding_or_removing_one_of_N_backends_moves_at_most_1_25_over_N_of_10000_flows_in_real_ovs()
    {
        var tuples = DisruptionLab.Tuples(TupleCount, Seed);
        var reps = Representatives(tuples);
        using var lab = DisruptionLab.Start(MaxN + 1);
        var total = Stopwatch.StartNew();
        var rows = new List<string[]>();
        var failures = new List<string>();
        IReadOnlyList<string>? installedFlows = null;

        for (int n = MinN; n <= MaxN; n++)
        {
            int removed = n / 2 + 1;   // the middle backend (1-based), the same for both groups
            var baseCfg = lab.Config(Enumerable.Range(1, n));
            var addCfg = lab.Config(Enumerable.Range(1, n + 1));
            var remCfg = lab.Config(Enumerable.Range(1, n).Where(i => i != removed));

            // Exactly as the controller does: the second build gets the first one's slot table.
            var p0 = PipelineBuilder.Build(baseCfg, lab.View());
            var prev = p0.Services.Single().SlotKeys;
            var pAdd = PipelineBuilder.Build(addCfg, lab.View(prev));
            var pRem = PipelineBuilder.Build(remCfg, lab.View(prev));
            foreach (var p in new[] { p0, pAdd, pRem }) Assert.That(p.Warnings, Is.Empty);

            if (installedFlows is null)
            {
                lab.Install(p0.State);
                installedFlows = p0.State.FlowLines();
            }
            foreach (var p in new[] { p0, pAdd, pRem })
            {
                Assert.That(p.State.FlowLines(), Is.EqualTo(installedFlows), "a backend change alters the group only, never a flow");
            }

            var ours0 = TraceGroup(lab, $"ours N={n}", p0.State.Groups.Values.Single(), reps);
            var oursAdd = TraceGroup(lab, $"ours N={n}+1", pAdd.State.Groups.Values.Single(), reps);
            var oursRem = TraceGroup(lab, $"ours N={n}-1", pRem.State.Groups.Values.Single(), reps);
            AssertSlotIsBucket(ours0, p0.Services.Single(), reps);
            AssertSlotIsBucket(oursAdd, pAdd.Services.Single(), reps);
            AssertSlotIsBucket(oursRem, pRem.Services.Single(), reps);
            var naive0 = TraceGroup(lab, $"naive N={n}", DisruptionLab.NaiveGroup(p0), reps);
            var naiveAdd = TraceGroup(lab, $"naive N={n}+1", DisruptionLab.NaiveGroup(pAdd), reps);
            var naiveRem = TraceGroup(lab, $"naive N={n}-1", DisruptionLab.NaiveGroup(pRem), reps);

            double bound = 1.25 / n;
            double oa = Moved(tuples, ours0, oursAdd), or = Moved(tuples, ours0, oursRem);
            double na = Moved(tuples, naive0, naiveAdd), nr = Moved(tuples, naive0, naiveRem);
            if (oa > bound) failures.Add($"N={n} add: {oa:0.0000} > {bound:0.0000}");
            if (or > bound) failures.Add($"N={n} remove b{removed}: {or:0.0000} > {bound:0.0000}");
            rows.Add([$"{n}", F(bound), F(oa), $"{SlotsMoved(ours0, oursAdd)}", F(na), F(or), $"{SlotsMoved(ours0, oursRem)}", F(nr),
                MaxOverMean(tuples, ours0, n).ToString("0.00", CultureInfo.InvariantCulture), MaxOverMean(tuples, naive0, n).ToString("0.00", CultureInfo.InvariantCulture),
                $"0x{naive0.Mask:x}/0x{naiveAdd.Mask:x}/0x{naiveRem.Mask:x}"]);
        }

        var w = TestContext.Out;
        w.WriteLine($"Disruption, {TupleCount} distinct TCP 5-tuples with seeded uniform 32-bit dp_hash (seed {Seed}); OVS 3.1 dummy datapath, {DisruptionLab.Buckets}-bucket groups from PipelineBuilder (incremental: previous slot table fed back), add = backend N+1, remove = backend N/2+1");
        w.WriteLine("Fraction of the 10,000 flows whose backend changed (slots: buckets of 256 whose backend changed); max/mean: busiest backend's share of the flows over the mean, with N backends:");
        w.WriteLine();
        w.WriteLine("| N | bound 1.25/N | ours, add one | slots | naive, add one | ours, remove one | slots | naive, remove one | max/mean ours | max/mean naive | naive dp_hash mask (N / N+1 / N-1) |");
        w.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) w.WriteLine("| " + string.Join(" | ", r) + " |");
        w.WriteLine();
        w.WriteLine($"{lab.Traces} ofproto/trace calls in {lab.TraceTime.TotalSeconds:0.00} s ({lab.TraceTime.TotalMilliseconds * 1000 / Math.Max(1, lab.Traces):0} µs each) over one unixctl connection; whole measurement {total.Elapsed.TotalSeconds:0.0} s");
        Assert.That(failures, Is.Empty, "moved fraction above 1.25/N");
    }

    /// <summary>
    /// What OVS does with a dead bucket (watch_port down) before the controller reacts, and what the
    /// controller's rebuild then moves. OVS walks from slot h to the next slot whose bucket is live
    /// (pick_dp_hash_select_group), so only the dead backend's flows move, each to the owner of the
    /// next live slot; the rebuild (port down in the view, previous slots fed back) must not move any
    /// flow of a live backend, but may move the dead backend's flows a second time (to the backend the
    /// slot table gives its slots); the port coming back is an "add one" change.
    /// </summary>
    [Test]
    public void A_dead_backend_port_moves_only_its_flows_in_ovs_and_the_controller_rebuild_moves_no_live_backends_flow()
    {
        const int n = 8, dead = 3;
        var tuples = DisruptionLab.Tuples(TupleCount, Seed);
        var reps = Representatives(tuples);
        using var lab = DisruptionLab.Start(n);
        var cfg = lab.Config(Enumerable.Range(1, n));
        var p0 = PipelineBuilder.Build(cfg, lab.View());
        lab.Install(p0.State);
        var up = TraceInstalled(lab, "all up", reps);
        AssertSlotIsBucket(up, p0.Services.Single(), reps);
        string deadMac = DisruptionLab.BackendMac(dead);
        uint deadPort = DisruptionLab.BackendPort(dead);
        double deadShare = (double)tuples.Count(t => up.MacBySlot[t.DpHash & 0xff] == deadMac) / tuples.Count;

        // 1. Datapath liveness: the port goes down, the group is unchanged.
        lab.SetPortDown(deadPort, down: true);
        var fallback = TraceInstalled(lab, "port down, group unchanged", reps);
        for (int s = 0; s < reps.Length; s++)
        {
            int expect = s;
            while (up.MacBySlot[expect] == deadMac) expect = (expect + 1) & 0xff;
            Assert.That(fallback.BucketBySlot[s], Is.EqualTo(expect), $"slot {s}: OVS should use the next live bucket from slot {s}");
            Assert.That(fallback.MacBySlot[s], Is.EqualTo(up.MacBySlot[expect]), $"slot {s}");
        }
        double datapathMoved = Moved(tuples, up, fallback);
        Assert.That(datapathMoved, Is.EqualTo(deadShare), "only the dead backend's flows move");

        // 2. The controller's rebuild: port down in the view, the installed slot table fed back.
        var pDown = PipelineBuilder.Build(cfg, lab.View(p0.Services.Single().SlotKeys, down: deadPort));
        Assert.That(pDown.Services.Single().LiveBackends, Has.Count.EqualTo(n - 1));
        var rebuilt = TraceGroup(lab, "rebuilt without the dead backend", pDown.State.Groups.Values.Single(), reps);
        AssertSlotIsBucket(rebuilt, pDown.Services.Single(), reps);
        var liveMoved = tuples.Count(t => up.MacBySlot[t.DpHash & 0xff] != deadMac && up.MacBySlot[t.DpHash & 0xff] != rebuilt.MacBySlot[t.DpHash & 0xff]);
        Assert.That(liveMoved, Is.Zero, "the rebuild moves no flow of a live backend");
        double movedAgain = Moved(tuples, fallback, rebuilt);

        // 3. The port comes back: the controller adds the backend again (previous = the rebuilt table).
        lab.SetPortDown(deadPort, down: false);
        var pBack = PipelineBuilder.Build(cfg, lab.View(pDown.Services.Single().SlotKeys));
        var back = TraceGroup(lab, "port up again", pBack.State.Groups.Values.Single(), reps);
        AssertSlotIsBucket(back, pBack.Services.Single(), reps);
        double backMoved = Moved(tuples, rebuilt, back);
        double returnedHome = (double)tuples.Count(t => up.MacBySlot[t.DpHash & 0xff] == deadMac && back.MacBySlot[t.DpHash & 0xff] == deadMac)
            / Math.Max(1, tuples.Count(t => up.MacBySlot[t.DpHash & 0xff] == deadMac));

        var w = TestContext.Out;
        w.WriteLine($"N={n}, backend b{dead}'s port down then up (10,000 flows, seed {Seed}):");
        w.WriteLine($"| step | flows moved |");
        w.WriteLine($"|---|---|");
        w.WriteLine($"| port down, OVS skips the dead buckets (datapath) | {F(datapathMoved)} (= b{dead}'s share {F(deadShare)}) |");
        w.WriteLine($"| controller rebuild without b{dead} (vs datapath fallback) | {F(movedAgain)} moved a second time; 0 flows of live backends |");
        w.WriteLine($"| port up, controller adds b{dead} back | {F(backMoved)} (bound 1.25/{n - 1} = {F(1.25 / (n - 1))}); {F(returnedHome)} of b{dead}'s original flows return to it |");
        Assert.That(backMoved, Is.LessThanOrEqualTo(1.25 / (n - 1)), "adding the backend back is an add-one change");
    }

    private static string F(double x) => x.ToString("0.0000", CultureInfo.InvariantCulture);
}
