using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// The shared traffic harness (<see cref="LbTopology"/>, lbserver/lbclient, <see cref="PacketInCounter"/>) does
/// what the load-balancer tests rely on: two bridges switching by NORMAL under an in-process controller, a
/// client reaching one server through a router (another subnet, other bridge) and another across the link
/// between the bridges; the server sees the client's own address and source port; a flow that sends to the
/// controller is counted, and nothing else is.
/// </summary>
[TestFixture, Category("Ovs")]
public class LbTopologyTests
{
    private const ushort ControllerProbePort = 9999;

    private static SwitchState NormalPlusControllerProbe() => SwitchState.Create(
        [
            TestStates.Flow(0, OfpMatch.Any, new OutputAction(OfctlFormat.Ports.Normal), 1),
            TestStates.Flow(10, new OfpMatch(OxmEntry.For(MfId.EthType, 0x0800), OxmEntry.For(MfId.IpProto, 17), OxmEntry.For(MfId.UdpDst, ControllerProbePort)),
                new OutputAction(OfctlFormat.Ports.Controller), 2),
        ],
        []);

    [TestCase(BridgeLinkKind.Patch)]
    [TestCase(BridgeLinkKind.Veth)]
    public async Task Hosts_reach_each_other_through_the_router_and_the_bridge_link(BridgeLinkKind link)
    {
        var spec = new TopologySpec()
            .Bridge("br-a", 0xa).Bridge("br-b", 0xb)
            .Host("client", "br-a", 1, "10.20.0.2/24", mac: "02:00:00:00:20:02", gateway: "10.20.0.1")
            .Host("routed", "br-b", 11, "10.21.0.11/24", gateway: "10.21.0.1")
            .Host("linked", "br-b", 12, "10.20.0.12/24")
            .Router("r", new RouterLegSpec("br-a", 100, "10.20.0.1/24"), new RouterLegSpec("br-b", 100, "10.21.0.1/24"))
            .Link("br-a", 200, "br-b", 200, link);
        using var topo = LbTopology.Start(spec);
        await using var ctl = topo.StartController(new StaticDesiredState(NormalPlusControllerProbe()));
        ctl.WaitReady(0xa);
        ctl.WaitReady(0xb);
        var client = topo.Host("client");
        Assert.That(client.Mac, Is.EqualTo("02:00:00:00:20:02"), "the declared MAC is set");

        topo.Host("routed").StartServer(8080);
        topo.Host("linked").StartServer(8080, protocol: TrafficProtocol.Both);
        var routed = client.RunClient(new TrafficRequest("10.21.0.11", 8080) { SourcePorts = TrafficRequest.PortRange(41000, 30) });
        var linked = client.RunClient(new TrafficRequest("10.20.0.12", 8080) { Count = 30 });
        var udp = client.RunClient(new TrafficRequest("10.20.0.12", 8080) { Protocol = TrafficProtocol.Udp, Count = 30 });
        TestContext.Out.WriteLine($"{link}: {routed.Summary()}\n{linked.Summary()}\n{udp.Summary()}");

        long beforeProbe = ctl.PacketIns.Count;
        var probe = client.RunClient(new TrafficRequest("10.20.0.12", ControllerProbePort) { Protocol = TrafficProtocol.Udp, Count = 1, Timeout = TimeSpan.FromMilliseconds(300) });
        bool counted = ProcessRunner.WaitUntil(() => ctl.PacketIns.Count >= 1, TimeSpan.FromSeconds(5));

        Assert.Multiple(() =>
        {
            foreach (var r in new[] { routed, linked, udp })
            {
                Assert.That(r.Failures, Is.Zero, r.Summary());
                Assert.That(r.Connections, Has.Count.EqualTo(30));
            }
            Assert.That(routed.Tally.Keys, Is.EquivalentTo(new[] { "routed" }));
            Assert.That(routed.Connections.Select(c => c.SourcePort), Is.EqualTo(Enumerable.Range(41000, 30)), "explicit source ports are used in order");
            Assert.That(routed.Connections.Select(c => c.Peer), Is.EqualTo(routed.Connections.Select(c => $"10.20.0.2:{c.SourcePort}")),
                "the server sees the client's own address and port through the router");
            Assert.That(linked.Tally.Keys, Is.EquivalentTo(new[] { "linked" }));
            Assert.That(linked.Connections.Select(c => c.SourcePort).Distinct().Count(), Is.EqualTo(30), "kernel-chosen ports are recorded");
            Assert.That(udp.Connections.Select(c => c.Peer), Is.EqualTo(udp.Connections.Select(c => $"10.20.0.2:{c.SourcePort}")));
            Assert.That(beforeProbe, Is.Zero, $"NORMAL switching sends nothing to the controller: {ctl.PacketIns}");
            Assert.That(probe.Failures, Is.EqualTo(1), "the probe datagram goes to the controller, not the server");
            Assert.That(counted, Is.True, "the packet-in of the probe flow is counted");
            Assert.That(ctl.PacketIns.First, Has.Some.Matches<PacketInRecord>(p => p.DatapathId == 0xa && p.TableId == 0 && p.Reason == PacketInReason.Action && p.InPort == 1));
            Assert.That(client.Neighbour("10.20.0.1"), Is.EqualTo(topo.Router("r").LegOn("br-a").Mac), "ip neigh shows the router's MAC for the gateway");
        });
    }

    [Test]
    public void A_wrong_declaration_is_refused_before_anything_is_built()
    {
        var spec = new TopologySpec()
            .Bridge("br-a", 0xa)
            .Host("h1", "br-a", 1, "10.0.0.1/24")
            .Host("h2", "br-a", 1, "10.0.0.2/24")
            .Host("h3", "br-x", 3, "10.0.0.300/24");
        var e = Assert.Throws<ArgumentException>(() => LbTopology.Start(spec))!;
        Assert.That(e.Message, Does.Contain("port 1 on 'br-a' is already taken").And.Contain("no bridge 'br-x'").And.Contain("'10.0.0.300/24' is not IPv4/PREFIX"));
    }
}
