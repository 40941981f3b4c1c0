using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;
using PacketDotNet;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Port-group mode with real packets through a real OVS: three servers share
/// one IP (the VIP) with distinct MACs on distinct ports of <c>br-pg</c>; clients sit behind a router
/// whose leg on <c>br-pg</c> is the uplink and the servers' default gateway. The real
/// <see cref="Balancer.LoadBalancer"/> programs the bridges. What is checked is what the hosts and the wire
/// show: the router's and the servers' ARP caches, which server answered and whom it saw, a libpcap capture on the
/// router's leg, ICMP counters of the servers' kernels.
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class PortGroupTrafficTests
{
    private const string Vip = "192.0.2.50", Gateway = "192.0.2.1", LbMac = "02:00:00:00:01:fe", RouterMac = "02:00:00:00:00:01";
    private const string ClientIp = "198.51.100.10";
    private static readonly string[] Servers = ["s1", "s2", "s3"];

    private const string Config = """
        {
          "bridges": [
            { "name": "br-pg", "datapathId": "0x9001", "lbMac": "02:00:00:00:01:fe", "uplink": 1, "gateways": [ "192.0.2.1" ] },
            { "name": "br-cl", "datapathId": "0x9002", "lbMac": "02:00:00:00:0c:fe" }
          ],
          "services": [
            {
              "name": "cluster", "vip": "192.0.2.50", "protocol": "tcp", "port": 80, "mode": "portgroup",
              "backends": [
                { "name": "s1", "mac": "02:00:00:00:02:01", "port": "s1", "bridge": "br-pg" },
                { "name": "s2", "mac": "02:00:00:00:02:02", "port": "s2", "bridge": "br-pg" },
                { "name": "s3", "mac": "02:00:00:00:02:03", "port": "s3", "bridge": "br-pg" }
              ]
            }
          ]
        }
        """;

    /// <summary>
    /// Servers s1..s3 (192.0.2.50/24, gateway 192.0.2.1, serving TCP port 80) on br-pg ports 2..4; router r with 192.0.2.1 on
    /// br-pg port 1 and 198.51.100.1 on br-cl port 1; the client 198.51.100.10 on br-cl port 2.
    /// </summary>
    private static LbTopology Build()
    {
        var spec = new TopologySpec()
            .Bridge("br-pg", 0x9001).Bridge("br-cl", 0x9002)
            .Router("r", new RouterLegSpec("br-pg", 1, "192.0.2.1/24", RouterMac), new RouterLegSpec("br-cl", 1, "198.51.100.1/24"))
            .Host("client", "br-cl", 2, ClientIp + "/24", gateway: "198.51.100.1");
        for (int i = 0; i < Servers.Length; i++)
        {
            spec.Host(Servers[i], "br-pg", (uint)(i + 2), Vip + "/24", mac: $"02:00:00:00:02:0{i + 1}", gateway: Gateway);
        }
        return LbTopology.Start(spec, topo =>
        {
            foreach (var s in Servers) topo.Host(s).StartServer(80);
        });
    }

    [Test]
    public async Task Clients_reach_every_server_through_the_group_and_replies_leave_with_the_external_mac()
    {
        using var topo = Build();
        await using var live = LiveLoadBalancer.Start(topo, Config);
        live.WaitForLearnedNextHop("br-pg");
        var router = topo.Router("r");
        using var wire = PacketCapture.Start(router.Namespace, "eth0", "tcp and src host " + Vip + " and src port 80");
        var client = topo.Host("client");

        var ports = TrafficRequest.PortRange(40000, 1000);
        var report = client.RunClient(new TrafficRequest(Vip, 80) { SourcePorts = ports });
        var again = client.RunClient(new TrafficRequest(Vip, 80) { SourcePorts = ports.Take(100).ToArray(), Parallel = 4 });
        // Every reply segment of 1,000 connections crossed the router's leg: wait for the capture to catch up.
        ProcessRunner.WaitUntil(() => wire.Packets.Count(p => p.Tcp()?.IsSynAck() == true) >= 1000, TimeSpan.FromSeconds(10));
        var replies = wire.Packets;

        double maxOverMean = report.MaxOverMean(Servers);
        TestContext.Out.WriteLine($"{report.Summary()}; max/mean {maxOverMean:0.000}; {replies.Count} reply segments captured on the router's leg");
        var first = report.BackendBySourcePort();
        Assert.Multiple(() =>
        {
            Assert.That(router.Exec("ip", "neigh", "show", Vip).Stdout, Does.Contain("lladdr " + LbMac),
                "the router (the clients' next hop) resolved the VIP to the group MAC");
            foreach (var s in Servers)
            {
                Assert.That(topo.Host(s).Neighbour(Gateway), Is.EqualTo(LbMac), $"{s}'s ARP for its gateway was answered with the group MAC");
            }
            Assert.That(live.Controller.PacketIns.ExceptRenewals, Is.Zero, $"no packet-in on the ARP, service or return path: {live.Controller.PacketIns}");
            Assert.That(report.Failures, Is.Zero, report.Summary());
            Assert.That(report.Tally.Keys, Is.EquivalentTo(Servers), "every server of the group gets connections");
            Assert.That(maxOverMean, Is.LessThanOrEqualTo(1.15), report.Summary());
            Assert.That(report.Connections.Where(c => c.Peer != $"{ClientIp}:{c.SourcePort}").Select(c => c.Peer), Is.Empty,
                "each server sees the client's own address and port");
            Assert.That(again.Failures, Is.Zero, again.Summary());
            Assert.That(again.Connections.Where(c => first[c.SourcePort] != c.Backend).Select(c => c.SourcePort), Is.Empty,
                "the same 5-tuple reaches the same server");
            Assert.That(replies.Count(p => p.Tcp()?.IsSynAck() == true), Is.GreaterThanOrEqualTo(1000), "every SYN-ACK seen on the wire");
            Assert.That(replies.Where(p => !(p.SourceHardwareAddress.Is(LbMac) && p.DestinationHardwareAddress.Is(RouterMac))).Take(3).Select(CapturedFrames.Describe), Is.Empty,
                "servers' replies leave with the bridge's external MAC as source, to the learned next hop");
        });
    }

    [Test]
    public async Task The_master_port_going_down_moves_the_group_and_the_master_and_announces_the_vip()
    {
        using var topo = Build();
        await using var live = LiveLoadBalancer.Start(topo, Config);
        live.WaitForLearnedNextHop("br-pg");
        foreach (var s in Servers) topo.Host(s).StartServer(8081, protocol: TrafficProtocol.Both);
        var client = topo.Host("client");
        var router = topo.Router("r");
        var before = Connect(client, 300, 41000);
        var masterBefore = OtherTraffic(topo, client);
        using var arp = PacketCapture.Start(router.Namespace, "eth0", "arp");

        topo.SetSwitchPort("s1", up: false);
        Assert.That(live.WaitForBuckets("br-pg", b => b.All(x => x.WatchPort != 2), TimeSpan.FromSeconds(10)), Is.True,
            "the group loses s1's buckets:\n" + live.LogTail());
        Assert.That(ProcessRunner.WaitUntil(() => MasterFlow(topo).Contains("output:3", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Is.True,
            "the master flow moves to s2's port: " + MasterFlow(topo));
        var garp = arp.WaitFor(IsGratuitousArpFromTheGroup, TimeSpan.FromSeconds(10));
        var during = Connect(client, 300, 42000);
        var masterDuring = OtherTraffic(topo, client);

        topo.SetSwitchPort("s1", up: true);
        Assert.That(live.WaitForBuckets("br-pg", b => b.Any(x => x.WatchPort == 2), TimeSpan.FromSeconds(10)), Is.True,
            "s1 rejoins the group:\n" + live.LogTail());
        Assert.That(ProcessRunner.WaitUntil(() => MasterFlow(topo).Contains("output:2", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Is.True,
            "s1, first in configuration order, is master again: " + MasterFlow(topo));
        bool secondGarp = ProcessRunner.WaitUntil(() => arp.Packets.Count(p => p.Arp()?.IsGratuitousRequestFor(Vip) == true) >= 2, TimeSpan.FromSeconds(10));
        var after = Connect(client, 300, 43000);
        var masterAfter = OtherTraffic(topo, client);

        TestContext.Out.WriteLine($"before: {before.Summary()}\nmaster port down: {during.Summary()}\nback up: {after.Summary()}");
        TestContext.Out.WriteLine($"other traffic to the VIP went to: {masterBefore} → {masterDuring} → {masterAfter}; GARP: {(garp is null ? "none" : CapturedFrames.Describe(garp))}");
        Assert.Multiple(() =>
        {
            Assert.That(before.Failures, Is.Zero, before.Summary());
            Assert.That(before.Tally.Keys, Is.EquivalentTo(Servers));
            Assert.That(masterBefore, Is.EqualTo(new OtherTrafficSeen("s1", "s1", "s1")), "UDP, other TCP ports and ICMP to the VIP reach the master, s1");
            Assert.That(during.Failures, Is.Zero, "every new connection succeeds on the remaining servers: " + during.Summary());
            Assert.That(during.Tally.Keys, Is.EquivalentTo(new[] { "s2", "s3" }), during.Summary());
            Assert.That(masterDuring, Is.EqualTo(new OtherTrafficSeen("s2", "s2", "s2")), "other traffic follows the new master, s2");
            Assert.That(garp, Is.Not.Null, "a gratuitous ARP for the VIP from the group MAC is seen on the uplink:\n" + arp.Output(frames: 20));
            Assert.That(live.Log.Lines, Has.Some.Contains("port-group master s1 → s2"));
            Assert.That(after.Failures, Is.Zero, after.Summary());
            Assert.That(after.Tally.Keys, Is.EquivalentTo(Servers), "s1 is back in the group: " + after.Summary());
            Assert.That(masterAfter, Is.EqualTo(new OtherTrafficSeen("s1", "s1", "s1")));
            Assert.That(secondGarp, Is.True, "the master's return is announced too");
            Assert.That(live.Controller.PacketIns.ExceptRenewals, Is.Zero, live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>
    /// Every ARP a port-group server sends names the shared VIP as its sender. Flooded, a server's request
    /// for any other neighbour would make the router cache the VIP at that server's MAC and send every client
    /// straight to it, past the group. The bridge answers the servers' request for their gateway and keeps
    /// all their other ARP to itself (the switch confines the same-IP servers' ARP domain).
    /// </summary>
    [Test]
    public async Task A_server_asking_for_other_neighbours_does_not_take_the_vip_from_the_group()
    {
        using var topo = Build();
        await using var live = LiveLoadBalancer.Start(topo, Config);
        live.WaitForLearnedNextHop("br-pg");
        var client = topo.Host("client");
        var router = topo.Router("r");
        var before = Connect(client, 150, 44000);
        using var wire = PacketCapture.Start(router.Namespace, "eth0", "arp and ether src 02:00:00:00:02:02");

        var s2 = topo.Host("s2").Namespace.Name;
        var gateway = ProcessRunner.Run("ip", ["netns", "exec", s2, "arping", "-c", "1", "-w", "3", "-I", "eth0", Gateway]);
        var other = ProcessRunner.Run("ip", ["netns", "exec", s2, "arping", "-c", "3", "-w", "3", "-I", "eth0", "192.0.2.99"]);
        var after = Connect(client, 150, 45000);

        TestContext.Out.WriteLine($"{before.Summary()}\narping gateway: {gateway.Stdout.Trim()}\narping 192.0.2.99: {other.Stdout.Trim()}\n{after.Summary()}");
        Assert.Multiple(() =>
        {
            Assert.That(gateway.ExitCode, Is.Zero, "the server's ARP for its gateway is answered");
            Assert.That(gateway.Stdout, Does.Contain("[" + LbMac.ToUpperInvariant() + "]"), "by the bridge, with the group MAC");
            Assert.That(other.Stdout, Does.Contain("Sent 3 probes"), "the server did ask for another neighbour");
            Assert.That(wire.Packets.Select(CapturedFrames.Describe), Is.Empty, "none of the server's ARP reached the router");
            Assert.That(router.Exec("ip", "neigh", "show", Vip).Stdout, Does.Contain("lladdr " + LbMac), "the router still has the VIP at the group MAC");
            Assert.That(before.Failures + after.Failures, Is.Zero);
            Assert.That(after.Tally.Keys, Is.EquivalentTo(Servers), "clients still reach every server through the group: " + after.Summary());
        });
    }

    private static TrafficReport Connect(TopologyHost client, int n, int firstPort) =>
        client.RunClient(new TrafficRequest(Vip, 80) { SourcePorts = TrafficRequest.PortRange(firstPort, n) });

    /// <summary>Which server got UDP and TCP to port 8081 (no service port) and ICMP echo requests to the VIP.</summary>
    private sealed record OtherTrafficSeen(string? Udp, string? Tcp, string? Icmp);

    private static OtherTrafficSeen OtherTraffic(LbTopology topo, TopologyHost client)
    {
        var udp = client.RunClient(new TrafficRequest(Vip, 8081) { Protocol = TrafficProtocol.Udp, Count = 5, Parallel = 1 });
        var tcp = client.RunClient(new TrafficRequest(Vip, 8081) { Count = 5, Parallel = 1 });
        var echoes = Servers.ToDictionary(s => s, s => IcmpInEchos(topo.Host(s)));
        bool answered = client.Ping(Vip, count: 3);
        var got = Servers.Where(s => IcmpInEchos(topo.Host(s)) > echoes[s]).ToList();
        return new OtherTrafficSeen(
            udp.Failures == 0 && udp.Tally.Count == 1 ? udp.Tally.Keys.Single() : udp.Summary(),
            tcp.Failures == 0 && tcp.Tally.Count == 1 ? tcp.Tally.Keys.Single() : tcp.Summary(),
            answered && got.Count == 1 ? got[0] : $"answered={answered}, echo requests at [{string.Join(",", got)}]");
    }

    /// <summary>The server kernel's own count of ICMP echo requests received.</summary>
    private static long IcmpInEchos(TopologyHost h) => h.SnmpCounter("Icmp", "InEchos");

    private static string MasterFlow(LbTopology topo) =>
        topo.Ovs.DumpFlows("br-pg").SingleOrDefault(l => l.Contains("table=20", StringComparison.Ordinal) && l.Contains("priority=100", StringComparison.Ordinal)) ?? "(none)";

    /// <summary>A gratuitous ARP request for the VIP, broadcast from the group MAC (an Ethernet frame that is ARP).</summary>
    private static bool IsGratuitousArpFromTheGroup(EthernetPacket p) =>
        p.SourceHardwareAddress.Is(LbMac) && p.DestinationHardwareAddress.Is("ff:ff:ff:ff:ff:ff") && p.Arp()?.IsGratuitousRequestFor(Vip) == true;
}

