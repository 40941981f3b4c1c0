using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Transport;

namespace OvsLb.Runtime.Session;

/// <summary>The echo keepalive of a session: probes a silent switch and closes one that stays silent.</summary>
public sealed partial class SwitchSession
{
    /// <summary>
    /// Sends ECHO_REQUEST after one idle interval; closes after two without any message. One clock drives it: the
    /// transport's idle events when it has them (<see cref="IOpenFlowConnection.Idle"/>, the DotNetty pipeline's
    /// IdleStateHandler), else a timer of the session's reading <see cref="IOpenFlowConnection.MillisecondsSinceReceive"/>.
    /// Completes when the connection closes.
    /// </summary>
    private Task KeepaliveLoopAsync() => _conn.Idle is { } idle ? KeepaliveOnIdleEvents(idle) : KeepaliveTimerLoopAsync();

    /// <summary>
    /// The keepalive on the transport's idle events: the first of a silence sends ECHO_REQUEST, the next one of the same
    /// silence (nothing came back for another interval) closes. Events arrive one at a time, on the connection's own thread.
    /// </summary>
    private Task KeepaliveOnIdleEvents(IIdleEvents idle)
    {
        bool echoSent = false; // during the current silence; a first event means something arrived since the last one
        idle.Start(first =>
        {
            if (first || !echoSent)
            {
                echoSent = true;
                Send(new EchoMessage(false, Bytes.Empty));
            }
            else
            {
                CloseSilent(idle.ReaderIdleTime);
            }
        });
        return _conn.Completion;
    }

    /// <summary>The keepalive timed by the session: every interval/20, reads how long the switch has been silent.</summary>
    private async Task KeepaliveTimerLoopAsync()
    {
        var interval = _options.EchoInterval;
        var tick = TimeSpan.FromTicks(Math.Max(interval.Ticks / 20, TimeSpan.FromMilliseconds(5).Ticks));
        long echoSentAt = 0;
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_conn.Closed).ConfigureAwait(false))
            {
                long idle = _conn.MillisecondsSinceReceive;
                if (idle >= (long)(2 * interval - tick).TotalMilliseconds)
                {
                    CloseSilent(interval);
                    return;
                }
                if (idle >= (long)interval.TotalMilliseconds && Environment.TickCount64 - echoSentAt >= idle)
                {
                    echoSentAt = Environment.TickCount64;
                    Send(new EchoMessage(false, Bytes.Empty));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes a switch that did not answer our echo request, with the same reason whichever clock found it.</summary>
    private void CloseSilent(TimeSpan interval) =>
        _conn.Close(new CloseReason($"switch silent for {_conn.MillisecondsSinceReceive} ms: echo request unanswered (echo interval {interval.TotalMilliseconds:0} ms)"));
}
