using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Distributed ARP-cache mode end to end: two hypervisors' bridges joined by a cable (a veth
/// pair), a client and two backends on each. Each bridge answers ARP for the VIP itself with its own LB
/// MAC, so each client sends to its local load balancer, which balances over the backends of both hosts
/// (local ones by port, remote ones by their MAC through NORMAL switching over the cable). The remote
/// bridge sees the packets addressed to the backend's MAC, so it does not balance them again.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class DistributedModeTrafficTests : LiveLbFixture
{
    private const string Vip = "10.0.0.100";
    private static readonly Dictionary<string, string> LbMacs = new() { ["br-host1"] = "02:00:00:00:10:01", ["br-host2"] = "02:00:00:00:10:02" };
    private static readonly string[] Backends = ["h1a", "h1b", "h2a", "h2b"];

    private const string Config = """
        {
          "bridges": [
            { "name": "br-host1", "datapathId": 1, "lbMac": "02:00:00:00:10:01", "uplink": 1, "role": "distributed" },
            { "name": "br-host2", "datapathId": 2, "lbMac": "02:00:00:00:10:02", "uplink": 1, "role": "distributed" }
          ],
          "services": [
            { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct", "bridges": [ "br-host1", "br-host2" ],
              "backends": [
                { "name": "h1a", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "bridge": "br-host1", "port": 11 },
                { "name": "h1b", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "bridge": "br-host1", "port": 12 },
                { "name": "h2a", "ip": "10.0.0.21", "mac": "02:00:00:00:00:21", "bridge": "br-host2", "port": 11 },
                { "name": "h2b", "ip": "10.0.0.22", "mac": "02:00:00:00:00:22", "bridge": "br-host2", "port": 12 } ] }
          ]
        }
        """;

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec()
            .Bridge("br-host1", 1).Bridge("br-host2", 2)
            .Link(new BridgeLinkSpec("br-host1", 1, "br-host2", 1, BridgeLinkKind.Veth, "link1", "link2"))
            .Host("c1", "br-host1", 2, "10.0.0.2/24", mac: "02:00:00:00:00:02")
            .Host("c2", "br-host2", 2, "10.0.0.3/24", mac: "02:00:00:00:00:03")
            .Host("h1a", "br-host1", 11, "10.0.0.11/24", mac: "02:00:00:00:00:11")
            .Host("h1b", "br-host1", 12, "10.0.0.12/24", mac: "02:00:00:00:00:12")
            .Host("h2a", "br-host2", 11, "10.0.0.21/24", mac: "02:00:00:00:00:21")
            .Host("h2b", "br-host2", 12, "10.0.0.22/24", mac: "02:00:00:00:00:22");
        StartLab(spec, Config, topo =>
        {
            foreach (var name in Backends)
            {
                var h = topo.Host(name);
                h.HoldVip(Vip);
                h.StartServer(80, bind: Vip);
            }
        });
    }

    [TestCase("br-host1")]
    [TestCase("br-host2")]
    public void Installed_flows_and_groups_are_what_the_builder_made_for_each_bridge(string bridge)
    {
        var plan = Live.Expected(bridge);
        var (flows, groups) = Live.InstalledByController(bridge);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Warnings, Is.Empty);
            Assert.That(flows, Is.EqualTo(Scenario.FlowLines(plan.State)), "ovs-ofctl dump-flows");
            Assert.That(groups, Is.EqualTo(Scenario.GroupLines(plan.State)), "ovs-ofctl dump-groups");
            Assert.That(flows, Has.Some.Contains($"set_field:{LbMacs[bridge]}->arp_sha"), "this bridge answers with its own LB MAC");
        });
    }

    [TestCase("c1", "br-host1", "br-host2", 21000)]
    [TestCase("c2", "br-host2", "br-host1", 22000)]
    public void Each_client_uses_its_own_bridge_and_reaches_backends_on_both(string clientName, string local, string remote, int firstPort)
    {
        var client = Topo.Host(clientName);
        client.FlushNeighbours();
        long localHits = ServicePackets(local), remoteHits = ServicePackets(remote);
        var r = client.RunClient(new TrafficRequest(Vip, 80) { SourcePorts = TrafficRequest.PortRange(firstPort, 500) });
        long localNow = 0;
        ProcessRunner.WaitUntil(() => (localNow = ServicePackets(local) - localHits) >= 3 * 500, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        long remoteNow = ServicePackets(remote) - remoteHits;
        TestContext.Out.WriteLine($"{clientName} on {local}: {r.Summary()}; max/mean {r.MaxOverMean(Backends):0.000}; service-flow packets: {local} +{localNow}, {remote} +{remoteNow}; {Live.PacketIns} packet-ins");
        Assert.Multiple(() =>
        {
            Assert.That(client.Neighbour(Vip), Is.EqualTo(LbMacs[local]), $"ip neigh show {Vip} in {clientName}: its own bridge's LB MAC");
            Assert.That(r.Failures, Is.Zero, r.Summary());
            Assert.That(r.Tally.Keys, Is.EquivalentTo(Backends), "backends on both hosts answered");
            Assert.That(r.Connections.Select(c => c.Peer), Is.EqualTo(r.Connections.Select(c => $"{client.Ip}:{c.SourcePort}")), "backends see the client's own address");
            Assert.That(localNow, Is.GreaterThanOrEqualTo(3 * 500), "the local bridge balanced every connection");
            Assert.That(remoteNow, Is.Zero, "the remote bridge did not balance them again");
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>n_packets of <paramref name="bridge"/>'s service flow for the VIP.</summary>
    private long ServicePackets(string bridge) => Topo.Ovs.FlowPackets(bridge, $"table=20,tcp,nw_dst={Vip}");
}
