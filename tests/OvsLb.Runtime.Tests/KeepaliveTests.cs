using System.Diagnostics;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.Transport.DotNetty;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Echo keepalive against a real ovs-vswitchd: a live idle switch keeps its session, and a switch
/// frozen with SIGSTOP (its TCP connection stays open, it just never answers) is dropped within two
/// echo intervals and comes back with its flows once it runs again.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName), Category("Ovs")]
public class KeepaliveTests(string transport)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Slack on top of the 2-interval bound for scheduling only: the keepalive timer ticks every
    /// Interval/20 (25 ms) on the thread pool, and on this shared 2-core machine a tick (or the
    /// continuation that records the close) can run late. It is not extra detection budget.
    /// </summary>
    private static readonly TimeSpan SchedulingTolerance = TimeSpan.FromMilliseconds(150);

    private ITransport? Transport() => transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null;

    [Test]
    public async Task A_live_idle_switch_answers_echoes_and_stays_connected()
    {
        using var ovs = OvsSandbox.Start();
        const ulong dpid = 0xe0;
        ovs.AddBridge("brke", dpid);
        await using var c = new RunningController(TestStates.Patch(), o => o.EchoInterval = Interval, transport: Transport());
        ovs.SetController("brke", c.Target);
        var s = c.WaitReady(dpid);

        // Nothing else flows on an idle bridge: every message now is an echo request of ours and its reply.
        long sent = s.MessagesOut, received = s.MessagesIn;
        bool echoed = ProcessRunner.WaitUntil(() => s.MessagesOut >= sent + 3 && s.MessagesIn >= received + 3, TimeSpan.FromSeconds(10));

        Assert.That(echoed, Is.True, $"expected 3 echo exchanges; out {s.MessagesOut - sent}, in {s.MessagesIn - received}");
        Assert.That(s.Completion.IsCompleted, Is.False, "an answering switch was disconnected");
        Assert.That(c.Controller.Sessions[dpid], Is.SameAs(s));
        Assert.That(c.Log.Lines.Where(l => l.Contains("disconnected", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task A_frozen_switch_is_dropped_within_two_echo_intervals_and_comes_back_with_its_flows()
    {
        using var ovs = OvsSandbox.Start();
        const ulong dpid = 0xe1;
        ovs.AddBridge("brkf", dpid);
        await using var c = new RunningController(TestStates.Patch(), o => o.EchoInterval = Interval, transport: Transport());
        ovs.SetController("brkf", c.Target);
        var first = c.WaitReady(dpid);
        var want = TestStates.Patch().FlowLines();
        Assert.That(ovs.DumpFlows("brkf"), Is.EqualTo(want));

        int pid = ovs.VswitchdProcess!.Id;
        long closedAt = 0;
        using var onClose = first.Closed.Register(() => Interlocked.Exchange(ref closedAt, Stopwatch.GetTimestamp()));
        long stoppedAt = Stopwatch.GetTimestamp();
        Posix.Kill(pid, Posix.SigStop);
        TimeSpan detection;
        string? logLine;
        try
        {
            var reason = await first.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            // Close() completes Completion just before it cancels Closed: let the callback stamp the time.
            ProcessRunner.WaitUntil(() => Interlocked.Read(ref closedAt) != 0, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(1));
            detection = Stopwatch.GetElapsedTime(stoppedAt, Interlocked.Read(ref closedAt));
            logLine = c.Log.WaitFor(TimeSpan.FromSeconds(2), "Switch 00000000000000e1 disconnected", "echo request unanswered");
            Assert.That(reason.Text, Does.Contain("echo request unanswered"));
        }
        finally
        {
            Posix.Kill(pid, Posix.SigCont);
        }
        long resumedAt = Stopwatch.GetTimestamp();

        // OVS finds its connection closed, reconnects after its backoff (1 s), and the controller
        // reads the flows back: they were never touched, so nothing is rewritten.
        var second = c.WaitReconnected(dpid, first, TimeSpan.FromSeconds(15));
        var reconnect = Stopwatch.GetElapsedTime(resumedAt);
        TestContext.Out.WriteLine($"detection after SIGSTOP: {detection.TotalMilliseconds:0} ms (bound {(2 * Interval).TotalMilliseconds:0} ms + {SchedulingTolerance.TotalMilliseconds:0} ms scheduling tolerance); " +
            $"Ready again {reconnect.TotalMilliseconds:0} ms after SIGCONT; log: {logLine}");

        Assert.That(detection, Is.GreaterThan(TimeSpan.Zero), "the session closed before the switch was frozen");
        Assert.That(detection, Is.LessThanOrEqualTo(2 * Interval + SchedulingTolerance));
        Assert.That(logLine, Is.Not.Null, string.Join("\n", c.Log.Lines.TakeLast(20)));
        Assert.That(ovs.DumpFlows("brkf"), Is.EqualTo(want));
        Assert.That(second.LastReconcile!.ReadBack, Is.True);
        Assert.That(second.FlowModsSent, Is.Zero, "flows were intact; reconnecting must not rewrite them");
    }
}
