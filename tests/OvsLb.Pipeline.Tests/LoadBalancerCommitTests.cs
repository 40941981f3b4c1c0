using OvsLb.Balancer;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.State;
using OvsLb.Runtime.Session;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The load balancer's slot memory and gratuitous ARPs follow commits, not plans: the runtime reports a
/// committed state through <see cref="LoadBalancer.OnReconciled"/> (ReconcileTests checks it is told only of
/// what a real OVS committed); a plan whose bundle the switch refused is never reported and leaves both as they were.
/// </summary>
public sealed class LoadBalancerCommitTests
{
    /// <summary>A switch as the load balancer sees it, recording the PACKET_OUTs sent to it.</summary>
    [Test]
    public async Task A_refused_bundle_leaves_slot_memory_unchanged_and_sends_no_gratuitous_ARP()
    {
        var s = Scenario.Load("portgroup"); // p1 (port 2) is the master while up; uplink 1
        var view = s.View(s.Config.Bridges[0]);
        var sw = new RecordingSwitch(new SwitchInfo(view.DatapathId, view.BridgeName, view.Ports));
        await using var lb = new LoadBalancer(s.Config);

        var first = lb.GetDesiredState(sw.Info, SwitchState.Empty);
        lb.OnReconciled(sw, first);
        var memory = lb.Slots(sw.DatapathId);
        Assert.That(memory["cluster"], Does.Contain("02:00:00:00:02:01"), "p1 owns buckets");

        // p1's port goes down: the new plan moves its buckets and makes p2 master, but the switch refuses the bundle.
        sw.Info = new SwitchInfo(view.DatapathId, view.BridgeName, s.View(s.Config.Bridges[0], no => no != 2).Ports);
        var refused = lb.GetDesiredState(sw.Info, first);
        Assert.That(refused.GroupLines(), Is.Not.EqualTo(first.GroupLines()));
        lb.OnReconciled(sw, first); // a stale report (not the plan made last) changes nothing either
        Assert.Multiple(() =>
        {
            Assert.That(lb.Slots(sw.DatapathId), Is.SameAs(memory), "slot memory unchanged");
            Assert.That(lb.Plans[sw.DatapathId].Services[0].Master?.Name, Is.EqualTo("p1"), "the committed plan is still the first");
            Assert.That(sw.Sent, Is.Empty, "no gratuitous ARP");
        });

        // The retry commits: now the memory moves on and the VIP is announced once, out of the uplink.
        var retried = lb.GetDesiredState(sw.Info, first);
        lb.OnReconciled(sw, retried);
        Assert.Multiple(() =>
        {
            Assert.That(lb.Slots(sw.DatapathId)["cluster"], Has.None.EqualTo("02:00:00:00:02:01"));
            Assert.That(lb.Plans[sw.DatapathId].Services[0].Master?.Name, Is.EqualTo("p2"));
            Assert.That(sw.Sent, Has.Count.EqualTo(1));
        });
        var garp = sw.Sent[0];
        var p = ParsedPacket.Parse(garp.Data.Span);
        Assert.Multiple(() =>
        {
            Assert.That((p.ArpOp, p.ArpSha, p.ArpSpa, p.ArpTpa), Is.EqualTo((ArpOp.Request, MacAddress.Parse("02:00:00:00:01:fe"), Ipv4Address.Parse("192.0.2.50"), Ipv4Address.Parse("192.0.2.50"))));
            Assert.That(garp.Actions.ToArray(), Is.EqualTo(new OfpAction[] { new OutputAction(1) }));
        });
        lb.OnReconciled(sw, retried);
        Assert.That(sw.Sent, Has.Count.EqualTo(1), "a state reported twice is announced once");
    }
}
