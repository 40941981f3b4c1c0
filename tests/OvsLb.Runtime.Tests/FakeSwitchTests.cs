using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// The runtime against <see cref="FakeSwitch"/> (the in-process switch the load benchmarks use), for
/// what a real ovs-vswitchd cannot be made to do on demand. Session state and reconciliation run over the
/// in-memory transport (real OpenFlow bytes, no socket); the read-back test, whose subject is the receive
/// buffer under a TCP stream, stays on TCP.
/// </summary>
[TestFixture]
public class FakeSwitchTests
{
    [Test]
    public async Task A_fake_switch_is_handshaken_and_reconciled_like_a_bridge()
    {
        await using var c = new RunningController(TestStates.Patch(extraFlows: 3), inMemory: true);
        await using var fake = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xfa1, BridgeName = "brfake" });
        var s = c.WaitReady(0xfa1);
        Assert.That(s.BridgeName, Is.EqualTo("brfake"));
        Assert.That(s.Ports.Keys, Is.EquivalentTo(new uint[] { 1, 2, 0xfffffffe }));
        Assert.That(fake.Flows.Select(f => (f.Priority, f.Match, f.Cookie)),
            Is.EquivalentTo(TestStates.Patch(extraFlows: 3).Flows.Values.Select(f => (f.Priority, f.Match, f.Cookie))));
        Assert.That(fake.BundlesCommitted, Is.EqualTo(1));

        // A second reconciliation with the state read back from the fake changes nothing.
        var again = await s.ReconcileAsync(TestStates.Patch(extraFlows: 3), readBack: true);
        Assert.That(again.Changed, Is.False, again.Diff.ToString());
    }

    [Test]
    public async Task An_is_secondary_error_from_the_switch_makes_the_session_standby()
    {
        // OVS answers a write from a controller it holds as secondary (slave) with OFPBRC_IS_SLAVE,
        // error type 1 code 10, which OVS 3.1 names OFPBRC_IS_SECONDARY.
        await using var c = new RunningController(TestStates.Patch(), inMemory: true);
        await using var fake = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xfa2 });
        var s = c.WaitReady(0xfa2);
        Assert.That(s.CanWrite, Is.True);

        fake.SendError("OFPBRC_IS_SECONDARY", 0x1234, new byte[16]);
        Assert.That(ProcessRunner.WaitUntil(() => s.Role == ControllerRole.Slave, TimeSpan.FromSeconds(5)), Is.True,
            $"role {s.Role}; log:\n{string.Join("\n", c.Log.Lines.TakeLast(10))}");
        Assert.That(s.State, Is.EqualTo(SessionState.Standby));
        Assert.That(s.CanWrite, Is.False);
    }

    [Test]
    public async Task A_flow_dump_read_back_is_not_overwritten_by_messages_that_follow_it()
    {
        // Flows with a note action: the decoded note aliases the bytes it was read from. The fake
        // follows each flow dump with 256 KB of ECHO_REQUESTs full of 0xee, so the receive buffer the
        // dump came in is reused while reconciliation is still comparing the dump with the desired state.
        var desired = SwitchState.Create(Enumerable.Range(0, 50).Select(i => TestStates.Flow(
            (ushort)(10 + i), new OvsLb.OpenFlow.Match.OfpMatch(OvsLb.OpenFlow.Match.OxmEntry.For(OvsLb.OpenFlow.Match.MfId.InPortOxm, (uint)i + 1)),
            OvsLb.OpenFlow.Actions.Nicira.NoteAction.Of(System.Text.Encoding.ASCII.GetBytes($"note-{i:d4}-abcdefgh")), (ulong)i)), []);
        await using var c = new RunningController(desired);
        await using var fake = await FakeSwitch.ConnectAsync(c.Controller.LocalEndpoints[0], new FakeSwitchOptions { DatapathId = 0xfa3 });
        var s = c.WaitReady(0xfa3);
        var noise = new EchoMessage(false, Enumerable.Repeat((byte)0xee, 4096).ToArray());
        fake.Intercept = (f, m) =>
        {
            if (m is not OvsLb.OpenFlow.Messages.Multipart.EmptyMultipartRequest { Kind: OvsLb.OpenFlow.Messages.Multipart.MultipartType.GroupDesc }) return false;
            // The group dump is the last reply reconciliation waits for; the flow dump was read before it.
            f.Send(new OvsLb.OpenFlow.Messages.Multipart.GroupDescReply { Xid = m.Xid });
            for (int i = 0; i < 64; i++) f.Send(noise);
            return true;
        };
        for (int round = 0; round < 20; round++)
        {
            var r = await s.ReconcileAsync(desired, readBack: true);
            Assert.That(r.Changed, Is.False, $"round {round}: the flows read back differ from the ones installed: {r.Diff}");
        }
    }
}

/// <summary>Robustness of the controller against its own application and duplicate switches.</summary>
[TestFixture]
public class ControllerRobustnessTests
{
    [Test]
    public async Task A_datapath_that_reconnects_replaces_its_stale_connection()
    {
        await using var c = new RunningController(TestStates.Patch(), inMemory: true);
        await using var first = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xfa7 });
        var s1 = c.WaitReady(0xfa7);
        await using var second = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xfa7 });
        Assert.That(ProcessRunner.WaitUntil(() => first.Closed.IsCancellationRequested, TimeSpan.FromSeconds(5)), Is.True, "the stale connection is closed");
        Assert.That(ProcessRunner.WaitUntil(() => c.Controller.Sessions.TryGetValue(0xfa7, out var s2) && !ReferenceEquals(s2, s1) && s2.LastReconcile is not null, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(c.Controller.Sessions, Has.Count.EqualTo(1));
        Assert.That(c.Log.WaitFor(TimeSpan.FromSeconds(1), "reconnected from", "closing its previous connection"), Is.Not.Null);
    }

    private sealed class ThrowingProvider : OvsLb.Runtime.Session.IDesiredStateProvider
    {
        public bool Throw { get; set; } = true;
        public SwitchState GetDesiredState(SwitchInfo sw) =>
            Throw ? throw new NullReferenceException("bug in the policy layer") : TestStates.Patch();
        public event EventHandler? Changed;
        public void Fire() => Changed?.Invoke(this, EventArgs.Empty);
    }

    [Test]
    public async Task A_failing_desired_state_provider_is_logged_and_does_not_drop_the_switch()
    {
        var log = new RecordingLoggerProvider();
        var provider = new ThrowingProvider();
        var memory = new OvsLb.Runtime.Transport.InMemoryTransport();
        await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"] }, provider, loggers: log.Factory(), transport: memory);
        await controller.StartAsync();
        await using var fake = FakeSwitch.Over(memory.Connect(), new FakeSwitchOptions { DatapathId = 0xfa8 });
        Assert.That(log.WaitFor(TimeSpan.FromSeconds(5), "Reconciling 0000000000000fa8 failed", "bug in the policy layer"), Is.Not.Null);
        Assert.That(controller.Sessions.ContainsKey(0xfa8), Is.True, "the session stays up");
        provider.Throw = false;
        provider.Fire();
        Assert.That(ProcessRunner.WaitUntil(() => fake.Flows.Count == 2, TimeSpan.FromSeconds(5)), Is.True, "the next change is applied");
    }
}
