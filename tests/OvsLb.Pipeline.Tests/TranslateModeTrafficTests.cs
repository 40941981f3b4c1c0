using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;
using PacketDotNet;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Translate mode with real packets through real OVS, run by the real <see cref="Balancer.LoadBalancer"/>:
/// <code>
///  client 10.0.0.2 ─┐                       ┌─ b1 10.1.0.11 ┐
///                 br-lb ── router r ── br-be ─ b2 10.1.0.12 ├ servers answering "NAME PEER_IP:PORT"
///     VIP 10.0.0.100 │ 10.0.0.1   10.1.0.1 ├─ b3 10.2.0.13 ┘ (default gateway: r)
///     (lbMac, table  │            10.2.0.1 │
///      50 learns r)  │            10.3.0.1 └─ far 10.3.0.2 (a client behind r's port on br-lb)
/// </code>
/// br-lb answers ARP for the VIP with its lbMac, balances with the select group, writes the backend IP
/// from the fake MAC into ip_dst and sends the packet to the router's MAC learned in table 50 (from the
/// controller's ARP probe). br-be balances nothing (the service lists only br-lb) but holds the return
/// SNAT flows of the backends attached to it, so replies leave with the VIP as source. One topology for the
/// fixture (tests run in order: the first observation is taken before any client packet).
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed partial class TranslateModeTrafficTests : LiveLbFixture
{
    private const string Vip = "10.0.0.100";
    private const int ServicePort = 8080;
    private const string LbMac = "02:00:00:00:00:fe";
    private const ulong LbDpid = 0xa1, BeDpid = 0xb1;
    private const string Gateway = "10.0.0.1";
    private const uint RouterPortOnLb = 100;
    private const ushort LearnSeconds = 6; // options.nextHopTimeout; probes every 2 s (a third)
    private static readonly string[] BackendNames = ["b1", "b2", "b3"];

    private static readonly string ConfigJson = $$"""
        {
          "options": { "nextHopTimeout": "{{LearnSeconds}}s" },
          "bridges": [
            { "name": "br-lb", "datapathId": "0x{{LbDpid:x}}", "lbMac": "{{LbMac}}", "uplink": "r-lb", "gateways": [ "{{Gateway}}" ] },
            { "name": "br-be", "datapathId": "0x{{BeDpid:x}}", "lbMac": "02:00:00:00:00:fd" }
          ],
          "services": [
            {
              "name": "web", "vip": "{{Vip}}", "protocol": "tcp", "port": {{ServicePort}}, "mode": "translate",
              "bridges": [ "br-lb" ],
              "backends": [
                { "name": "b1", "ip": "10.1.0.11", "bridge": "br-be" },
                { "name": "b2", "ip": "10.1.0.12", "bridge": "br-be" },
                { "name": "b3", "ip": "10.2.0.13", "bridge": "br-be" }
              ]
            }
          ]
        }
        """;

    // Observed in the set-up, before the client sent anything.
    private TimeSpan _readyAfter, _learnedAfter;
    private IReadOnlyList<string> _learnedAtConnect = [];
    private long _probeRepliesAtConnect, _clientRxAtConnect;

    private TopologyController Ctl => Live.Controller;
    private string RouterMac => Topo.Router("r").LegOn("br-lb").Mac;

    [OneTimeSetUp]
    public void StartTopologyAndLoadBalancer()
    {
        var spec = new TopologySpec()
            .Bridge("br-lb", LbDpid).Bridge("br-be", BeDpid)
            .Host("client", "br-lb", 1, "10.0.0.2/24", gateway: Gateway)
            .Host("b1", "br-be", 11, "10.1.0.11/24", gateway: "10.1.0.1")
            .Host("b2", "br-be", 12, "10.1.0.12/24", gateway: "10.1.0.1")
            .Host("b3", "br-be", 13, "10.2.0.13/24", gateway: "10.2.0.1")
            .Host("far", "br-be", 21, "10.3.0.2/24", gateway: "10.3.0.1")
            .Router("r",
                new RouterLegSpec("br-lb", RouterPortOnLb, "10.0.0.1/24", PortName: "r-lb"),
                new RouterLegSpec("br-be", 100, "10.1.0.1/24", PortName: "r-be1"),
                new RouterLegSpec("br-be", 101, "10.2.0.1/24", PortName: "r-be2"),
                new RouterLegSpec("br-be", 102, "10.3.0.1/24", PortName: "r-be3"));
        StartLab(spec, ConfigJson, topo =>
        {
            // Three router legs share br-be: each answers ARP only for its own address (no ARP flux).
            topo.Router("r").Exec("sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1");
            foreach (var b in BackendNames) topo.Host(b).StartServer(ServicePort);
        });
        var started = Live.StartedAt;
        _readyAfter = Live.ReadyAt["br-lb"] - started;
        ProcessRunner.WaitUntil(() => LearnedNextHops().Count > 0, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(10));
        var dumpedAt = DateTimeOffset.UtcNow;
        _learnedAtConnect = LearnedNextHops();
        _probeRepliesAtConnect = ProbeReplies();
        _clientRxAtConnect = PortRxPackets("br-lb", 1);
        // When it was learned: the dump's time minus the age OVS reports for the flow (ms resolution).
        _learnedAfter = _learnedAtConnect.Count == 0 ? TimeSpan.MaxValue : dumpedAt - TimeSpan.FromSeconds(Age(_learnedAtConnect[0])) - started;
        TestContext.Progress.WriteLine($"br-lb ready {_readyAfter.TotalMilliseconds:0} ms, next hop learned {_learnedAfter.TotalMilliseconds:0} ms after the controller started");
    }

    [Test, Order(1)]
    public void Next_hop_is_learned_from_the_probe_at_connect_before_any_client_packet()
    {
        var beFlows = Topo.Ovs.DumpFlows("br-be");
        TestContext.Out.WriteLine("learned at connect:\n" + string.Join("\n", _learnedAtConnect));
        TestContext.Out.WriteLine($"br-be:\n{string.Join("\n", beFlows)}");
        Assert.Multiple(() =>
        {
            Assert.That(_learnedAtConnect, Has.Count.EqualTo(1), "one learned next hop in table 50");
            string learned = _learnedAtConnect.FirstOrDefault() ?? "";
            Assert.That(learned, Does.Contain("cookie=0x4c42ff000a000001").And.Contain("table=50").And.Contain($"hard_timeout={LearnSeconds}")
                .And.Contain("priority=100,reg0=0xa000001 ")
                .And.Contain($"actions=load:{MacHex(RouterMac)}->NXM_OF_ETH_DST[],output:{RouterPortOnLb}"),
                "learned: reg0 = gateway → the router's MAC, out of the router's port");
            Assert.That(_probeRepliesAtConnect, Is.GreaterThanOrEqualTo(1), "the router's reply to the controller's probe hit the probe-reply flow (table 10, priority 260)");
            Assert.That(_clientRxAtConnect, Is.Zero, "the client had sent nothing when the next hop was learned");
            Assert.That(Ctl.PacketIns.ExceptRenewals, Is.Zero, Ctl.PacketIns.ToString());
            Assert.That(Live.Lb.Plans.Values.SelectMany(p => p.Warnings), Is.Empty, "the configuration takes effect entirely on both bridges");

            // br-be balances nothing but carries the backends' return SNAT.
            Assert.That(Topo.Ovs.DumpGroups("br-be"), Is.Empty, "no select group on br-be");
            Assert.That(beFlows, Has.None.Contains("arp_tpa=" + Vip), "br-be does not answer ARP for the VIP");
            Assert.That(beFlows, Has.None.Contains("table=20, priority=200"), "br-be has no service flow");
            foreach (var ip in new[] { "10.1.0.11", "10.1.0.12", "10.2.0.13" })
            {
                Assert.That(beFlows, Has.One.Contains($"table=40, priority=100,tcp,nw_src={ip},tp_src={ServicePort} actions=set_field:{Vip}->ip_src,NORMAL"));
            }
        });
        TestContext.Out.WriteLine($"br-lb ready (first reconcile done) {_readyAfter.TotalMilliseconds:0} ms, next hop learned {_learnedAfter.TotalMilliseconds:0} ms after the controller started listening ({(_learnedAfter - _readyAfter).TotalMilliseconds:0} ms after ready)");
    }

    [Test, Order(2)]
    public void A_thousand_connections_reach_every_backend_with_the_client_ip_and_are_answered_from_the_vip()
    {
        var client = Topo.Host("client");
        TrafficReport report;
        IReadOnlyList<EthernetPacket> captured;
        using (var capture = PacketCapture.Start(client.Namespace, TopologyHost.Interface, $"tcp port {ServicePort}", count: 16))
        {
            report = client.RunClient(new TrafficRequest(Vip, ServicePort) { SourcePorts = TrafficRequest.PortRange(40000, 1000) });
            Assert.That(capture.WaitForCount(TimeSpan.FromSeconds(10)), Is.True, "captured 16 packets: " + capture.Output());
            captured = capture.Packets;
        }
        // Spread: 3 equal backends own 86/85/85 of the 256 buckets. Were the hash ideal, each would get
        // 333 ± 15 of 1,000 connections; max/mean > 1.15 needs ≥ 384 (+3.4 σ): about 0.1 % over 3 backends
        // (with 4 backends it would be 1 %, hence 3). OVS's select-group hash (dp_hash, sym_l4, basis 0) is
        // a fixed function of the 5-tuple, so these source ports give the same tally on every run.
        double spread = report.MaxOverMean(BackendNames);
        TestContext.Out.WriteLine($"{report.Summary()}; max/mean {spread:0.000}");
        TestContext.Out.WriteLine("captured on the client's eth0:\n" + string.Join("\n", captured.Select(CapturedFrames.Describe)));

        // The same 5-tuple again: every 10th source port, three more times each, one at a time.
        var again = Enumerable.Range(0, 3).SelectMany(_ => Enumerable.Range(0, 100).Select(i => 40000 + 10 * i)).ToArray();
        var repeat = client.RunClient(new TrafficRequest(Vip, ServicePort) { SourcePorts = again, Parallel = 1 });
        var first = report.BackendBySourcePort();
        var inconsistent = repeat.Connections.Where(c => c.Ok && first.TryGetValue(c.SourcePort, out var b) && b != c.Backend).ToList();
        TestContext.Out.WriteLine(repeat.Summary());

        Assert.Multiple(() =>
        {
            Assert.That(report.Failures, Is.Zero, report.Summary());
            Assert.That(report.Connections, Has.Count.EqualTo(1000));
            Assert.That(report.Tally.Keys, Is.EquivalentTo(BackendNames), "every backend, in both subnets, answered");
            Assert.That(spread, Is.LessThanOrEqualTo(1.15), "equal weights: max/mean backend load");
            Assert.That(report.Connections.Where(c => c.Ok && c.Peer != $"10.0.0.2:{c.SourcePort}").Select(c => c.Peer), Is.Empty,
                "every backend saw the client's own IP and source port (the source is never translated)");
            Assert.That(client.Neighbour(Vip), Is.EqualTo(LbMac), "the client resolved the VIP to br-lb's lbMac");
            Assert.That(Ctl.PacketIns.ExceptRenewals, Is.Zero, Ctl.PacketIns.ToString());

            var toVip = captured.Where(p => p.Tcp()?.DestinationPort == ServicePort).ToList();
            var fromVip = captured.Where(p => p.Tcp()?.SourcePort == ServicePort).ToList();
            Assert.That(toVip, Is.Not.Empty, "captured client → service packets");
            Assert.That(fromVip, Is.Not.Empty, "captured replies");
            Assert.That(toVip, Has.All.Matches<EthernetPacket>(p => p.Ipv4()!.SourceAddress.Is("10.0.0.2") && p.Ipv4()!.DestinationAddress.Is(Vip) && p.DestinationHardwareAddress.Is(LbMac)),
                "the client sends to the VIP at the lbMac");
            Assert.That(fromVip, Has.All.Matches<EthernetPacket>(p => p.Ipv4()!.SourceAddress.Is(Vip) && p.Ipv4()!.DestinationAddress.Is("10.0.0.2") && p.SourceHardwareAddress.Is(RouterMac)),
                "replies come from the VIP (SNAT on br-be), routed back by the router");

            Assert.That(repeat.Failures, Is.Zero, repeat.Summary());
            Assert.That(repeat.Connections, Has.Count.EqualTo(300));
            Assert.That(inconsistent, Is.Empty, "the same 5-tuple always reaches the same backend");
        });
    }

    [Test, Order(3)]
    public void A_flushed_next_hop_is_learned_again_from_the_next_probe_and_from_the_routers_own_arp()
    {
        var before = LearnedNextHops();
        long probeReplies = ProbeReplies();
        var sinceDelete = Stopwatch.StartNew();
        Topo.Ovs.Ofctl("del-flows", "br-lb", "table=50," + LiveLoadBalancer.LearnedCookie);
        var clock = Stopwatch.StartNew();
        // A probe reply may relearn the next hop within milliseconds of the delete (CI saw 65 ms), so "gone"
        // is judged by age: any learned flow still listed must be younger than the delete.
        bool flushed = LearnedNextHops().All(l => Age(l) <= sinceDelete.Elapsed.TotalSeconds);
        bool back = ProcessRunner.WaitUntil(() => LearnedNextHops().Count > 0, TimeSpan.FromSeconds(3 * Live.Lb.GatewayProbeInterval.TotalSeconds + 2), TimeSpan.FromMilliseconds(10));
        var relearnedAfter = clock.Elapsed;
        long probeRepliesAfter = ProbeReplies();
        var traffic = Topo.Host("client").RunClient(new TrafficRequest(Vip, ServicePort) { Count = 30 });

        // The router's own ARP (it asks for the client after its neighbour cache is flushed) is learned too.
        Topo.Ovs.Ofctl("del-flows", "br-lb", "table=50," + LiveLoadBalancer.LearnedCookie);
        long routerArps = GatewayArps();
        var router = Topo.Router("r");
        router.Exec("ip", "neigh", "flush", "dev", router.LegOn("br-lb").Interface);
        var clock2 = Stopwatch.StartNew();
        router.Exec("ping", "-n", "-q", "-c", "1", "-W", "2", "10.0.0.2");
        bool backFromRouter = ProcessRunner.WaitUntil(() => LearnedNextHops().Count > 0, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5));
        var routerRelearnedAfter = clock2.Elapsed;
        long routerArpsAfter = GatewayArps();

        TestContext.Out.WriteLine($"after flush: learned again in {relearnedAfter.TotalMilliseconds:0} ms (probe interval {Live.Lb.GatewayProbeInterval.TotalSeconds:0.#} s); probe replies {probeReplies} → {probeRepliesAfter}");
        TestContext.Out.WriteLine($"router's own ARP: learned {routerRelearnedAfter.TotalMilliseconds:0} ms after its ping started; gateway ARPs {routerArps} → {routerArpsAfter}");
        TestContext.Out.WriteLine(traffic.Summary());
        Assert.Multiple(() =>
        {
            Assert.That(before, Has.Count.EqualTo(1));
            Assert.That(flushed, Is.True, "del-flows removed the learned flow");
            Assert.That(back, Is.True, "the next hop came back");
            Assert.That(probeRepliesAfter, Is.GreaterThan(probeReplies), "a probe reply was learned after the flush");
            Assert.That(LearnedNextHops().FirstOrDefault(), Does.Contain($"load:{MacHex(RouterMac)}->NXM_OF_ETH_DST[],output:{RouterPortOnLb}"));
            Assert.That(traffic.Failures, Is.Zero, traffic.Summary());
            Assert.That(backFromRouter, Is.True, "the router's ARP request (sender = the gateway) relearned the next hop");
            Assert.That(routerArpsAfter, Is.GreaterThan(routerArps), "the router's own ARP passed the gateway-learn flow (table 10, priority 250)");
            Assert.That(Ctl.PacketIns.ExceptRenewals, Is.Zero, Ctl.PacketIns.ToString());
        });
    }

    [Test, Order(4)]
    public void A_client_behind_the_routers_port_hairpins_through_the_same_port()
    {
        // far's packets to the VIP enter br-lb from the router's port, and the next hop is that same port:
        // only the translate flow's load:0->NXM_OF_IN_PORT[] lets the learned output:100 send them back out.
        var far = Topo.Host("far");
        var report = far.RunClient(new TrafficRequest(Vip, ServicePort) { SourcePorts = TrafficRequest.PortRange(45000, 300) });
        var router = Topo.Router("r");
        string routerNeighbour = router.Namespace.Ip("neigh", "show", Vip).Stdout;
        // With a dp_hash given, the trace picks the bucket itself (no recirculation) and shows the whole path.
        string trace = Topo.Trace("br-lb",
            $"dp_hash=0x1,in_port={RouterPortOnLb},tcp,dl_src={RouterMac},dl_dst={LbMac},nw_src=10.3.0.2,nw_dst={Vip},nw_ttl=63,tp_src=45000,tp_dst={ServicePort}");
        TestContext.Out.WriteLine(report.Summary());
        TestContext.Out.WriteLine(trace);
        Assert.Multiple(() =>
        {
            Assert.That(report.Failures, Is.Zero, report.Summary());
            Assert.That(report.Tally.Keys, Is.EquivalentTo(BackendNames));
            Assert.That(report.Connections.Where(c => c.Ok && c.Peer != $"10.3.0.2:{c.SourcePort}").Select(c => c.Peer), Is.Empty,
                "the backends saw the far client's own IP");
            Assert.That(routerNeighbour, Does.Contain("lladdr " + LbMac), "the router resolved the VIP to the lbMac");
            Assert.That(trace, Does.Contain("load:0->NXM_OF_IN_PORT[]").And.Contain($"output:{RouterPortOnLb}").And.Not.Contain("skipping output to input port"),
                "the learned output to the port the packet came in on is executed");
            Assert.That(trace, Does.Match($@"Datapath actions: .*set\(ipv4\(dst=10\.\d+\.0\.\d+\)\),{DatapathPort("r-lb")}\s*$"),
                "the datapath sends the translated packet back out of the router's port");
            Assert.That(Ctl.PacketIns.ExceptRenewals, Is.Zero, Ctl.PacketIns.ToString());
        });
    }

    [Test, Order(5)]
    public void The_learned_next_hop_is_refreshed_in_place_and_never_expires_while_the_gateway_answers()
    {
        // Poll until the entry is older than its own hard timeout: it must have been there at every poll,
        // its age only growing (a re-created entry would start again from 0 s).
        double limit = LearnSeconds + 1, last = -1;
        var gaps = new List<string>();
        bool old = ProcessRunner.WaitUntil(() =>
        {
            var flows = LearnedNextHops();
            if (flows.Count != 1)
            {
                gaps.Add($"{flows.Count} learned flows");
                return false;
            }
            double age = Age(flows[0]);
            if (age < last) gaps.Add($"age went back from {last} s to {age} s");
            last = age;
            return age > limit;
        }, TimeSpan.FromSeconds(3 * LearnSeconds), TimeSpan.FromMilliseconds(100));
        TestContext.Out.WriteLine($"learned next hop {last:0.0} s old with hard_timeout={LearnSeconds}: {LearnedNextHops().FirstOrDefault()}");
        Assert.Multiple(() =>
        {
            Assert.That(old, Is.True, $"the learned flow outlived its hard timeout ({LearnSeconds} s); oldest seen {last} s");
            Assert.That(gaps, Is.Empty, "never missing, never re-created");
            Assert.That(Ctl.PacketIns.ExceptRenewals, Is.Zero, Ctl.PacketIns.ToString());
        });
    }

    [Test, Order(6)]
    public void The_stateless_return_snat_also_rewrites_a_direct_connection_to_the_backends_service_port()
    {
        // What flows/README.md (table 40) warns about: the SNAT flow matches the backend's IP and service
        // port, whoever the peer is, so a connection to the backend's own address gets answers from the VIP.
        var far = Topo.Host("far");
        var direct = far.RunClient(new TrafficRequest("10.1.0.11", ServicePort) { Count = 3, Timeout = TimeSpan.FromMilliseconds(500) });
        long snatHits = Topo.Ovs.FlowPackets("br-be", $"table=40,tcp,nw_src=10.1.0.11,tp_src={ServicePort}");
        TestContext.Out.WriteLine(direct.Summary());
        Assert.Multiple(() =>
        {
            Assert.That(direct.Failures, Is.EqualTo(3), "the SYN-ACK comes back from the VIP, which the client's socket does not expect");
            Assert.That(snatHits, Is.GreaterThan(0));
        });
    }

    // ---- helpers ----

    private IReadOnlyList<string> LearnedNextHops() => Live.LearnedNextHops("br-lb");

    /// <summary>n_packets of the table-10 flow at <paramref name="priority"/> for the gateway.</summary>
    private long ArpFlowPackets(int priority)
    {
        var line = Topo.Ovs.Ofctl("dump-flows", "br-lb", "table=10").Stdout.Split('\n')
            .FirstOrDefault(l => l.Contains($"priority={priority},", StringComparison.Ordinal) && l.Contains("arp_spa=" + Gateway, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no table-10 flow at priority {priority} for {Gateway}");
        return long.Parse(NPackets().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private long ProbeReplies() => ArpFlowPackets(260);
    private long GatewayArps() => ArpFlowPackets(250);

    private long PortRxPackets(string bridge, uint port)
    {
        var m = RxPackets().Match(Topo.Ovs.Ofctl("dump-ports", bridge, port.ToString(CultureInfo.InvariantCulture)).Stdout);
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"no rx count for {bridge} port {port}");
    }

    /// <summary>A MAC as ovs-ofctl prints a NXAST_REG_LOAD value into eth_dst: 0x + hex without leading zeros.</summary>
    private static string MacHex(string mac) => "0x" + ulong.Parse(mac.Replace(":", ""), NumberStyles.HexNumber, CultureInfo.InvariantCulture).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The datapath port number OVS gave the OpenFlow port named <paramref name="name"/> (<c>dpif/show</c>).</summary>
    private string DatapathPort(string name) =>
        Regex.Match(Topo.Ovs.Appctl("dpif/show").Stdout, $@"\b{Regex.Escape(name)} \d+/(\d+)") is { Success: true } m ? m.Groups[1].Value
            : throw new InvalidOperationException($"{name} not in dpif/show");

    /// <summary>A dumped flow's age in seconds (its <c>duration</c>).</summary>
    private static double Age(string flow) => double.Parse(Duration().Match(flow).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"duration=(\d+(?:\.\d+)?)s")]
    private static partial Regex Duration();

    [GeneratedRegex(@"n_packets=(\d+)")]
    private static partial Regex NPackets();

    [GeneratedRegex(@"rx pkts=(\d+)")]
    private static partial Regex RxPackets();
}
