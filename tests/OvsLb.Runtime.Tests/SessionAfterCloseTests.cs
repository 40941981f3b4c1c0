using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// A session that has ended (its connection closed and disposed) stays readable: code that kept it (a status page, a retry
/// timer, an event handler) reads <c>Closed</c> and finds it cancelled instead of an ObjectDisposedException.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName)]
public class SessionAfterCloseTests(string transport)
{
    [Test]
    public async Task Closed_is_readable_and_cancelled_after_the_session_ended()
    {
        await using var c = new RunningController(TestStates.Patch(), transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);
        var fake = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xc1 });
        var s = c.WaitReady(0xc1);
        await fake.DisposeAsync();

        // Logged once the session's run has disposed its connection.
        Assert.That(c.Log.WaitFor(TimeSpan.FromSeconds(10), "Switch 00000000000000c1 disconnected"), Is.Not.Null, string.Join("\n", c.Log.Lines.TakeLast(10)));
        Assert.That(ProcessRunner.WaitUntil(() => !c.Controller.Sessions.ContainsKey(0xc1), TimeSpan.FromSeconds(5)), Is.True);

        CancellationToken closed = default;
        Assert.DoesNotThrow(() => closed = s.Closed);
        Assert.That(closed.IsCancellationRequested, Is.True);
        bool ran = false;
        using (closed.Register(() => ran = true)) Assert.That(ran, Is.True, "a callback registered on an ended session runs at once");
        Assert.That(s.Completion.IsCompleted, Is.True);
    }
}
