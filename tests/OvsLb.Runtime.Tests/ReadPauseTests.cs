using System.Diagnostics;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// A switch whose requests come in bursts larger than what the controller lets wait unread (64 KiB on the dotnetty transport,
/// <c>DotNettyConnection.ReadPauseBytes</c>): reading pauses during each burst and always resumes, so every burst is answered.
/// The dotnetty transport once lost a resume when its event loop paused reading just after the session had drained the queue;
/// the channel then never read again (the CI flooder of <c>BadPeerTests</c> sat unread until the handshake's request timed out).
/// The race is narrow: this test pauses and resumes reading about 300 times (9,500 pause decisions), a guard rather than a
/// reproduction (3 runs of it on the old code did not lose a resume). Run on
/// each transport.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName)]
public class ReadPauseTests(string transport)
{
    private const ulong Dpid = 0x9a05;

    [Test]
    public async Task Bursts_beyond_the_read_pause_are_all_answered()
    {
        await using var c = new RunningController(TestStates.Patch(), configure: null,
            transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);
        int replies = 0;
        var fake = await FakeSwitch.ConnectAsync(c.Controller.LocalEndpoints[0], new FakeSwitchOptions { DatapathId = Dpid });
        await using var _ = fake;
        c.WaitReady(Dpid);
        fake.Intercept = (_, m) =>
        {
            if (m is EchoMessage { IsReply: true, Xid: >= 0x10000 }) Interlocked.Increment(ref replies);
            return false;
        };
        const int Bursts = 300, PerBurst = 96; // 96 requests of 1 KiB: half again the 64 KiB pause
        var payload = new byte[1024];
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < Bursts; b++)
        {
            for (int i = 0; i < PerBurst; i++) fake.Send(new EchoMessage(false, payload) { Xid = (uint)(0x10000 + b * PerBurst + i) });
            int expected = (b + 1) * PerBurst;
            Assert.That(await ProcessRunner.WaitUntilAsync(() => Volatile.Read(ref replies) >= expected, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1)), Is.True,
                $"burst {b}: {Volatile.Read(ref replies) - b * PerBurst} of {PerBurst} answered within 10 s (reading never resumed)");
        }
        TestContext.Out.WriteLine($"{transport}: {Bursts} bursts of {PerBurst} KiB answered in {clock.ElapsedMilliseconds} ms");
    }
}
