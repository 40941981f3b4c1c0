using System.Diagnostics;
using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Restarts with real packets: two namespaces ping each other every 10 ms through a userspace
/// (netdev) OVS bridge in fail_mode=secure that forwards only by the controller's patch flows.
/// Restarting the controller must not disturb traffic or flows; restarting ovs-vswitchd wipes its
/// flow table, so traffic stops until the controller has programmed the new process.
/// </summary>
[TestFixture, Category("Ovs")]
public class RestartTests
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Test]
    public async Task Restarting_the_controller_loses_no_packet_and_rewrites_no_flow()
    {
        using var lab = NetNamespaceLab.Start();
        var desired = TestStates.Patch(lab.Hosts[0].OfPort, lab.Hosts[1].OfPort);
        var want = desired.FlowLines();
        RunningController? first = null, second = null;
        try
        {
            // The controller listens inside the switch namespace, where ovs-vswitchd's 127.0.0.1 is.
            first = lab.Switch.Run(() => new RunningController(desired));
            lab.Ovs.SetController(lab.Bridge, first.Target);
            first.WaitReady(lab.DatapathId);
            Assert.That(lab.Ovs.DumpFlows(lab.Bridge), Is.EqualTo(want));
            var ping = lab.StartPing(0, 1, PingInterval);
            Assert.That(ping.WaitForReplies(20, Patience), Is.True, "no traffic through the bridge before the restart");

            int port = first.Port;
            var sw = Stopwatch.StartNew();
            await first.DisposeAsync();
            first = null;
            second = lab.Switch.Run(() => new RunningController(desired, o => o.Listen = [$"127.0.0.1:{port}"]));
            var session = second.WaitReady(lab.DatapathId, Patience);
            var reconnect = sw.Elapsed;
            int replies = ping.Replies;
            Assert.That(ping.WaitForReplies(replies + 20, Patience), Is.True, "traffic stopped after the restart");
            var result = ping.Stop();
            TestContext.Out.WriteLine($"controller restart: switch Ready on the new controller {reconnect.TotalMilliseconds:0} ms after the old one stopped " +
                $"(OVS reconnect backoff 1 s); ping: {result}; reconcile: {session.LastReconcile}");

            Assert.Multiple(() =>
            {
                Assert.That(result.Lost, Is.Empty, $"packets lost across a controller restart: {result}");
                Assert.That(lab.Ovs.DumpFlows(lab.Bridge), Is.EqualTo(want), "installed flows differ from the desired ones");
                Assert.That(session.LastReconcile!.ReadBack, Is.True);
                Assert.That(session.LastReconcile.Diff.IsEmpty, Is.True, $"diff after restart: {session.LastReconcile.Diff}");
                Assert.That(session.LastReconcile.FlowModsSent, Is.Zero);
                Assert.That(session.FlowModsSent, Is.Zero);
                Assert.That(session.BundleCommits, Is.Zero);
            });
        }
        finally
        {
            if (first is not null) await first.DisposeAsync();
            if (second is not null) await second.DisposeAsync();
        }
    }

    [Test]
    public async Task Restarting_ovs_vswitchd_stops_traffic_only_until_the_controller_reprograms_it()
    {
        using var lab = NetNamespaceLab.Start();
        var desired = TestStates.Patch(lab.Hosts[0].OfPort, lab.Hosts[1].OfPort);
        var want = desired.FlowLines();
        await using var c = lab.Switch.Run(() => new RunningController(desired));
        lab.Ovs.SetController(lab.Bridge, c.Target);
        var before = c.WaitReady(lab.DatapathId);
        var ping = lab.StartPing(0, 1, PingInterval);
        Assert.That(ping.WaitForReplies(20, Patience), Is.True, "no traffic through the bridge before the restart");

        var sw = Stopwatch.StartNew();
        lab.Ovs.RestartVswitchd();
        var vswitchdUp = sw.Elapsed;
        // Ready means handshake done and the reconcile bundle committed: the flows are back.
        var after = c.WaitReconnected(lab.DatapathId, before, Patience);
        var flowsBack = sw.Elapsed;
        int replies = ping.Replies;
        Assert.That(ping.WaitForReplies(replies + 20, Patience), Is.True, "traffic did not resume after ovs-vswitchd restarted");
        var result = ping.Stop();
        var oldReason = await before.Completion.WaitAsync(Patience);
        TestContext.Out.WriteLine($"ovs-vswitchd restart: new process answering after {vswitchdUp.TotalMilliseconds:0} ms, flows reprogrammed " +
            $"{flowsBack.TotalMilliseconds:0} ms after the kill; ping: {result}; old session closed: {oldReason}; reconcile: {after.LastReconcile}");

        Assert.Multiple(() =>
        {
            Assert.That(lab.Ovs.DumpFlows(lab.Bridge), Is.EqualTo(want), "installed flows differ from the desired ones");
            Assert.That(after.LastReconcile!.ReadBack, Is.True);
            Assert.That(after.LastReconcile.FlowModsSent, Is.EqualTo(want.Count), "the new ovs-vswitchd starts empty: every flow is added once");
            Assert.That(result.Received, Is.GreaterThan(replies), "no replies after the restart");
        });
    }
}
