using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Reconciliation against a real ovs-vswitchd (dummy datapath): the switch is pre-loaded with
/// ovs-ofctl, the controller connects, and both the resulting tables (dump-flows / dump-groups text)
/// and the FLOW_MOD / GROUP_MOD messages the switch logged as received are checked.
/// </summary>
[TestFixture, Category("Ovs")]
public class ReconcileTests
{
    private const ulong Dpid = 0x5ec0;
    private const uint G1 = 0x10000001, G2 = 0x10000002, G3 = 0x10000003, GStale = 0x10000005, GMissing = 0x10000099;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static OfpMatch IpDst(uint last) => new(OxmEntry.For(MfId.EthType, 0x0800), OxmEntry.For(MfId.Ipv4Dst, 0x0a000000u + last));
    private static FlowEntry ToGroup(uint last, uint group, ulong id) => TestStates.Flow(200, IpDst(last), new GroupAction(group), id);
    private static GroupEntry Select(uint id, params uint[] ports) =>
        new(id, GroupType.Select, ports.Select((p, i) => Bucket.Weighted((ushort)(i + 1), new OutputAction(p))).ToArray());

    private static readonly FlowEntry F1 = TestStates.Patch().Flows.Values.Single(f => f.Cookie == TestStates.Cookies.Make(1, 1));
    private static readonly FlowEntry F2 = TestStates.Patch().Flows.Values.Single(f => f.Cookie == TestStates.Cookies.Make(1, 2));
    private static readonly FlowEntry F3 = ToGroup(1, G1, 3);
    private static readonly FlowEntry F4 = ToGroup(2, G2, 4);

    /// <summary>The base desired state: a patch, two flows into two select groups.</summary>
    private static SwitchState Desired() => SwitchState.Create([F1, F2, F3, F4], [Select(G1, 1, 2), Select(G2, 1, 2, 3)]);

    private static string Cookie(ulong objectId) => $"0x{TestStates.Cookies.Make(1, objectId):x}";

    [Test]
    public async Task Connect_applies_exactly_the_diff_and_a_second_reconcile_sends_nothing()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        HoldFlows(ovs);
        var witness = new OvsReceivedLog(ovs);
        // (c) desired flows already present: F1 exactly, F3 with other actions; G1 with other buckets.
        ovs.Ofctl("add-flow", "br0", $"cookie={Cookie(1)},priority=100,in_port=1,actions=output:2");
        ovs.Ofctl("add-flow", "br0", $"cookie={Cookie(3)},priority=200,ip,nw_dst=10.0.0.1,actions=output:3");
        ovs.Ofctl("add-group", "br0", $"group_id={G1},type=select,bucket=output:1");
        // (a) stale flows and a stale group carrying our signature / in our range.
        ovs.Ofctl("add-flow", "br0", "cookie=0x4c42010000000099,priority=50,ip,nw_dst=10.9.9.9,actions=drop");
        ovs.Ofctl("add-flow", "br0", "table=1,cookie=0x4c42020000000007,priority=10,actions=output:2");
        ovs.Ofctl("add-group", "br0", $"group_id={GStale},type=select,bucket=output:1,bucket=output:2");
        // (b) foreign flows (another cookie, cookie 0) and a foreign group.
        ovs.Ofctl("add-flow", "br0", "cookie=0x1234,priority=60,arp,actions=output:1");
        ovs.Ofctl("add-flow", "br0", "table=2,priority=5,actions=drop");
        ovs.Ofctl("add-group", "br0", "group_id=7,type=all,bucket=output:1,bucket=output:2");
        var foreignFlows = ovs.DumpFlows("br0").Where(l => !l.Contains("cookie=0x4c42", StringComparison.Ordinal)).ToList();
        var foreignGroups = ovs.DumpGroups("br0").Where(l => l.Contains("group_id=7,", StringComparison.Ordinal)).ToList();
        Assert.That(foreignFlows, Has.Count.EqualTo(2));
        Assert.That(foreignGroups, Has.Count.EqualTo(1));

