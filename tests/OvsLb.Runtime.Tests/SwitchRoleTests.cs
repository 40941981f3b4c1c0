using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Roles per switch, as cluster mode needs them (issue 13), with no etcd: two instances connected to two bridges
/// start as standbys at the switch's own generation id and never raise it; each is made master of one bridge with
/// its own generation; a takeover with a newer generation demotes the old master through OVS's role status and
/// sends no FLOW_MOD/GROUP_MOD when the flows are already right; the old master's re-request with its old
/// generation is refused as stale; and a closed write gate stops every write with no OpenFlow exchange.
/// </summary>
[TestFixture, Category("Ovs")]
public class SwitchRoleTests
{
    private const ulong Dp1 = 0x3a01, Dp2 = 0x3a02;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static RunningController Standby(SwitchState desired) => new(desired, roles: StandbyUntilElected.Instance);

    private static async Task<RoleMessage> SwitchSide(SwitchSession s) => await s.RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.NoChange, 0));

    private static void WaitFor(Func<bool> condition, RunningController c, string what) =>
        Assert.That(ProcessRunner.WaitUntil(condition, Bound), Is.True, $"{what}; log:\n{string.Join("\n", c.Log.Lines.TakeLast(20))}");

    private static SwitchSession WaitStandby(RunningController c, ulong dpid)
    {
        SwitchSession? s = null;
        WaitFor(() => c.Controller.Sessions.TryGetValue(dpid, out s) && s.State == SessionState.Standby, c, $"{dpid:x} not standby");
        return s!;
    }

    [Test]
    public async Task Standbys_keep_the_switch_generation_each_bridge_gets_its_own_master_and_a_takeover_sends_no_mods()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br1", Dp1);
        ovs.AddBridge("br2", Dp2);
        var witness = new OvsReceivedLog(ovs);
        await using var a = Standby(TestStates.Patch());
        await using var b = Standby(TestStates.Patch());
        RoleTests.SetControllers(ovs, "br1", a, b);
        RoleTests.SetControllers(ovs, "br2", a, b);
        var a1 = WaitStandby(a, Dp1);
        var a2 = WaitStandby(a, Dp2);
        var b1 = WaitStandby(b, Dp1);
        var b2 = WaitStandby(b, Dp2);

        // Both are SLAVE at the switch's generation (none defined: 0), nothing was written.
        foreach (var s in new[] { a1, a2, b1, b2 })
        {
            var held = await SwitchSide(s);
            Assert.That((held.Role, held.GenerationId, s.WritesAllowed, s.CanWrite), Is.EqualTo((ControllerRole.Slave, 0UL, false, false)), s.ToString());
        }
        Assert.That(ovs.DumpFlows("br1"), Is.Empty);
        Assert.That(ovs.DumpFlows("br2"), Is.Empty);

        // a masters br1 with generation 10, b masters br2 with 11: each bridge gets its master's flows, nothing else moves.
        Assert.That(await a.Controller.SetRoleAsync(Dp1, ControllerRole.Master, 10), Is.True);
        Assert.That(await b.Controller.SetRoleAsync(Dp2, ControllerRole.Master, 11), Is.True);
        Assert.That((a1.Role, a1.State, b2.Role, b2.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready, ControllerRole.Master, SessionState.Ready)));
        Assert.That((a2.Role, b1.Role), Is.EqualTo((ControllerRole.Slave, ControllerRole.Slave)));
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch().FlowLines()));
        Assert.That(ovs.DumpFlows("br2"), Is.EqualTo(TestStates.Patch().FlowLines()));
        Assert.That((await SwitchSide(b1)).GenerationId, Is.EqualTo(10UL), "the standby sees the master's generation");

        // A third instance connecting to br1 as a standby does not raise the generation, so a stays master.
        await using (var c = Standby(TestStates.Patch()))
        {
            RoleTests.SetControllers(ovs, "br1", a, b, c);
            var c1 = WaitStandby(c, Dp1);
            var held = await SwitchSide(c1);
            Assert.That((held.Role, held.GenerationId), Is.EqualTo((ControllerRole.Slave, 10UL)));
            Assert.That((await SwitchSide(a1)).Role, Is.EqualTo(ControllerRole.Master));
            Assert.That(a1.Role, Is.EqualTo(ControllerRole.Master));
            Assert.That((a.Controller.Sessions[Dp1], b.Controller.Sessions[Dp1]), Is.EqualTo((a1, b1)), "adding a controller kept the others' connections");
        }

        // b takes br1 over with generation 12 and wants the same flows: a is demoted by OVS's role status; b reads the
        // table back and sends no FLOW_MOD or GROUP_MOD.
        int bFrom = await witness.SyncAsync(b1, b.Target);
        await b.Controller.SetRoleAsync(Dp1, ControllerRole.Master, 12);
        Assert.That((b1.Role, b1.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready)));
        Assert.That(b1.LastReconcile is { ReadBack: true } r && r.Diff.IsEmpty, Is.True, b1.LastReconcile?.Diff.ToString());
        await witness.SyncAsync(b1, b.Target);
        Assert.That(witness.ModsSince(b.Target, bFrom), Is.Empty, "mods sent by the new master");
        WaitFor(() => a1.Role == ControllerRole.Slave && a1.State == SessionState.Standby, a, "a not demoted on br1");
        Assert.That(a.Log.WaitFor(Bound, "Role is now Slave (role status from the switch)"), Is.Not.Null);

        // a asks for MASTER again with its old generation: refused as stale, it stays SLAVE and says why.
        await a.Controller.SetRoleAsync(Dp1, ControllerRole.Master, 10);
        var stale = a.Log.WaitFor(Bound, "is stale");
        TestContext.Out.WriteLine(stale);
        Assert.That(stale, Does.Contain("generation id 10").And.Contain("generation 12").And.Contain("staying SLAVE"));
        Assert.That((a1.Role, (await SwitchSide(a1)).Role, (await SwitchSide(b1)).Role), Is.EqualTo((ControllerRole.Slave, ControllerRole.Slave, ControllerRole.Master)));
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch().FlowLines()));
    }

    [Test]
    public async Task A_closed_write_gate_stops_every_write_without_any_OpenFlow_exchange()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br1", Dp1);
        var witness = new OvsReceivedLog(ovs);
        await using var a = Standby(TestStates.Patch());
        ovs.SetController("br1", a.Target);
        var s = WaitStandby(a, Dp1);
        await a.Controller.SetRoleAsync(Dp1, ControllerRole.Master, 5);
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch().FlowLines()));
        int from = await witness.SyncAsync(s, a.Target);

        s.AllowWrites(false);
        long outBefore = s.MessagesOut;
        a.Desired.Set(TestStates.Patch(extraFlows: 2));
        await a.Controller.ReconcileAllAsync();
        var refused = Assert.Throws<WriteGateClosedException>(() => s.Send(TestStates.Patch(extraFlows: 1).Flows.Values.First().ToAdd()));

        Assert.That(s.MessagesOut, Is.EqualTo(outBefore), "nothing at all went to the switch");
        Assert.That((s.Role, s.CanWrite), Is.EqualTo((ControllerRole.Master, false)));
        Assert.That(refused!.Message, Does.Contain("write gate is closed"));
        await witness.SyncAsync(s, a.Target);
        Assert.That(witness.ModsSince(a.Target, from), Is.Empty);
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch().FlowLines()));

        // Reopened by a new mastership: the pending desired state is written.
        await a.Controller.SetRoleAsync(Dp1, ControllerRole.Master, 6);
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch(extraFlows: 2).FlowLines()));
    }
}
