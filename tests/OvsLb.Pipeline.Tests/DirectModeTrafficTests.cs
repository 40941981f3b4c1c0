using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Direct mode end to end with real traffic through real OVS: a client and three backends on one userspace
/// OVS bridge programmed by the real <see cref="Balancer.LoadBalancer"/>. The backends hold the VIPs on
/// <c>lo</c> and never answer ARP for them; their servers listen on the VIPs and answer with their names. The
/// client learns the VIP's MAC from the bridge's ARP responder (the LB MAC, without any PACKET_IN), then
/// every connection is spread by the service's select group, which rewrites only the destination MAC.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class DirectModeTrafficTests : LiveLbFixture
{
    private const string Bridge = "br-lb";
    private const string LbMac = "02:00:00:00:00:fe";
    private const string WebVip = "10.0.0.100";
    private const string DnsVip = "10.0.0.101";
    private static readonly string[] Backends = ["s1", "s2", "s3"];

    // Three services on one bridge: TCP with equal weights (the spread), TCP with weights 1:1:2 and UDP on a
    // second VIP (two services, one ARP responder).
    private const string Config = """
        {
          "bridges": [ { "name": "br-lb", "lbMac": "02:00:00:00:00:fe", "uplink": 1 } ],
          "services": [
            { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
              "backends": [
                { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 },
                { "name": "s2", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "port": 12 },
                { "name": "s3", "ip": "10.0.0.13", "mac": "02:00:00:00:00:13", "port": 13 } ] },
            { "name": "weighted", "vip": "10.0.0.101", "protocol": "tcp", "port": 8080, "mode": "direct",
              "backends": [
                { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11, "weight": 1 },
                { "name": "s2", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "port": 12, "weight": 1 },
                { "name": "s3", "ip": "10.0.0.13", "mac": "02:00:00:00:00:13", "port": 13, "weight": 2 } ] },
            { "name": "dns", "vip": "10.0.0.101", "protocol": "udp", "port": 53, "mode": "direct",
              "backends": [
                { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 },
                { "name": "s2", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "port": 12 },
                { "name": "s3", "ip": "10.0.0.13", "mac": "02:00:00:00:00:13", "port": 13 } ] }
          ]
        }
        """;

    private TopologyHost Client => Topo.Host("client");

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec()
            .Bridge(Bridge, 0x1b)
            .Host("client", Bridge, 1, "10.0.0.2/24", mac: "02:00:00:00:00:02");
        for (int i = 1; i <= 3; i++) spec.Host($"s{i}", Bridge, (uint)(10 + i), $"10.0.0.1{i}/24", mac: $"02:00:00:00:00:1{i}");
        StartLab(spec, Config, topo =>
        {
            foreach (var name in Backends)
            {
                var h = topo.Host(name);
                h.HoldVip(WebVip);
                h.HoldVip(DnsVip);
                h.StartServer(80, bind: WebVip);
                h.StartServer(8080, bind: DnsVip);
                h.StartServer(53, bind: DnsVip, protocol: TrafficProtocol.Udp);
            }
        });
    }

    [Test]
    public void Installed_flows_and_groups_are_what_the_builder_made_for_the_bridge()
    {
        var plan = Live.Expected(Bridge);
        var (flows, groups) = Live.InstalledByController(Bridge);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Warnings, Is.Empty);
            Assert.That(flows, Is.EqualTo(Scenario.FlowLines(plan.State)), "ovs-ofctl dump-flows");
            Assert.That(groups, Is.EqualTo(Scenario.GroupLines(plan.State)), "ovs-ofctl dump-groups");
            var select = groups.Where(g => g.Contains("type=select", StringComparison.Ordinal)).ToList();
            Assert.That(select, Has.Count.EqualTo(2), "a select group per TCP service");
            Assert.That(select, Has.All.Matches<string>(g => Regex.Count(g, "bucket=") == 256), "a fixed 256 buckets per select group");
            Assert.That(groups.Where(g => g.Contains("type=ff", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(3), "the UDP service: a fast-failover group per backend");
            Assert.That(flows.Count(f => f.Contains("table=27, priority=100,udp", StringComparison.Ordinal)), Is.EqualTo(256), "the UDP service: a slot flow per slot");
        });
    }

    [Test]
    public void The_client_resolves_the_VIP_to_the_LB_MAC_inside_the_datapath()
    {
        Client.FlushNeighbours();
        long responderHits = FlowPackets($"table=10,arp,arp_tpa={WebVip}");
        var r = Client.RunClient(new TrafficRequest(WebVip, 80) { Count = 1 });   // its first packet needs the VIP's MAC
        Assert.Multiple(() =>
        {
            Assert.That(r.Failures, Is.Zero, r.Summary());
            Assert.That(Client.Neighbour(WebVip), Is.EqualTo(LbMac), "ip neigh show VIP in the client");
            Assert.That(ProcessRunner.WaitUntil(() => FlowPackets($"table=10,arp,arp_tpa={WebVip}") > responderHits, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)),
                Is.True, "the ARP responder flow answered the request (its n_packets grew)");
            Assert.That(Live.PacketIns, Is.Zero, $"ARP for a VIP is answered in the datapath: {Live.Controller.PacketIns}");
        });
    }

    /// <summary>
    /// 1,000 connections over 3 equal backends: each count is Binomial(1000, 1/3) (mean 333, σ = 14.9), so the
    /// bound max/mean ≤ 1.15 (a count ≤ 383) is 3.35σ above the mean: P(exceeded by any of 3) ≈ 0.1 % for a good
    /// hash. The Maglev table gives the backends 85/85/86 of the 256 buckets, which shifts the bound by 0.8 %.
    /// The source ports are fixed and OVS's dp_hash is deterministic, so the figure is the same on every run.
    /// </summary>
    [Test]
    public void A_thousand_connections_all_succeed_and_spread_evenly_without_packet_ins()
    {
        long serviceHits = FlowPackets($"table=20,tcp,nw_dst={WebVip}");
        var r = Client.RunClient(new TrafficRequest(WebVip, 80) { SourcePorts = TrafficRequest.PortRange(20000, 1000) });
        double spread = r.MaxOverMean(Backends);
        // OVS credits datapath hits to OpenFlow flows when its revalidators next dump the datapath: poll.
        long hits = 0;
        ProcessRunner.WaitUntil(() => (hits = FlowPackets($"table=20,tcp,nw_dst={WebVip}") - serviceHits) >= 3 * 1000, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        TestContext.Out.WriteLine($"direct: {r.Summary()}; max/mean {spread:0.000}; {hits} packets through the service flow; {Live.PacketIns} packet-ins");
        Assert.Multiple(() =>
        {
            Assert.That(r.Failures, Is.Zero, r.Summary());
            Assert.That(r.Connections, Has.Count.EqualTo(1000));
            Assert.That(r.Tally.Keys, Is.EquivalentTo(Backends), "every backend answered");
            Assert.That(spread, Is.LessThanOrEqualTo(1.15), r.Summary());
            Assert.That(r.Connections.Select(c => c.Peer), Is.EqualTo(r.Connections.Select(c => $"10.0.0.2:{c.SourcePort}")),
                "each backend sees the client's own address and port");
            Assert.That(hits, Is.GreaterThanOrEqualTo(3 * 1000), "every connection's packets (SYN, ACK, FIN at least) went through the service flow");
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
            Assert.That(Client.Neighbour(WebVip), Is.EqualTo(LbMac), "no backend claimed the VIP meanwhile");
        });
    }

    [Test]
    public void The_same_5_tuple_always_reaches_the_same_backend()
    {
        var ports = TrafficRequest.PortRange(30000, 200);
        var first = Client.RunClient(new TrafficRequest(WebVip, 80) { SourcePorts = ports });
        // Again once the first round's connections are closed, in the opposite order. The servers close first, so
        // the client holds no TIME_WAIT; the servers accept a new SYN on a TIME_WAIT 4-tuple.
        var again = Client.RunClient(new TrafficRequest(WebVip, 80) { SourcePorts = ports.Reverse().ToArray() });
        var a = first.BackendBySourcePort();
        var b = again.BackendBySourcePort();
        var moved = ports.Where(p => a.GetValueOrDefault(p) != b.GetValueOrDefault(p)).ToList();
        TestContext.Out.WriteLine($"{first.Summary()} / {again.Summary()}; {moved.Count} of {ports.Count} source ports changed backend");
        Assert.Multiple(() =>
        {
            Assert.That(first.Failures + again.Failures, Is.Zero, $"{first.Summary()} / {again.Summary()}");
            Assert.That(first.Tally.Keys, Is.EquivalentTo(Backends), "the ports reach every backend, so the comparison means something");
            Assert.That(moved, Is.Empty, "source ports whose second connection reached another backend");
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>
    /// UDP services are balanced per 5-tuple: their pick is <c>multipath(symmetric_l3l4+udp,…)</c> and the slot
    /// table (an OpenFlow 1.3 select group would be hashed by OVS 3.1 with <c>hash(sym_l4(0))</c>, which leaves UDP
    /// ports out). So 100 source ports of one address reach every backend, each port the same backend again, and 60
    /// client addresses spread over all backends too. (1,000 flows, spread and disruption: <see cref="UdpSlotTrafficTests"/>.)
    /// </summary>
    [Test]
    public void Udp_flows_are_spread_by_source_port_and_stay_put()
    {
        var ports = TrafficRequest.PortRange(31000, 100);
        var first = Client.RunClient(new TrafficRequest(DnsVip, 53) { Protocol = TrafficProtocol.Udp, SourcePorts = ports });
        var again = Client.RunClient(new TrafficRequest(DnsVip, 53) { Protocol = TrafficProtocol.Udp, SourcePorts = ports.Reverse().ToArray() });
        var addresses = Enumerable.Range(0, 60).Select(i => $"10.0.0.{150 + i}").ToList();
        Client.AddAddresses(addresses.Select(a => a + "/24"));
        // Two datagrams from each address, from two source ports.
        var many = Client.RunClient(new TrafficRequest(DnsVip, 53)
        {
            Protocol = TrafficProtocol.Udp,
            Binds = addresses,
            SourcePorts = [.. Enumerable.Repeat(31500, addresses.Count), .. Enumerable.Repeat(31501, addresses.Count)],
        });
        var perAddress = many.Connections.Where(c => c.Ok).GroupBy(c => c.SourceIp!).ToDictionary(g => g.Key, g => g.Select(c => c.Backend).Distinct().Count());
        var spread = many.Tally;
        TestContext.Out.WriteLine($"udp from one address: {first.Summary()} / {again.Summary()}; from 60 addresses: " +
            string.Join(", ", spread.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={x.Value}")));
        Assert.Multiple(() =>
        {
            Assert.That(first.Failures + again.Failures, Is.Zero, $"{first.Summary()} / {again.Summary()}");
            Assert.That(first.Tally.Keys, Is.EquivalentTo(Backends), "one client address reaches every backend by its source ports");
            Assert.That(again.BackendBySourcePort(), Is.EquivalentTo(first.BackendBySourcePort()), "each source port reaches the same backend again");
            Assert.That(many.Failures, Is.Zero, many.Summary());
            Assert.That(perAddress.Keys, Is.EquivalentTo(addresses));
            Assert.That(many.Connections.Select(c => c.Peer!.Split(':')[0]), Is.EqualTo(many.Connections.Select(c => c.SourceIp)),
                "each backend sees the client's own source address");
            Assert.That(spread.Keys, Is.EquivalentTo(Backends), "client addresses spread over every backend");
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>
    /// Weights 1:1:2 → the group gives s3 half the buckets; 1,200 TCP connections then land on s3 with
    /// probability (its buckets)/256 each. Every count must lie within 4σ of n·p (σ = √(n·p·(1−p)) ≈ 15..17).
    /// </summary>
    [Test]
    public void Weights_are_honoured_in_the_buckets_and_in_the_traffic()
    {
        const int n = 1200;
        string id = GroupOf("weighted");
        string group = Topo.Ovs.DumpGroups(Bridge).Single(g => g.StartsWith($"group_id={id},", StringComparison.Ordinal));
        var buckets = OvsBucket.Parse(group, Topo.Ovs.DumpFlows(Bridge));
        var slots = Backends.ToDictionary(b => b, b => buckets.Count(x => x.EthDst == $"02:00:00:00:00:1{b[1]}"));
        var r = Client.RunClient(new TrafficRequest(DnsVip, 8080) { SourcePorts = TrafficRequest.PortRange(32000, n) });
        TestContext.Out.WriteLine($"weights 1:1:2: buckets {string.Join(", ", slots.Select(s => $"{s.Key}={s.Value}"))}; {r.Summary()}");
        Assert.Multiple(() =>
        {
            Assert.That(r.Failures, Is.Zero, r.Summary());
            Assert.That(slots.Values.Sum(), Is.EqualTo(256));
            Assert.That(slots["s3"], Is.EqualTo(128).Within(3), "weight 2 of 4 → half the buckets");
            Assert.That(slots["s1"], Is.EqualTo(64).Within(3));
            Assert.That(slots["s2"], Is.EqualTo(64).Within(3));
            foreach (var b in Backends)
            {
                double p = slots[b] / 256.0, sigma = Math.Sqrt(n * p * (1 - p));
                Assert.That(r.Tally.GetValueOrDefault(b), Is.EqualTo(n * p).Within(4 * sigma), $"{b}: {r.Summary()}");
            }
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>The group id the builder gave <paramref name="service"/>, as dump-groups prints it.</summary>
    private string GroupOf(string service) => Live.Expected(Bridge).Services.Single(s => s.Service.Name == service).GroupId.ToString(CultureInfo.InvariantCulture);

    private long FlowPackets(string match) => Topo.Ovs.FlowPackets(Bridge, match);
}
