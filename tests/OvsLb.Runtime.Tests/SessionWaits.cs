using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>Waits on reconnections.</summary>
public static class SessionWaits
{
    /// <summary>
    /// Waits until the datapath is connected again on a session other than <paramref name="previous"/>,
    /// handshaken and reconciled (Ready with a reconcile result), and returns that new session.
    /// </summary>
    public static SwitchSession WaitReconnected(this RunningController c, ulong dpid, SwitchSession previous, TimeSpan timeout)
    {
        SwitchSession? s = null;
        bool ok = ProcessRunner.WaitUntil(
            () => c.Controller.Sessions.TryGetValue(dpid, out s) && !ReferenceEquals(s, previous) && s.State == SessionState.Ready && s.LastReconcile is not null,
            timeout, TimeSpan.FromMilliseconds(5));
        Assert.That(ok, Is.True, $"switch {dpid:x16} did not reconnect within {timeout.TotalSeconds:0.#}s; log:\n{string.Join("\n", c.Log.Lines.TakeLast(30))}");
        return s!;
    }
}
