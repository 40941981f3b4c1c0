using System.Text.RegularExpressions;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// On the DotNetty transport the echo keepalive is driven by the channel pipeline's IdleStateHandler (one clock: the session's
/// own timer does not run): a peer that answers stays, and a peer that stops answering echoes gets exactly one ECHO_REQUEST
/// and is cut once it has been silent for two echo intervals, with the reason the pipelines transport logs.
/// </summary>
[TestFixture]
public class DotNettyKeepaliveTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(400);

    /// <summary>Scheduling slack on the 2-interval bound on this shared machine (event-loop and thread-pool delays); not detection budget.</summary>
    private static readonly TimeSpan SchedulingTolerance = TimeSpan.FromMilliseconds(150);

    [Test]
    public async Task A_peer_that_stops_answering_echoes_is_cut_by_the_idle_handler_after_two_intervals()
    {
        var transport = new RecordingTransport(new DotNettyTransport());
        await using var c = new RunningController(TestStates.Patch(), o => o.EchoInterval = Interval, transport: transport);
        await using var fake = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xe2 });
        var s = c.WaitReady(0xe2);
        var conn = transport.Connections.Single() as DotNettyConnection;
        Assert.That(conn, Is.Not.Null, "the dotnetty transport accepted the peer");
        Assert.That(((IOpenFlowConnection)conn!).Idle, Is.SameAs(conn), "the connection offers its idle handler to the session");

        long echoes = 0;
        int silent = 0;
        fake.Intercept = (_, m) =>
        {
            if (m is not EchoMessage { IsReply: false }) return false;
            Interlocked.Increment(ref echoes);
            return Volatile.Read(ref silent) == 1; // swallowed: no reply
        };

        // Answering: an echo exchange each interval, and the session stays.
        Assert.That(ProcessRunner.WaitUntil(() => Interlocked.Read(ref echoes) >= 3, TimeSpan.FromSeconds(10)), Is.True, $"echo requests seen: {echoes}");
        Assert.That(s.Completion.IsCompleted, Is.False, "a peer answering echoes was cut");
        long idleEvents = conn.IdleEvents;
        Assert.That(idleEvents, Is.GreaterThanOrEqualTo(3), "each echo request came from a reader-idle event of the handler");

        // Silent: one echo request, then the cut on the handler's next event.
        await fake.EchoAsync(TimeSpan.FromSeconds(5)); // a message just received: the silence starts now
        long before = Interlocked.Read(ref echoes);
        Volatile.Write(ref silent, 1);
        var reason = await s.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(reason.Text, Does.Match(@"^switch silent for \d+ ms: echo request unanswered \(echo interval 400 ms\)$"));
        long silence = long.Parse(Regex.Match(reason.Text, @"\d+").Value);
        TestContext.Out.WriteLine($"cut after {silence} ms of silence (bound {2 * Interval.TotalMilliseconds:0} ms + {SchedulingTolerance.TotalMilliseconds:0} ms); idle events {conn.IdleEvents}");
        Assert.That(silence, Is.InRange((long)(2 * Interval).TotalMilliseconds, (long)(2 * Interval + SchedulingTolerance).TotalMilliseconds));
        Assert.That(Interlocked.Read(ref echoes) - before, Is.EqualTo(1), "one clock: a single echo request per silence");
        Assert.That(conn.IdleEvents - idleEvents, Is.GreaterThanOrEqualTo(2), "the echo and the cut came from the handler's events");
        Assert.That(c.Log.WaitFor(TimeSpan.FromSeconds(5), "Switch 00000000000000e2 disconnected: switch silent for", "echo request unanswered"), Is.Not.Null,
            string.Join("\n", c.Log.Lines.TakeLast(10)));
    }
}
