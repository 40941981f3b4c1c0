using System.Diagnostics;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// A switch that stops reading while the controller keeps sending (no request of its own to hold back) is
/// cut off once the outbound queue has stayed full for the send-stall timeout, on each transport, with the
/// same log line; the controller does not buffer for it without bound.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName)]
public class SendStallTests(string transport)
{
    private const ulong Dpid = 0x5a11;
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(1);

    [Test]
    public async Task A_switch_that_stops_reading_is_cut_off_after_the_send_stall_timeout()
    {
        await using var c = new RunningController(TestStates.Patch(), o => { o.SendStallTimeout = Stall; o.OutboundQueueLimit = 16; },
            transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);
        using var resume = new ManualResetEventSlim();
        var fake = await FakeSwitch.ConnectAsync(c.Controller.LocalEndpoints[0], new FakeSwitchOptions { DatapathId = Dpid });
        try
        {
            var s = c.WaitReady(Dpid);
            // The fake's receive loop blocks on this echo request: it reads nothing more, and TCP fills up.
            fake.Intercept = (_, m) =>
            {
                if (m is EchoMessage { IsReply: false, Xid: 0x5a11 }) resume.Wait(TimeSpan.FromSeconds(30));
                return false;
            };
            s.Send(new EchoMessage(false, Bytes.Empty) { Xid = 0x5a11 });
            var big = new EchoMessage(false, new byte[60_000]);
            var clock = Stopwatch.StartNew();
            long heapBefore = GC.GetTotalMemory(forceFullCollection: true), peak = heapBefore;
            var closed = s.Closed; // the token, taken once: the session disposes its source when it ends
            while (!closed.IsCancellationRequested && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                s.Send(big with { Xid = 0 });
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(1);
            }
            var closedAfter = clock.Elapsed;
            var reason = await s.Completion.WaitAsync(TimeSpan.FromSeconds(5));
            TestContext.Out.WriteLine($"{transport}: cut off after {closedAfter.TotalMilliseconds:0} ms of sending ({reason}); managed heap peak +{(peak - heapBefore) >> 20} MiB");
            Assert.That(reason.Text, Is.EqualTo($"switch stopped reading: outbound queue full for {Stall.TotalSeconds:0.#}s"));
            Assert.That(closedAfter, Is.LessThan(TimeSpan.FromSeconds(10)));
            Assert.That(c.Log.WaitFor(TimeSpan.FromSeconds(5), $"Switch {Dpid:x16} disconnected: switch stopped reading: outbound queue full"), Is.Not.Null);
        }
        finally
        {
            resume.Set();
            await fake.DisposeAsync();
        }
    }
}
