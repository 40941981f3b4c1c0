using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Several controller instances on one bridge (OVS connects to every controller of a bridge): only
/// the MASTER writes, a SLAVE is promoted with a newer generation id, a stale generation id is
/// refused, and a master demoted by another instance stops writing.
/// </summary>
[TestFixture, Category("Ovs")]
public class RoleTests
{
    private const ulong Dpid = 0x201e;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static RunningController Instance(SwitchState desired, ControllerRole role, ulong generation) =>
        new(desired, o => { o.Role = role; o.GenerationId = generation; });

    /// <summary>Points the bridge at several controllers, each reconnecting within a second.</summary>
    internal static void SetControllers(OvsSandbox ovs, string bridge, params RunningController[] controllers)
    {
        var args = new List<string>();
        for (int i = 0; i < controllers.Length; i++)
        {
            args.AddRange(["--", $"--id=@c{i}", "create", "controller", $"target=\"{controllers[i].Target}\"", "max_backoff=1000"]);
        }
        args.AddRange(["--", "set", "bridge", bridge, "controller=" + string.Join(",", Enumerable.Range(0, controllers.Length).Select(i => $"@c{i}"))]);
        ovs.Vsctl([.. args]);
    }

    /// <summary>The role the switch itself holds for this connection (ROLE_REQUEST with NOCHANGE).</summary>
    private static async Task<RoleMessage> SwitchSideRole(SwitchSession s) =>
        await s.RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.NoChange, 0));

    private static void WaitFor(Func<bool> condition, RunningController c, string what) =>
        Assert.That(ProcessRunner.WaitUntil(condition, Bound), Is.True, $"{what}; log:\n{string.Join("\n", c.Log.Lines.TakeLast(20))}");

    [Test]
    public async Task Only_the_master_writes_a_promoted_standby_keeps_the_flows_and_a_demoted_master_stops_writing()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        var witness = new OvsReceivedLog(ovs);
        var a = Instance(TestStates.Patch(), ControllerRole.Master, 1);
        await using var b = Instance(TestStates.Patch(1, 3), ControllerRole.Slave, 1);
        await using var c = Instance(TestStates.Patch(2, 3), ControllerRole.Slave, 1);
        try
        {
            SetControllers(ovs, "br0", a, b, c);
            var sa = a.WaitReady(Dpid);
            var sb = b.WaitReady(Dpid);
            var sc = c.WaitReady(Dpid);
            Assert.That((sa.Role, sa.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready)));
            Assert.That((sb.Role, sb.State), Is.EqualTo((ControllerRole.Slave, SessionState.Standby)));
            Assert.That((sc.Role, sc.State), Is.EqualTo((ControllerRole.Slave, SessionState.Standby)));
            Assert.That((await SwitchSideRole(sb)).Role, Is.EqualTo(ControllerRole.Slave));

            // Only the master's desired state is on the switch; a standby's change is not written.
            b.Desired.Set(TestStates.Patch(1, 3, extraFlows: 2));
            await b.Controller.ReconcileAllAsync();
            var dump = ovs.DumpFlows("br0");
            Assert.That(dump, Is.EqualTo(TestStates.Patch().FlowLines()));
            Assert.That((sb.FlowModsSent, sc.FlowModsSent, sb.LastReconcile, sc.LastReconcile), Is.EqualTo((0L, 0L, (ReconcileResult?)null, (ReconcileResult?)null)));
            await witness.SyncAsync(sa, a.Target);
            int nb = await witness.SyncAsync(sb, b.Target);
            int nc = await witness.SyncAsync(sc, c.Target);
            Assert.That(witness.ModsSince(a.Target, 0).Count(m => m.IsFlowMod), Is.EqualTo(2));
            Assert.That(witness.ModsSince(b.Target, 0), Is.Empty);
            Assert.That(witness.ModsSince(c.Target, 0), Is.Empty);

            // The master goes away; b is promoted with a newer generation and wants the same flows:
            // it reads them back and sends nothing, the table is untouched.
            await a.DisposeAsync();
            b.Desired.Set(TestStates.Patch());
            await b.Controller.SetRoleAsync(ControllerRole.Master, 2);
            Assert.That((sb.Role, sb.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready)));
            Assert.That(sb.LastReconcile, Is.Not.Null);
            Assert.That(sb.LastReconcile!.ReadBack && sb.LastReconcile.Diff.IsEmpty, Is.True, sb.LastReconcile.Diff.ToString());
            Assert.That(sb.FlowModsSent, Is.Zero);
            Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(dump));
            nb = await witness.SyncAsync(sb, b.Target);
            Assert.That(witness.ModsSince(b.Target, 0), Is.Empty);

            // ... and now it writes.
            await ReconcileTests.SetAndWaitAsync(b, sb, TestStates.Patch(extraFlows: 3));
            Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(TestStates.Patch(extraFlows: 3).FlowLines()));
            int nb2 = await witness.SyncAsync(sb, b.Target);
            Assert.That(witness.ModsSince(b.Target, nb).Select(m => m.Text.Split(' ')[1]), Is.EqualTo(new[] { "ADD", "ADD", "ADD" }));

            // A stale generation (1 after 2 was used): refused by the switch, c stays SLAVE and says why.
            await c.Controller.SetRoleAsync(ControllerRole.Master, 1);
            var stale = c.Log.WaitFor(Bound, "is stale");
            TestContext.Out.WriteLine(stale);
            Assert.That(stale, Does.Contain("generation id 1").And.Contain("generation 2").And.Contain("staying SLAVE"));
            Assert.That((sc.Role, sc.State), Is.EqualTo((ControllerRole.Slave, SessionState.Standby)));
            Assert.That((await SwitchSideRole(sc)).Role, Is.EqualTo(ControllerRole.Slave));
            Assert.That((await SwitchSideRole(sb)).Role, Is.EqualTo(ControllerRole.Master));
            Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(TestStates.Patch(extraFlows: 3).FlowLines()));

            // c takes over with generation 3: OVS demotes b and tells it (ONF role status); b stops writing.
            await c.Controller.SetRoleAsync(ControllerRole.Master, 3);
            WaitFor(() => sb.Role == ControllerRole.Slave && sb.State == SessionState.Standby, b, "b was not demoted");
            Assert.That(b.Log.WaitFor(Bound, "Role is now Slave (role status from the switch)"), Is.Not.Null);
            Assert.That((sc.Role, sc.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready)));
            Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(TestStates.Patch(2, 3).FlowLines()));
            long bMods = sb.FlowModsSent;
            b.Desired.Set(TestStates.Patch(extraFlows: 6));
            await b.Controller.ReconcileAllAsync();
            await witness.SyncAsync(sb, b.Target);
            Assert.That(witness.ModsSince(b.Target, nb2), Is.Empty);
            Assert.That(sb.FlowModsSent, Is.EqualTo(bMods));
            Assert.That(witness.ModsSince(c.Target, nc), Is.Not.Empty);
            Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(TestStates.Patch(2, 3).FlowLines()));
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    [Test]
    public async Task A_master_demoted_behind_its_back_is_refused_with_IS_SECONDARY_and_goes_standby()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        await using var a = Instance(TestStates.Patch(), ControllerRole.Master, 1);
        ovs.SetController("br0", a.Target);
        var s = a.WaitReady(Dpid);
        Assert.That(s.Role, Is.EqualTo(ControllerRole.Master));
        var dump = ovs.DumpFlows("br0");

        // Make the switch hold this connection as SLAVE without the session knowing (as if a role
        // status had been lost): the next write is refused with OFPBRC_IS_SLAVE (IS_SECONDARY in OVS 3.1).
        await s.RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.Slave, 1));
        Assert.That(s.Role, Is.EqualTo(ControllerRole.Master));
        a.Desired.Set(TestStates.Patch(extraFlows: 2));
        WaitFor(() => s.State == SessionState.Standby, a, "the refused write did not put the session in standby");
        Assert.That(s.Role, Is.EqualTo(ControllerRole.Slave));
        var line = a.Log.WaitFor(Bound, "Reconciling", "failed", "OFPBRC_IS_SECONDARY");
        Assert.That(line, Is.Not.Null, string.Join("\n", a.Log.Lines.TakeLast(20)));
        TestContext.Out.WriteLine(line);
        Assert.That(a.Log.WaitFor(Bound, "Role is now Slave (switch refused a write"), Is.Not.Null);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(dump));

        // Promoted again with a newer generation, it writes the pending desired state.
        await a.Controller.SetRoleAsync(ControllerRole.Master, 2);
        Assert.That((s.Role, s.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready)));
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(TestStates.Patch(extraFlows: 2).FlowLines()));
    }
}
