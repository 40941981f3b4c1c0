using OvsLb.Balancer;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// A next hop added by a reload (a gateway, or a NAT backend without a configured MAC) is probed by ARP once the
/// plan carrying the flows that learn its reply has committed: the probe <see cref="LoadBalancer.Apply"/> sends
/// goes out before those flows exist, its reply is not learned, and the next periodic probe is up to
/// <c>gatewayProbeInterval</c> (default 20 s) away. NatPersistenceTrafficTests saw the added backend's share of
/// new connections time out until then.
/// </summary>
public sealed class LoadBalancerProbeTests
{
    [Test]
    public async Task A_next_hop_added_by_a_reload_is_probed_once_its_plan_commits_and_only_it()
    {
        var s = Scenario.Load("translate"); // br-lb: gateway 10.0.0.1
        var bridge = s.Config.Bridges[0];
        var view = s.View(bridge);
        var sw = new RecordingSwitch(new SwitchInfo(view.DatapathId, view.BridgeName, view.Ports));
        await using var lb = new LoadBalancer(s.Config);

        var first = lb.GetDesiredState(sw.Info, SwitchState.Empty);
        lb.OnReconciled(sw, first);
        Assert.That(sw.Sent, Is.Empty, "the first commit after a connect probes nothing (OnReadyAsync does)");

        var added = Ipv4Address.Parse("10.0.0.254");
        lb.Apply(s.Config with { Bridges = [bridge with { Gateways = new EquatableArray<Ipv4Address>([.. bridge.Gateways, added]) }, .. s.Config.Bridges.Skip(1)] });
        var second = lb.GetDesiredState(sw.Info, first);
        lb.OnReconciled(sw, second);
        lb.OnReconciled(sw, second); // reported twice: probed once
        var arps = sw.Sent.Select(p => ParsedPacket.Parse(p.Data.Span)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(arps.Select(a => a.ArpTpa), Is.EqualTo(new[] { added }), "one probe, for the added gateway only");
            Assert.That(arps.Select(a => a.ArpOp), Has.All.EqualTo(ArpOp.Request));
            Assert.That(arps.Select(a => a.ArpSha), Has.All.EqualTo(bridge.LbMac));
        });
    }
}
