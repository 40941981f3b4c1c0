using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Roles per switch, as an elected cluster needs them (issue 13): two instances connected to two bridges, each
/// instance master of one bridge. Instances join every bridge as SLAVE at the bridge's current generation id, so a
/// standby never raises the id above the elected master's; a promotion reads the switch back and sends nothing when
/// the switch already holds the desired state; a stale master is refused by OVS; and stopping writes is local and
/// immediate, with no OpenFlow exchange. Referee: OVS's own role replies (NOCHANGE requests), its flow tables, and
/// the messages ovs-vswitchd logged as received (<see cref="OvsReceivedLog"/>).
/// </summary>
[TestFixture, Category("Ovs")]
public class SwitchRoleTests
{
    private const ulong D1 = 0x301e, D2 = 0x302e;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>What a cluster member asks every switch for when it connects: SLAVE at the switch's current generation.</summary>
    private sealed class Standby : ISwitchRoles
    {
        public RoleRequest InitialRole(SwitchInfo sw) => RoleRequest.StandbyAtCurrent;
    }

    private static RunningController Instance() => new(TestStates.Patch(), roles: new Standby());

    private static async Task<RoleMessage> SwitchSide(SwitchSession s) => await s.RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.NoChange, 0));

    [Test]
    public async Task Each_bridge_has_its_own_master_standbys_never_raise_the_generation_and_stopped_writes_send_nothing()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br1", D1);
        ovs.AddBridge("br2", D2);
        var witness = new OvsReceivedLog(ovs);
        await using var a = Instance();
        await using var b = Instance();
        RoleTests.SetControllers(ovs, "br1", a, b);
        RoleTests.SetControllers(ovs, "br2", a, b);
        var (a1, a2, b1, b2) = (a.WaitReady(D1), a.WaitReady(D2), b.WaitReady(D1), b.WaitReady(D2));

        // Everyone joined as SLAVE; the bridges' generation ids were undefined and are now 0, never higher; nothing written.
        foreach (var s in new[] { a1, a2, b1, b2 })
        {
            Assert.That((s.Role, s.State), Is.EqualTo((ControllerRole.Slave, SessionState.Standby)), s.ToString());
            var side = await SwitchSide(s);
            Assert.That((side.Role, side.GenerationId), Is.EqualTo((ControllerRole.Slave, 0UL)), s.ToString());
        }
        int na = await witness.SyncAsync(a1, a.Target), nb = await witness.SyncAsync(b1, b.Target);
        Assert.That(witness.ModsSince(a.Target, 0).Concat(witness.ModsSince(b.Target, 0)), Is.Empty, "a standby writes nothing");

        // a is elected for br1 (generation 10), b for br2 (11): each writes its bridge; the standbys' ids stay the masters'.
        Assert.That(await a.Controller.SetRoleAsync(D1, new RoleRequest(ControllerRole.Master, 10)), Is.EqualTo(ControllerRole.Master));
        Assert.That(await b.Controller.SetRoleAsync(D2, new RoleRequest(ControllerRole.Master, 11)), Is.EqualTo(ControllerRole.Master));
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch().FlowLines()));
        Assert.That(ovs.DumpFlows("br2"), Is.EqualTo(TestStates.Patch().FlowLines()));
        Assert.That(await b.Controller.SetRoleAsync(D1, RoleRequest.StandbyAtCurrent), Is.EqualTo(ControllerRole.Slave), "asking SLAVE again");
        Assert.That((await SwitchSide(b1)).GenerationId, Is.EqualTo(10UL), "b's SLAVE request at the current id did not raise br1's generation");
        Assert.That((await SwitchSide(a1)).Role, Is.EqualTo(ControllerRole.Master), "a is still br1's master");
        Assert.That((await SwitchSide(a2)).GenerationId, Is.EqualTo(11UL));

        // br1's election moves to b (generation 12): OVS demotes a (role status); b reads br1 back and sends nothing.
        nb = await witness.SyncAsync(b1, b.Target);
        Assert.That(await b.Controller.SetRoleAsync(D1, new RoleRequest(ControllerRole.Master, 12)), Is.EqualTo(ControllerRole.Master));
        Assert.That(ProcessRunner.WaitUntil(() => a1.Role == ControllerRole.Slave && a1.State == SessionState.Standby, Bound), Is.True, "a was not demoted on br1");
        Assert.That(b1.LastReconcile is { ReadBack: true, Diff.IsEmpty: true }, Is.True, b1.LastReconcile?.Diff.ToString());
        await witness.SyncAsync(b1, b.Target);
        Assert.That(witness.ModsSince(b.Target, nb), Is.Empty, "the new master of br1 sent no FLOW_MOD or GROUP_MOD");

        // a, still believing in generation 10, asks MASTER again: refused as stale, stays SLAVE.
        Assert.That(await a.Controller.SetRoleAsync(D1, new RoleRequest(ControllerRole.Master, 10)), Is.EqualTo(ControllerRole.Slave));
        Assert.That(a.Log.WaitFor(Bound, "generation id 10 is stale", "generation 12"), Is.Not.Null, string.Join("\n", a.Log.Lines.TakeLast(10)));
        Assert.That((await SwitchSide(b1)).Role, Is.EqualTo(ControllerRole.Master));

        // b stops writing to br2 (say its lease is gone): at once, locally, the switch still holds it as master.
        na = await witness.SyncAsync(a2, a.Target);
        nb = await witness.SyncAsync(b2, b.Target);
        int receivedBefore = witness.Received(b.Target).Count;
        b2.StopWriting("test: lease lost");
        Assert.That(b2.CanWrite, Is.False);
        Assert.Throws<WritesStoppedException>(() => b2.Send(TestStates.Patch().Flows.Values.First().ToAdd()));
        b.Desired.Set(TestStates.Patch(extraFlows: 2));
        await b.Controller.ReconcileAllAsync();
        Assert.That(ovs.DumpFlows("br2"), Is.EqualTo(TestStates.Patch().FlowLines()), "br2 unchanged while b's writes are stopped");
        Assert.That(ovs.DumpFlows("br1"), Is.EqualTo(TestStates.Patch(extraFlows: 2).FlowLines()), "b still writes br1");
        Assert.That((await SwitchSide(b2)).Role, Is.EqualTo(ControllerRole.Master), "stopping writes sends nothing to the switch");

        b2.AllowWriting("test: lease back");
        await b.Controller.ReconcileAllAsync();
        Assert.That(ovs.DumpFlows("br2"), Is.EqualTo(TestStates.Patch(extraFlows: 2).FlowLines()));
        Assert.That(witness.ModsSince(a.Target, na), Is.Empty, "a, standby on both bridges, wrote nothing");
        TestContext.Out.WriteLine($"b received before the stop: {receivedBefore}; mods after it: {witness.ModsSince(b.Target, nb).Count}");
    }
}