        await using var c = new RunningController(Desired());
        ovs.SetController("br0", c.Target);
        var s = c.WaitReady(Dpid);
        var desired = Desired();

        // The tables: foreign entries untouched, ours exactly the desired state.
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(foreignFlows.Concat(desired.FlowLines()).Order(StringComparer.Ordinal)));
        Assert.That(ovs.DumpGroups("br0"), Is.EqualTo(foreignGroups.Concat(desired.GroupLines()).Order(StringComparer.Ordinal)));

        // The diff the controller computed.
        var first = s.LastReconcile!;
        Assert.That(first.ReadBack, Is.True);
        Assert.That(first.Diff.GroupAdds.Select(g => g.GroupId), Is.EqualTo(new[] { G2 }));
        Assert.That(first.Diff.GroupMods.Select(g => g.GroupId), Is.EqualTo(new[] { G1 }));
        Assert.That(first.Diff.FlowDeletes.Select(f => f.Cookie), Is.EquivalentTo(new[] { 0x4c42010000000099UL, 0x4c42020000000007UL }));
        Assert.That(first.Diff.FlowAdds, Is.EquivalentTo(new[] { F2, F3, F4 }));
        Assert.That(first.Diff.GroupDeletes.Select(g => g.GroupId), Is.EqualTo(new[] { GStale }));
        Assert.That((s.FlowModsSent, s.GroupModsSent, s.BundleCommits), Is.EqualTo((5L, 3L, 1L)));

        // What the switch received: the same 8 messages, in one bundle, groups before the flows using them.
        int n1 = await witness.SyncAsync(s, c.Target);
        var mods = witness.ModsSince(c.Target, 0);
        TestContext.Out.WriteLine("switch received:\n  " + string.Join("\n  ", mods));
        Assert.That(mods.Select(m => m.BundleId).Distinct().ToList(), Has.Count.EqualTo(1).And.None.Null);
        Assert.That(witness.CommitsSince(c.Target, 0), Is.EqualTo(1));
        Assert.That(mods.Count(m => m.IsFlowMod), Is.EqualTo(5));
        Assert.That(mods.Count(m => m.IsGroupMod), Is.EqualTo(3));
        var text = mods.Select(m => m.Text).ToList();
        Assert.That(text[0], Does.StartWith($"GROUP_MOD ADD group_id={G2},type=select"));
        Assert.That(text[1], Does.StartWith($"GROUP_MOD MOD group_id={G1},type=select"));
        Assert.That(text.Skip(2).Take(2), Has.All.StartWith("FLOW_MOD DEL_STRICT"));
        Assert.That(string.Join(" ", text.Skip(2).Take(2)), Does.Contain("0x4c42010000000099").And.Contain("0x4c42020000000007"));
        Assert.That(text.Skip(4).Take(3), Has.All.StartWith("FLOW_MOD ADD"));
        Assert.That(text[7], Does.StartWith($"GROUP_MOD DEL group_id={GStale}"));

        // Second reconcile, three ways: no FLOW_MOD / GROUP_MOD at all, by our counters and by the switch's log.
        await c.Controller.ReconcileAllAsync();
        Assert.That(s.LastReconcile!.Diff.IsEmpty && !s.LastReconcile.ReadBack, Is.True);
        var readBack = await s.ReconcileAsync(Desired(), readBack: true);
        Assert.That(readBack.Diff.IsEmpty && readBack.ReadBack, Is.True, readBack.Diff.ToString());
        var before = s.LastReconcile;
        c.Desired.Set(Desired());
        Assert.That(ProcessRunner.WaitUntil(() => !ReferenceEquals(s.LastReconcile, before), Bound), Is.True);
        Assert.That(s.LastReconcile!.Diff.IsEmpty, Is.True);
        await witness.SyncAsync(s, c.Target);
        Assert.That((s.FlowModsSent, s.GroupModsSent, s.BundleCommits), Is.EqualTo((5L, 3L, 1L)));
        Assert.That(witness.ModsSince(c.Target, n1), Is.Empty);
        Assert.That(witness.CommitsSince(c.Target, n1), Is.Zero);
        var kinds = witness.Received(c.Target).Skip(n1).Select(m => m[..m.IndexOf(" (OF1.3)", StringComparison.Ordinal)]).Distinct().Order().ToList();
        TestContext.Out.WriteLine("second reconcile, switch received only: " + string.Join(", ", kinds));
        Assert.That(kinds, Is.SubsetOf(new[] { "OFPST_FLOW request", "OFPST_GROUP_DESC request", "OFPST_METER_CONFIG request", "OFPT_BARRIER_REQUEST", "OFPT_ECHO_REQUEST", "OFPT_ECHO_REPLY" }));
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(foreignFlows.Concat(desired.FlowLines()).Order(StringComparer.Ordinal)));
    }

    [Test]
    public async Task A_configuration_change_is_applied_as_exactly_its_diff()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        var witness = new OvsReceivedLog(ovs);
        await using var c = new RunningController(Desired());
        ovs.SetController("br0", c.Target);
        var s = c.WaitReady(Dpid);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(Desired().FlowLines()));
        int n0 = await witness.SyncAsync(s, c.Target);
        var (flowMods, groupMods) = (s.FlowModsSent, s.GroupModsSent);

        // One flow changed (F1 now outputs to 3), one removed (F4), one added into a new 4-bucket select group.
        var f1 = TestStates.Flow(100, F1.Match, new OutputAction(3), 1);
        var f5 = ToGroup(5, G3, 5);
        var changed = SwitchState.Create([f1, F2, F3, f5], [Select(G1, 1, 2), Select(G2, 1, 2, 3), Select(G3, 1, 2, 3, 4)]);
        await SetAndWaitAsync(c, s, changed);
        var d = s.LastReconcile!.Diff;
        Assert.That((d.GroupAdds.Count, d.GroupMods.Count, d.FlowDeletes.Count, d.FlowAdds.Count, d.GroupDeletes.Count), Is.EqualTo((1, 0, 1, 2, 0)));
        Assert.That((s.FlowModsSent - flowMods, s.GroupModsSent - groupMods), Is.EqualTo((3L, 1L)));
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(changed.FlowLines()));
        Assert.That(ovs.DumpGroups("br0"), Is.EqualTo(changed.GroupLines()));

        int n1 = await witness.SyncAsync(s, c.Target);
        var mods = witness.ModsSince(c.Target, n0);
        TestContext.Out.WriteLine("switch received:\n  " + string.Join("\n  ", mods));
        Assert.That(mods.Select(m => m.BundleId).Distinct().ToList(), Has.Count.EqualTo(1).And.None.Null);
        Assert.That(mods.Select(m => m.Text.Split(' ')[0] + " " + m.Text.Split(' ')[1]), Is.EqualTo(new[]
        {
            "GROUP_MOD ADD", "FLOW_MOD DEL_STRICT", "FLOW_MOD ADD", "FLOW_MOD ADD",
        }));
        Assert.That(mods[0].Text, Does.StartWith($"GROUP_MOD ADD group_id={G3},type=select"));
        Assert.That(mods[0].Text.Split("bucket=").Length - 1, Is.EqualTo(4));
        Assert.That(mods[1].Text, Does.Contain(Cookie(4)));
        Assert.That(mods.Skip(2).Select(m => m.Text), Has.One.Contains(Cookie(1)).And.One.Contains(Cookie(5)).And.One.Contains($"group:{G3}"));

        // Removing a group nothing uses any more: exactly one GROUP_MOD DEL.
        var fewer = SwitchState.Create([f1, F2, F3, f5], [Select(G1, 1, 2), Select(G3, 1, 2, 3, 4)]);
        await SetAndWaitAsync(c, s, fewer);
        await witness.SyncAsync(s, c.Target);
        Assert.That(witness.ModsSince(c.Target, n1).Select(m => m.Text), Is.EqualTo(new[] { $"GROUP_MOD DEL group_id={G2},type=all" }));
        Assert.That(ovs.DumpGroups("br0"), Is.EqualTo(fewer.GroupLines()));
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(fewer.FlowLines()));
    }

    [Test]
    public async Task A_state_the_switch_refuses_is_logged_with_the_offending_message_and_nothing_is_applied()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        await using var c = new RunningController(Desired());
        ovs.SetController("br0", c.Target);
        var s = c.WaitReady(Dpid);
        var good = ovs.DumpFlows("br0");
        var goodGroups = ovs.DumpGroups("br0");
        var (flowMods, commits) = (s.FlowModsSent, s.BundleCommits);

        // Refused at commit: a flow into a group that does not exist, among valid changes (F2 removed, F7 added).
        var f6 = ToGroup(6, GMissing, 6);
        var f7 = TestStates.Flow(150, IpDst(7), new OutputAction(2), 7);
        c.Desired.Set(SwitchState.Create([F1, F3, F4, f6, f7], Desired().Groups.Values));
        var line = c.Log.WaitFor(Bound, "could not be committed");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines.TakeLast(20)));
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain("OFPBAC_BAD_OUT_GROUP for OFPT_FLOW_MOD").And.Contain($"group:{GMissing}").And.Contain("nothing was applied"));
        Assert.That(c.Log.WaitFor(Bound, "Reconciling 0000000000005ec0 failed"), Is.Not.Null);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(good));
        Assert.That(ovs.DumpGroups("br0"), Is.EqualTo(goodGroups));

        // Refused when added: goto_table backwards (table 3 -> 1) is an invalid instruction.
        var back = new FlowEntry { TableId = 3, Priority = 10, Cookie = TestStates.Cookies.Make(1, 8), Instructions = [new GotoTableInstruction(1)] };
        c.Desired.Set(SwitchState.Create([F1, F3, F4, f7, back], Desired().Groups.Values));
        line = c.Log.WaitFor(Bound, "could not be added");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines.TakeLast(20)));
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain("OFPBIC_BAD_TABLE_ID for OFPT_FLOW_MOD").And.Contain("goto_table:1"));
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(good));
        Assert.That((s.FlowModsSent, s.BundleCommits), Is.EqualTo((flowMods, commits)), "a refused bundle is not counted as sent");
        Assert.That(s.State, Is.EqualTo(SessionState.Ready));

        // The session is still usable: a valid state is applied.
        var fixedState = SwitchState.Create([F1, F3, F4, f7], Desired().Groups.Values);
        await SetAndWaitAsync(c, s, fixedState);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(fixedState.FlowLines()));
    }

    [Test]
    public async Task A_refused_reconcile_is_retried_with_backoff_without_waiting_for_a_change()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        // The first two states the provider computes hold a flow into a missing group (the switch refuses the
        // bundle); later ones are valid. The provider never raises Changed: only the retry can program the switch.
        var provider = new RefusedFirst(SwitchState.Create([F1, F2, ToGroup(6, GMissing, 6)], []), Desired(), failures: 2);
        var log = new RecordingLoggerProvider();
        await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"] }, provider, null, log.Factory());
        await controller.StartAsync();
        ovs.SetController("br0", $"tcp:127.0.0.1:{controller.LocalEndpoints[0].Port}");

        SwitchSession? s = null;
        bool reconciled = ProcessRunner.WaitUntil(() => controller.Sessions.TryGetValue(Dpid, out s) && s.LastReconcile is not null, TimeSpan.FromSeconds(15));
        Assert.That(reconciled, Is.True, $"never reconciled; log:\n{string.Join("\n", log.Lines.TakeLast(20))}");
        var retries = log.Lines.Where(l => l.Contains("retrying in", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(Desired().FlowLines()));
            Assert.That(ovs.DumpGroups("br0"), Is.EqualTo(Desired().GroupLines()));
            Assert.That(provider.Calls, Is.EqualTo(3), "connect, then one call per retry");
            Assert.That(retries, Has.Count.EqualTo(2));
            Assert.That(retries.ElementAtOrDefault(0), Does.Contain("retrying in 1 s"));
            Assert.That(retries.ElementAtOrDefault(1), Does.Contain("retrying in 2 s"), "the delay doubles");
            Assert.That(s!.LastReconcile!.ReadBack, Is.True, "a retry reads the switch back");
            Assert.That(provider.Committed, Has.Count.EqualTo(1), "the provider hears only of the state the switch committed");
            Assert.That(provider.Committed.FirstOrDefault(), Is.SameAs(provider.Good), "the very instance it planned");
        });
    }

    /// <summary>A provider whose first <paramref name="failures"/> answers are <paramref name="refused"/>, then <paramref name="good"/>; it never raises <see cref="Changed"/>.</summary>
    private sealed class RefusedFirst(SwitchState refused, SwitchState good, int failures) : IDesiredStateProvider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);
        public SwitchState Good => good;

        /// <summary>The states <see cref="OnReconciled"/> reported committed, in order.</summary>
        public List<SwitchState> Committed { get; } = [];

        public void OnReconciled(ISwitchHandle sw, SwitchState committed)
        {
            lock (Committed) Committed.Add(committed);
        }

        public SwitchState GetDesiredState(SwitchInfo sw) => Interlocked.Increment(ref _calls) <= failures ? refused : good;

        public event EventHandler? Changed { add { } remove { } }
    }

    [Test]
    public async Task ManageForeignFlows_deletes_flows_with_other_cookies_but_not_foreign_groups_or_learned_flows()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        HoldFlows(ovs);
        ovs.Ofctl("add-flow", "br0", "cookie=0x1234,priority=60,arp,actions=output:1");
        ovs.Ofctl("add-flow", "br0", "table=2,priority=5,actions=drop");
        ovs.Ofctl("add-group", "br0", "group_id=7,type=all,bucket=output:1,bucket=output:2");
        // A flow the datapath learned from one of our learn actions (our signature, feature 0xff): neither ours
        // to delete nor foreign, so it stays even when foreign flows are managed.
        ovs.Ofctl("add-flow", "br0", $"cookie=0x{TestStates.Cookies.Make(CookieLayout.LearnedFeature, 1):x},priority=70,arp,actions=drop");
        var learned = ovs.DumpFlows("br0").Where(l => l.Contains("cookie=0x4c42ff", StringComparison.Ordinal)).ToList();
        Assert.That(learned, Has.Count.EqualTo(1));
        var foreignGroups = ovs.DumpGroups("br0");
        await using var c = new RunningController(Desired(), o => o.ManageForeignFlows = true);
        ovs.SetController("br0", c.Target);
        var s = c.WaitReady(Dpid);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(learned.Concat(Desired().FlowLines()).Order(StringComparer.Ordinal)));
        Assert.That(s.LastReconcile!.Diff.FlowDeletes.Select(f => f.Cookie), Is.EquivalentTo(new[] { 0x1234UL, 0UL }));
        Assert.That(ovs.DumpGroups("br0"), Is.EqualTo(foreignGroups.Concat(Desired().GroupLines()).Order(StringComparer.Ordinal)));
    }

    /// <summary>
    /// OVS flushes a bridge's flows when it goes from no controller to some controller
    /// (connmgr_set_controllers), so pre-loaded flows would vanish when the test points the bridge at
    /// the controller. Give the bridge a controller that is never reached first; replacing it later
    /// does not flush.
    /// </summary>
    private static void HoldFlows(OvsSandbox ovs) => ovs.SetController("br0", "tcp:127.0.0.1:1");

    /// <summary>Sets the desired state and waits until the controller has reconciled the switch with it.</summary>
    internal static async Task SetAndWaitAsync(RunningController c, SwitchSession s, SwitchState state)
    {
        var before = s.LastReconcile;
        c.Desired.Set(state);
        bool done = ProcessRunner.WaitUntil(() => !ReferenceEquals(s.LastReconcile, before), Bound);
        Assert.That(done, Is.True, $"no reconcile within {Bound}; log:\n{string.Join("\n", c.Log.Lines.TakeLast(20))}");
        await Task.CompletedTask;
    }
}
