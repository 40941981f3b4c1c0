using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Fullnat mode (DNAT + SNAT to the bridge's snatIp, seed 001) with real packets through real OVS, run by the
/// real <see cref="Balancer.LoadBalancer"/>:
/// <code>
///  client 10.63.0.2 ─┐                                       ┌─ b1 10.65.0.11 ┐ servers on :8080,
///                 ntt-fl ── router r ─────────────── ntt-fb ─┼─ b2 10.65.0.12 ├ default gateway r
///  VIP 10.63.0.100:80│ 10.64.0.1/24     10.65.0.1/24         └─ b3 10.65.0.13 ┘
///  snatIp 10.64.0.100 (answered by ARP with the lbMac; gateway 10.64.0.1 learned in table 50)
/// </code>
/// The router knows only its two connected subnets: it has no route to the client's 10.63.0.0/24, so a backend's
/// reply can come back only to the snatIp, where ntt-fl un-SNATs and un-DNATs it and sends it to the client.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class FullNatTrafficTests : LiveLbFixture
{
    private const string Vip = "10.63.0.100";
    private const string SnatIp = "10.64.0.100";
    private const string LbMac = "02:00:00:00:63:fe";
    private const string ClientIp = "10.63.0.2";
    private static readonly string[] Backends = ["b1", "b2", "b3"];

    private const string ConfigJson = $$"""
        {
          "bridges": [
            { "name": "ntt-fl", "datapathId": "0x63", "lbMac": "{{LbMac}}", "snatIp": "{{SnatIp}}", "gateways": [ "10.64.0.1" ] },
            { "name": "ntt-fb", "datapathId": "0x64", "lbMac": "02:00:00:00:64:fe" }
          ],
          "services": [
            { "name": "web", "vip": "{{Vip}}", "protocol": "tcp", "port": 80, "mode": "fullnat", "bridges": [ "ntt-fl" ],
              "backends": [
                { "name": "b1", "ip": "10.65.0.11", "targetPort": 8080 },
                { "name": "b2", "ip": "10.65.0.12", "targetPort": 8080 },
                { "name": "b3", "ip": "10.65.0.13", "targetPort": 8080 } ] }
          ]
        }
        """;

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec()
            .Bridge("ntt-fl", 0x63).Bridge("ntt-fb", 0x64)
            .Host("client", "ntt-fl", 1, ClientIp + "/24")
            .Host("b1", "ntt-fb", 11, "10.65.0.11/24", gateway: "10.65.0.1")
            .Host("b2", "ntt-fb", 12, "10.65.0.12/24", gateway: "10.65.0.1")
            .Host("b3", "ntt-fb", 13, "10.65.0.13/24", gateway: "10.65.0.1")
            .Router("r",
                new RouterLegSpec("ntt-fl", 100, "10.64.0.1/24", PortName: "r-fl"),
                new RouterLegSpec("ntt-fb", 100, "10.65.0.1/24", PortName: "r-fb"));
        StartLab(spec, ConfigJson, topo =>
        {
            foreach (var b in Backends) topo.Host(b).StartServer(8080);
        });
        Live.WaitForLearnedNextHop("ntt-fl");
    }

    [Test]
    public void Every_connection_is_answered_through_the_snat_ip_and_backends_see_the_snat_ip_as_peer()
    {
        var client = Topo.Host("client");
        var report = client.RunClient(new TrafficRequest(Vip, 80) { SourcePorts = TrafficRequest.PortRange(43000, 300) });
        // The proof that replies have no other way: the backend cannot reach the client by itself (router has no route).
        bool direct = Topo.Host("b1").Ping(ClientIp, count: 1, timeoutSeconds: 1);
        string routes = Topo.Router("r").Namespace.Ip("route", "show").Stdout;
        // OVS credits datapath hits to OpenFlow flows when its revalidators next dump the datapath: poll.
        long unsnatHits = 0;
        ProcessRunner.WaitUntil(() => (unsnatHits = Topo.Ovs.FlowPackets("ntt-fl", "table=44")) >= 2 * 300, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        var tracked = Topo.Ovs.Appctl("dpctl/dump-conntrack").Stdout.Split('\n').Where(l => l.Contains(SnatIp, StringComparison.Ordinal)).Take(3).ToList();
        TestContext.Out.WriteLine($"fullnat: {report.Summary()}; {unsnatHits} packets through table 44 (unsnat); {Live.PacketIns} packet-ins");
        TestContext.Out.WriteLine($"router r's routes:\n{routes}\nb1 → client ping answered: {direct}");
        TestContext.Out.WriteLine("tracked connections (first 3 with the snatIp):\n" + string.Join("\n", tracked));
        Assert.Multiple(() =>
        {
            Assert.That(report.Failures, Is.Zero, report.Summary());
            Assert.That(report.Connections, Has.Count.EqualTo(300));
            Assert.That(report.Tally.Keys, Is.EquivalentTo(Backends), "every backend answered");
            Assert.That(report.Connections.Where(c => c.Ok && c.Peer!.Split(':')[0] != SnatIp).Select(c => c.Peer), Is.Empty,
                "every backend saw the snatIp as its peer");
            Assert.That(direct, Is.False, "a backend has no route back to the client's subnet");
            Assert.That(routes, Does.Not.Contain("10.63.0."), "the router knows no route to the client");
            Assert.That(unsnatHits, Is.GreaterThanOrEqualTo(2 * 300), "replies came back to the snatIp (SYN-ACK and answer of each connection at least)");
            Assert.That(client.Neighbour(Vip), Is.EqualTo(LbMac));
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }
}
