using System.Text.RegularExpressions;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// IPv6 VIPs in direct mode end to end (issue 12 item 1): a client and three backends with IPv6 addresses on one userspace
/// OVS bridge programmed by the real load balancer. The backends hold the IPv6 VIPs on <c>lo</c> (Linux answers a
/// neighbour solicitation only for addresses of the interface it arrives on, so they never claim them on the wire).
/// The client resolves the VIP by neighbour discovery, answered by the bridge's NDP flows (tables 11/12) with the LB
/// MAC and no packet-in; 1,000 TCP connections to [VIP6]:80 are spread by the select group; a dual-stack service
/// answers on its IPv4 and its IPv6 VIP. Names start with <c>v6</c> (bridge and hosts).
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class Ipv6DirectTrafficTests : LiveLbFixture
{
    private const string Bridge = "br-v6";
    private const string LbMac = "02:00:00:00:00:fe";
    private const string Vip6 = "fd00::100";
    private const string DualVip4 = "10.0.0.101";
    private const string DualVip6 = "fd00::101";
    private static readonly string[] Backends = ["v6s1", "v6s2", "v6s3"];

    private const string Config = """
        {
          "bridges": [ { "name": "br-v6", "lbMac": "02:00:00:00:00:fe", "uplink": 1 } ],
          "services": [
            { "name": "web6", "vip": "fd00::100", "protocol": "tcp", "port": 80, "mode": "direct",
              "backends": [
                { "name": "v6s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 },
                { "name": "v6s2", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "port": 12 },
                { "name": "v6s3", "ip": "10.0.0.13", "mac": "02:00:00:00:00:13", "port": 13 } ] },
            { "name": "dual", "vip": ["10.0.0.101", "fd00::101"], "protocol": "tcp", "port": 8080, "mode": "direct",
              "backends": [
                { "name": "v6s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 },
                { "name": "v6s2", "ip": "10.0.0.12", "mac": "02:00:00:00:00:12", "port": 12 },
                { "name": "v6s3", "ip": "10.0.0.13", "mac": "02:00:00:00:00:13", "port": 13 } ] }
          ]
        }
        """;

    private TopologyHost Client => Topo.Host("v6c");

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec()
            .Bridge(Bridge, 0x6b)
            .Host("v6c", Bridge, 1, "10.0.0.2/24", mac: "02:00:00:00:00:02");
        for (int i = 1; i <= 3; i++) spec.Host($"v6s{i}", Bridge, (uint)(10 + i), $"10.0.0.1{i}/24", mac: $"02:00:00:00:00:1{i}");
        StartLab(spec, Config, topo =>
        {
            topo.Host("v6c").EnableIpv6("fd00::2/64");
            for (int i = 1; i <= 3; i++)
            {
                var h = topo.Host($"v6s{i}");
                h.EnableIpv6($"fd00::1{i}/64");
                h.HoldVip6(Vip6);
                h.HoldVip6(DualVip6);
                h.HoldVip(DualVip4);
                h.StartServer(80, bind: Vip6);
                h.StartServer(8080, bind: DualVip6);
                h.StartServer(8080, bind: DualVip4);
            }
            // The link-local addresses (source of the hosts' own solicitations) finish their detection within a few seconds.
            foreach (var name in (string[])["v6c", .. Backends])
            {
                Assert.That(ProcessRunner.WaitUntil(() => !topo.Host(name).Exec("ip", "-6", "addr", "show", "dev", TopologyHost.Interface).Stdout.Contains("tentative", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)), Is.True, $"{name}: IPv6 addresses still tentative");
            }
        });
    }

    [Test]
    public void Installed_flows_are_what_the_builder_made_and_answer_ndp_for_both_ipv6_vips()
    {
        var plan = Live.Expected(Bridge);
        var (flows, groups) = Live.InstalledByController(Bridge);
        Assert.Multiple(() =>
        {
            Assert.That(plan.Warnings, Is.Empty);
            Assert.That(flows, Is.EqualTo(Scenario.FlowLines(plan.State)), "ovs-ofctl dump-flows");
            Assert.That(groups, Is.EqualTo(Scenario.GroupLines(plan.State)), "ovs-ofctl dump-groups");
            foreach (var vip in new[] { Vip6, DualVip6 })
            {
                Assert.That(flows.Count(f => f.Contains("table=11, priority=", StringComparison.Ordinal) && f.Contains($"nd_target={vip}", StringComparison.Ordinal)), Is.EqualTo(3), $"{vip}: DAD, SLL and option-less answers");
                Assert.That(flows.Count(f => f.Contains("table=12, priority=300", StringComparison.Ordinal) && f.Contains($"nd_target={vip}", StringComparison.Ordinal)), Is.EqualTo(1), $"{vip}: nd_tll");
            }
            Assert.That(flows.Count(f => f.Contains("table=10, priority=300,arp", StringComparison.Ordinal)), Is.EqualTo(1), "ARP for the dual-stack service's IPv4 VIP only");
        });
    }

    [Test]
    public void The_client_resolves_the_ipv6_vip_to_the_LB_MAC_inside_the_datapath()
    {
        long packetIns = Live.Controller.PacketIns.Count;
        Client.FlushNeighbours();
        long answered = FlowPackets($"table=11,icmp6,icmp_type=135,nd_target={Vip6}");
        var r = Client.RunClient(new TrafficRequest(Vip6, 80) { Count = 1 });   // its first packet needs the VIP's MAC
        string neigh = Client.Exec("ip", "-6", "neigh", "show", Vip6).Stdout.Trim();
        TestContext.Out.WriteLine($"ip -6 neigh show {Vip6}: {neigh}; {Live.Controller.PacketIns.Count - packetIns} packet-ins");
        Assert.Multiple(() =>
        {
            Assert.That(r.Failures, Is.Zero, r.Summary());
            Assert.That(Client.Neighbour(Vip6), Is.EqualTo(LbMac), $"ip -6 neigh show {Vip6} in the client: {neigh}");
            Assert.That(ProcessRunner.WaitUntil(() => FlowPackets($"table=11,icmp6,icmp_type=135,nd_target={Vip6}") > answered, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)),
                Is.True, "an NDP responder flow answered the solicitation (its n_packets grew)");
            Assert.That(Live.Controller.PacketIns.Count - packetIns, Is.Zero, $"neighbour discovery for a VIP is answered in the datapath: {Live.Controller.PacketIns}");
        });
    }

    /// <summary>
    /// 1,000 connections over 3 equal backends, fixed source ports, so the figure (OVS's deterministic dp_hash over the
    /// IPv6 addresses and ports) is the same on every run; the bound is issue 12's max/mean ≤ 1.10.
    /// </summary>
    [Test]
    public void A_thousand_ipv6_connections_all_succeed_and_spread_evenly_without_packet_ins()
    {
        long packetIns = Live.Controller.PacketIns.Count;
        long serviceHits = FlowPackets($"table=20,tcp6,ipv6_dst={Vip6}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = Client.RunClient(new TrafficRequest(Vip6, 80) { SourcePorts = TrafficRequest.PortRange(20000, 1000) });
        double spread = r.MaxOverMean(Backends);
        long hits = 0;
        ProcessRunner.WaitUntil(() => (hits = FlowPackets($"table=20,tcp6,ipv6_dst={Vip6}") - serviceHits) >= 3 * 1000, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        long learned = Topo.Ovs.Ofctl("dump-flows", Bridge, "table=21,tcp6").Stdout.Split('\n').Count(l => l.Contains("ipv6_dst=" + Vip6, StringComparison.Ordinal));
        TestContext.Out.WriteLine($"ipv6 direct: {r.Summary()}; max/mean {spread:0.000}; {hits} packets through the tcp6 service flow; {learned} learned tcp6 entries; " +
            $"{Live.Controller.PacketIns.Count - packetIns} packet-ins; {clock.ElapsedMilliseconds} ms");
        Assert.Multiple(() =>
        {
            Assert.That(r.Failures, Is.Zero, r.Summary());
            Assert.That(r.Connections, Has.Count.EqualTo(1000));
            Assert.That(r.Tally.Keys, Is.EquivalentTo(Backends), "every backend answered");
            Assert.That(spread, Is.LessThanOrEqualTo(1.10), r.Summary());
            Assert.That(r.Connections.Select(c => c.Peer), Is.EqualTo(r.Connections.Select(c => $"fd00::2:{c.SourcePort}")),
                "each backend sees the client's own IPv6 address and port");
            Assert.That(hits, Is.GreaterThanOrEqualTo(3 * 1000), "every connection's packets (SYN, ACK, FIN at least) went through the tcp6 service flow");
            Assert.That(learned, Is.GreaterThan(0), "connections learned tcp6 entries in table 21");
            Assert.That(Live.Controller.PacketIns.Count - packetIns, Is.Zero, Live.Controller.PacketIns.ToString());
            Assert.That(Client.Neighbour(Vip6), Is.EqualTo(LbMac), "no backend claimed the VIP meanwhile");
        });
    }

    [Test]
    public void The_dual_stack_service_answers_on_both_addresses()
    {
        long packetIns = Live.Controller.PacketIns.Count;
        var four = Client.RunClient(new TrafficRequest(DualVip4, 8080) { SourcePorts = TrafficRequest.PortRange(32000, 150) });
        var six = Client.RunClient(new TrafficRequest(DualVip6, 8080) { SourcePorts = TrafficRequest.PortRange(32000, 150) });
        TestContext.Out.WriteLine($"dual stack: {four.Summary()} / {six.Summary()}; neighbours {Client.Neighbour(DualVip4)} / {Client.Neighbour(DualVip6)}");
        Assert.Multiple(() =>
        {
            Assert.That(four.Failures + six.Failures, Is.Zero, $"{four.Summary()} / {six.Summary()}");
            Assert.That(four.Tally.Keys, Is.EquivalentTo(Backends), "IPv4 VIP: every backend answered");
            Assert.That(six.Tally.Keys, Is.EquivalentTo(Backends), "IPv6 VIP: every backend answered");
            Assert.That(four.Connections.Select(c => c.Peer), Has.All.StartWith("10.0.0.2:"));
            Assert.That(six.Connections.Select(c => c.Peer), Has.All.StartWith("fd00::2:"));
            Assert.That(Client.Neighbour(DualVip4), Is.EqualTo(LbMac), "ARP answered the IPv4 VIP");
            Assert.That(Client.Neighbour(DualVip6), Is.EqualTo(LbMac), "NDP answered the IPv6 VIP");
            Assert.That(Live.Controller.PacketIns.Count - packetIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>
    /// Duplicate address detection: a host that tries to take the VIP on the wire (here the client, with detection on
    /// for the moment) probes for it from ::; the bridge's priority-310 flow answers to all nodes, so the address ends
    /// <c>dadfailed</c> and the host never uses it. The address is removed again afterwards.
    /// </summary>
    [Test]
    public void A_host_trying_to_take_the_ipv6_vip_sees_it_taken()
    {
        long dad = FlowPackets($"table=11,icmp6,ipv6_src=::,icmp_type=135,nd_target={Vip6}");
        Client.Exec("sysctl", "-q", "-w", $"net.ipv6.conf.{TopologyHost.Interface}.accept_dad=1");
        try
        {
            Client.Exec("ip", "-6", "addr", "add", Vip6 + "/64", "dev", TopologyHost.Interface);
            string shown = "";
            bool failed = ProcessRunner.WaitUntil(() => (shown = Client.Exec("ip", "-6", "addr", "show", "dev", TopologyHost.Interface).Stdout).Contains("dadfailed", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
            string line = shown.Split('\n').FirstOrDefault(l => l.Contains(Vip6 + "/64", StringComparison.Ordinal))?.Trim() ?? "";
            TestContext.Out.WriteLine($"client: {line}");
            Assert.Multiple(() =>
            {
                Assert.That(failed, Is.True, $"the VIP became dadfailed on the client:\n{shown}");
                Assert.That(ProcessRunner.WaitUntil(() => FlowPackets($"table=11,icmp6,ipv6_src=::,icmp_type=135,nd_target={Vip6}") > dad, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)),
                    Is.True, "the DAD flow (priority 310) answered the probe");
            });
        }
        finally
        {
            Client.Namespace.Ip("-6", "addr", "del", Vip6 + "/64", "dev", TopologyHost.Interface);
            Client.Exec("sysctl", "-q", "-w", $"net.ipv6.conf.{TopologyHost.Interface}.accept_dad=0");
        }
    }

    /// <summary>
    /// The reuse path over IPv6 (table 25's tcp6 twin and the controller's IPv6 renewal): 20 connections, then 20 more from
    /// the same source ports at once (the servers close first, so the client may reuse its ports). Each second SYN finds
    /// its first connection's entry, whose idle timeout the FIN lowered to 2 s; the reuse flow copies it to the controller,
    /// which adds the tcp6 entry anew (FLOW_MOD ADD) — renewed, none ignored — and the connection keeps its backend.
    /// </summary>
    [Test]
    public void A_reused_ipv6_5_tuple_is_renewed_by_the_controller()
    {
        var ports = TrafficRequest.PortRange(46000, 20);
        long renewed = Live.Lb.Renewals.Renewed, ignored = Live.Lb.Renewals.Ignored;
        var first = Client.RunClient(new TrafficRequest(Vip6, 80) { SourcePorts = ports });
        // The reuse SYN must meet the learned entry in the datapath too: a datapath flow left by the first SYN (before its
        // entry was learned) sends a reused SYN through the group again until the revalidators catch up (a CI run at load
        // 20 saw 0 of 20 renewed that way; README, the first-burst limit). The entries exist once the client is done; one
        // full revalidator round after that moves the datapath onto them (well inside the 2 s the FIN left them).
        Assert.That(ProcessRunner.WaitUntil(() => Topo.Ovs.Ofctl("dump-flows", Bridge, "table=21,tcp6").Stdout.Split('\n').Count(l => l.Contains("tp_src=460", StringComparison.Ordinal)) >= ports.Count,
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)), Is.True, "the first connections' tcp6 entries are learned");
        Topo.Ovs.Appctl("revalidator/wait");
        var again = Client.RunClient(new TrafficRequest(Vip6, 80) { SourcePorts = ports });
        bool all = ProcessRunner.WaitUntil(() => Live.Lb.Renewals.Renewed - renewed >= ports.Count, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        TestContext.Out.WriteLine($"ipv6 reuse: {first.Summary()} / {again.Summary()}; renewed {Live.Lb.Renewals.Renewed - renewed}, ignored {Live.Lb.Renewals.Ignored - ignored}");
        Assert.Multiple(() =>
        {
            Assert.That(first.Failures + again.Failures, Is.Zero, $"{first.Summary()} / {again.Summary()}");
            Assert.That(again.BackendBySourcePort(), Is.EquivalentTo(first.BackendBySourcePort()), "each reused 5-tuple reached its backend again");
            Assert.That(all, Is.True, $"the controller renewed each reused tcp6 entry ({Live.Lb.Renewals.Renewed - renewed} of {ports.Count})");
            Assert.That(Live.Lb.Renewals.Ignored - ignored, Is.Zero, "no reuse packet-in was ignored (each is an IPv6 SYN of the service)");
        });
    }

    private long FlowPackets(string match) => Topo.Ovs.FlowPackets(Bridge, match);
}
