using System.Globalization;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Health and failover over IPv6 (issue 12, second slice), the counterparts of <see cref="HealthCheckTests"/> and
/// <see cref="FailoverTests"/> on real OVS and real kernels. Three direct-mode backends with their own IPv6 address
/// (fd00:37::11..13) hold the IPv6 VIP on lo. (1) The "arp" check of an IPv6 backend is a neighbour solicitation by
/// PACKET_OUT out of its port; the backend's kernel advertises its address to the LB MAC, and the advertisement comes back
/// as a packet-in of the ndp table's health flow. A backend whose address is removed stays silent, is marked down after
/// <c>fall</c> checks, and only its buckets move; given its address back it rises after <c>rise</c> checks. (2) A stream of
/// new IPv6 connections while a backend's switch port goes down: the datapath leaves the dead port at once (watch_port)
/// and the controller's group without it follows, in the IPv4 test's bounds. Names start with <c>v7</c>.
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class Ipv6HealthCheckTests
{
    private const string Vip6 = "fd00:37::100";
    private static readonly string[] Backends = ["v7b1", "v7b2", "v7b3"];
    private static string Mac(int i) => $"02:00:00:00:37:1{i}";
    private static string Ip6(int i) => $"fd00:37::1{i}";

    private static string Config(string bridge, ulong dpid, string check) => $$"""
        {
          "options": { "buckets": 64 },
          "bridges": [ { "name": "{{bridge}}", "datapathId": "0x{{dpid:x}}", "lbMac": "02:00:00:00:37:fe" } ],
          "services": [ {
            "name": "web6", "vip": "fd00:37::100", "protocol": "tcp", "port": 80, "mode": "direct",
            {{check}}
            "backends": [
              { "name": "v7b1", "ip": "fd00:37::11", "mac": "02:00:00:00:37:11", "port": 2 },
              { "name": "v7b2", "ip": "fd00:37::12", "mac": "02:00:00:00:37:12", "port": 3 },
              { "name": "v7b3", "ip": "fd00:37::13", "mac": "02:00:00:00:37:13", "port": 4 } ] } ]
        }
        """;

    private static LbTopology Build(string bridge, ulong dpid, bool client)
    {
        var spec = new TopologySpec().Bridge(bridge, dpid);
        if (client) spec.Host("v7c", bridge, 1, "10.37.0.2/24", mac: "02:00:00:00:37:02");
        for (int i = 1; i <= 3; i++) spec.Host(Backends[i - 1], bridge, (uint)(i + 1), $"10.37.0.1{i}/24", mac: Mac(i));
        return LbTopology.Start(spec, topo =>
        {
            if (client) topo.Host("v7c").EnableIpv6("fd00:37::2/64");
            for (int i = 1; i <= 3; i++)
            {
                var h = topo.Host(Backends[i - 1]);
                h.EnableIpv6(Ip6(i) + "/64");
                h.HoldVip6(Vip6);
                if (client) h.StartServer(80, bind: Vip6);
            }
        });
    }

    [Test]
    public async Task A_neighbour_solicitation_check_takes_a_silent_ipv6_backend_out_and_back_moving_only_its_buckets()
    {
        using var topo = Build("br-v7h", 0x9701, client: false);
        await using var live = LiveLoadBalancer.Start(topo, Config("br-v7h", 0x9701,
            "\"healthCheck\": { \"kind\": \"arp\", \"interval\": \"300ms\", \"timeout\": \"200ms\", \"rise\": 2, \"fall\": 3 },"));
        Assert.That(ProcessRunner.WaitUntil(() => live.Lb.HealthRounds >= 4, TimeSpan.FromSeconds(10)), Is.True, "health checks run");
        var all = live.Buckets("br-v7h");
        Assert.That(all.Select(b => b.EthDst).Distinct(), Is.EquivalentTo(new[] { Mac(1), Mac(2), Mac(3) }), "every backend answers its solicitations and owns buckets");
        Assert.That(live.Log.Lines.Where(l => l.Contains("DOWN", StringComparison.Ordinal)), Is.Empty, "no backend marked down while all answer:\n" + live.LogTail());
        string neigh = topo.Host("v7b2").Exec("ip", "-6", "neigh", "show", "dev", TopologyHost.Interface).Stdout.Trim();

        var b2 = topo.Host("v7b2");
        double t0 = TrafficStream.Now();
        b2.Exec("ip", "-6", "addr", "del", Ip6(2) + "/64", "dev", TopologyHost.Interface);   // no address: no advertisement
        Assert.That(live.WaitForBuckets("br-v7h", b => b.All(x => x.EthDst != Mac(2)), TimeSpan.FromSeconds(15)), Is.True,
            "v7b2's buckets move once it stops advertising:\n" + live.LogTail());
        double downAt = live.Log.FirstTime("backend v7b2: DOWN (arp check)", t0) ?? double.NaN;
        var without = live.Buckets("br-v7h");

        double t1 = TrafficStream.Now();
        b2.Exec("ip", "-6", "addr", "add", Ip6(2) + "/64", "dev", TopologyHost.Interface, "nodad");
        Assert.That(live.WaitForBuckets("br-v7h", b => b.Any(x => x.EthDst == Mac(2)), TimeSpan.FromSeconds(15)), Is.True,
            "v7b2 rises once it advertises again:\n" + live.LogTail());
        double upAt = live.Log.FirstTime("backend v7b2: UP (arp check)", t1) ?? double.NaN;
        var back = live.Buckets("br-v7h");

        var movedDown = OvsBucket.Changed(all, without);
        var movedUp = OvsBucket.Changed(without, back);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"NS check: v7b2 silent → DOWN after {(downAt - t0) * 1000:0} ms (fall 3 × 300 ms), {movedDown.Count} of {all.Count} buckets moved; " +
            $"advertising again → UP after {(upAt - t1) * 1000:0} ms (rise 2), {movedUp.Count} buckets moved back; {live.Controller.PacketIns.Count} packet-ins; " +
            $"v7b2's neighbours: {neigh}"));
        Assert.Multiple(() =>
        {
            Assert.That(neigh, Does.Contain("fe80::ff:fe00:37fe lladdr 02:00:00:00:37:fe"), "the backend cached the LB MAC's link-local address, the source of the solicitations");
            Assert.That(live.Log.Lines, Has.Exactly(1).Contains("backend v7b2: DOWN (arp check)"));
            Assert.That(live.Log.Lines, Has.Exactly(1).Contains("backend v7b2: UP (arp check)"));
            Assert.That(movedDown, Is.EqualTo(Enumerable.Range(0, all.Count).Where(i => all[i].EthDst == Mac(2))), "exactly the buckets v7b2 owned changed");
            Assert.That(movedDown.Select(i => without[i].EthDst).Distinct(), Is.SubsetOf(new[] { Mac(1), Mac(3) }));
            Assert.That(movedUp.Select(i => back[i].EthDst).Distinct(), Is.EqualTo(new[] { Mac(2) }), "coming back, only buckets v7b2 takes change");
            Assert.That(movedUp.Count, Is.InRange(all.Count / 3 - 4, all.Count / 3 + 4), "and it takes about its share");
            Assert.That(live.Controller.PacketIns.First.Where(p => p.TableId != LbPipeline.Ndp.Id || (p.Cookie >> 40 & 0xff) != (ulong)FlowFeature.Health), Is.Empty,
                "the only packet-ins are advertisements from the ndp table's health flow");
            Assert.That(live.Controller.PacketIns.Count, Is.GreaterThan(0));
        });
    }

    /// <summary>
    /// <see cref="FailoverTests"/> over IPv6: new connections to [VIP6]:80 every 2 ms while a backend's switch port goes down,
    /// twice. Same bounds as the IPv4 test: the last connection to the dead backend starts within 1 s of the port going down
    /// (target 100 ms, by watch_port in the datapath) and the controller's group without it is installed within 5 s
    /// (target 1 s).
    /// </summary>
    [Test]
    public async Task New_ipv6_connections_leave_a_dead_port_in_the_datapath_and_the_controller_rebalances_within_a_second()
    {
        using var topo = Build("br-v7f", 0x9702, client: true);
        await using var live = LiveLoadBalancer.Start(topo, Config("br-v7f", 0x9702, ""));
        var figures = new List<string>();
        foreach (var (name, port) in new[] { ("v7b1", 2u), ("v7b2", 3u) })
        {
            using var stream = TrafficStream.Start(topo.Host("v7c").Namespace, Vip6, 80, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30));
            Assert.That(stream.WaitForConnections(100, TrafficStream.Now(), TimeSpan.FromSeconds(10)), Is.True, "the stream runs: " + stream.Output);
            double t0 = TrafficStream.Now();
            topo.SetSwitchPort(name, up: false);
            double down = TrafficStream.Now();
            double installed = double.NaN;
            Assert.That(ProcessRunner.WaitUntil(() =>
            {
                if (live.Buckets("br-v7f").Any(b => b.WatchPort == port)) return false;
                installed = TrafficStream.Now();
                return true;
            }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5)), Is.True, $"the controller removes {name}'s buckets:\n{live.LogTail()}");
            Assert.That(stream.WaitForConnections(150, installed, TimeSpan.FromSeconds(10)), Is.True);
            var conns = stream.Stop();
            var after = conns.Where(c => c.Started >= t0).ToList();
            var toDead = after.Where(c => !c.Ok || c.Backend == name).ToList();
            double? lastToDead = toDead.Count > 0 ? (toDead.Max(c => c.Started) - down) * 1000 : null;
            double groupMs = (installed - down) * 1000;
            figures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name} down: last connection to it {(lastToDead is double d ? $"{d:0} ms" : "none after the command")}, group without it (dump-groups) {groupMs:0} ms, {conns.Count(c => !c.Ok)} of {conns.Count} failed"));
            Assert.Multiple(() =>
            {
                Assert.That(conns.Where(c => !c.Ok && c.Started < t0 - 1), Is.Empty, "no failure before the port went down");
                Assert.That(after.Where(c => c.Ok && c.Backend == name && c.Started > down), Is.Empty, $"nothing reaches {name} once its port is down");
                Assert.That(after.Where(c => c.Ok && c.Started > down).Select(c => c.Backend).Distinct(), Is.EquivalentTo(Backends.Where(b => b != name)), "the others take the load");
                Assert.That(lastToDead ?? 0, Is.LessThan(1000), "sanity bound on the datapath's failover (target 100 ms), as for IPv4");
                Assert.That(groupMs, Is.LessThan(5000), "sanity bound on the controller's rebalance (target 1 s), as for IPv4");
            });
            topo.SetSwitchPort(name, up: true);
            Assert.That(live.WaitForBuckets("br-v7f", b => b.Any(x => x.WatchPort == port), TimeSpan.FromSeconds(10)), Is.True, $"{name} rejoins");
        }
        TestContext.Out.WriteLine("IPv6 port-down failover: " + string.Join("; ", figures));
    }
}
