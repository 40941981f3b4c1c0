using System.Globalization;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// UDP services balanced per 5-tuple (multipath into reg2, then the slot table, see flows/README.md table 27) with
/// real datagrams through real OVS (userspace datapath): a client and five backends on bridge <c>udq-br</c>, two
/// direct-mode UDP services on one VIP, <c>none</c> (port 53, persistence "none") and <c>conn</c> (port 54,
/// persistence "connection", the default), both starting with b1..b4. All flows come from ONE client address.
/// The tests run in order: spread, add b5, remove b2, port down.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class UdpSlotTrafficTests : LiveLbFixture
{
    private const string Bridge = "udq-br";
    private const string Vip = "10.71.0.100";
    private static readonly string[] Hosts = ["b1", "b2", "b3", "b4", "b5"];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string Backend(string b) =>
        $$"""{ "name": "{{b}}", "ip": "10.71.0.1{{b[1]}}", "mac": "02:00:00:00:71:1{{b[1]}}", "port": "{{b}}" }""";

    private static string Config(params string[] backends)
    {
        string list = string.Join(", ", backends.Select(Backend));
        return $$"""
            {
              "bridges": [ { "name": "udq-br", "datapathId": "0x9a71", "lbMac": "02:00:00:00:71:fe", "uplink": "client" } ],
              "services": [
                { "name": "none", "vip": "{{Vip}}", "protocol": "udp", "port": 53, "mode": "direct", "persistence": "none", "backends": [ {{list}} ] },
                { "name": "conn", "vip": "{{Vip}}", "protocol": "udp", "port": 54, "mode": "direct", "backends": [ {{list}} ] }
              ]
            }
            """;
    }

    private TopologyHost Client => Topo.Host("client");

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec().Bridge(Bridge, 0x9a71).Host("client", Bridge, 1, "10.71.0.2/24", mac: "02:00:00:00:71:02");
        for (int i = 0; i < Hosts.Length; i++) spec.Host(Hosts[i], Bridge, (uint)(i + 2), $"10.71.0.1{i + 1}/24", mac: $"02:00:00:00:71:1{i + 1}");
        StartLab(spec, Config("b1", "b2", "b3", "b4"), topo =>
        {
            foreach (var b in Hosts)
            {
                topo.Host(b).HoldVip(Vip);
                topo.Host(b).StartServer(53, bind: Vip, protocol: TrafficProtocol.Udp);
                topo.Host(b).StartServer(54, bind: Vip, protocol: TrafficProtocol.Udp);
            }
        });
        Live.WaitInstalled(Bridge);
    }

    /// <summary>One datagram (and its answer) per source port, from the client's one address.</summary>
    private TrafficReport Flows(int port, IReadOnlyList<int> sourcePorts) =>
        Client.RunClient(new TrafficRequest(Vip, port) { Protocol = TrafficProtocol.Udp, SourcePorts = sourcePorts, Parallel = 16 });

    /// <summary>
    /// 1,000 UDP flows from one address over 4 equal backends: each count is Binomial(1000, 1/4) (σ = 13.7), so
    /// max/mean ≤ 1.15 (a count ≤ 287) is 2.7σ above the mean; the slot table gives each backend 64 of 256 slots and
    /// the source ports are fixed, so the figure is the same on every run. The same flows again (reversed order,
    /// a second datagram of each 5-tuple) reach the same backends. Datapath: one exact-5-tuple megaflow per flow.
    /// </summary>
    [Test, Order(1)]
    public void A_thousand_udp_flows_from_one_address_spread_by_port_and_keep_their_backend()
    {
        var ports = TrafficRequest.PortRange(40000, 1000);
        Topo.Ovs.Appctl("revalidator/purge");
        var first = Flows(53, ports);
        int megaflows = Topo.Ovs.Appctl("dpctl/dump-flows").Stdout.Split('\n').Count(l => l.Contains("dst=10.71.0.100,", StringComparison.Ordinal) && l.Contains("udp(src=", StringComparison.Ordinal));
        var again = Flows(53, ports.Reverse().ToArray());
        var conn = Flows(54, ports);
        var connAgain = Flows(54, ports.Reverse().ToArray());
        string[] four = ["b1", "b2", "b3", "b4"];
        double spread = first.MaxOverMean(four), connSpread = conn.MaxOverMean(four);
        int moved = Moved(first, again), connMoved = Moved(conn, connAgain);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"persistence none: {first.Summary()}; max/mean {spread:0.000}; {moved} of 1000 flows changed backend on their second datagram; {megaflows} client→VIP megaflows\n" +
            $"persistence connection: {conn.Summary()}; max/mean {connSpread:0.000}; {connMoved} changed; {Live.PacketIns} packet-ins"));
        Assert.Multiple(() =>
        {
            Assert.That(first.Failures + again.Failures + conn.Failures + connAgain.Failures, Is.Zero, $"{first.Summary()} / {again.Summary()} / {conn.Summary()} / {connAgain.Summary()}");
            Assert.That(first.Tally.Keys, Is.EquivalentTo(four), "one client address reaches every backend");
            Assert.That(spread, Is.LessThanOrEqualTo(1.15), first.Summary());
            Assert.That(connSpread, Is.LessThanOrEqualTo(1.15), conn.Summary());
            Assert.That(moved, Is.Zero, "each flow keeps its backend (persistence none: the same slot)");
            Assert.That(connMoved, Is.Zero, "each flow keeps its backend (persistence connection: its learned entry)");
            Assert.That(megaflows, Is.GreaterThanOrEqualTo(900), "multipath un-wildcards both ports: one megaflow per flow");
            Assert.That(Live.PacketIns, Is.Zero, Live.Controller.PacketIns.ToString());
        });
    }

    /// <summary>
    /// b5 added, then b2 removed (configuration changes): with persistence "none" only the slots whose owner changed
    /// move their flows, ≤ 1.25/N of them (N = 5: the backends after the add, before the remove); with persistence
    /// "connection" the learned entries keep every flow whose backend is still there (0 moved).
    /// </summary>
    [Test, Order(2)]
    public void Adding_and_removing_a_backend_moves_at_most_its_share_and_nothing_with_persistence()
    {
        var ports = TrafficRequest.PortRange(42000, 1000);
        var none0 = Flows(53, ports);
        var conn0 = Flows(54, ports);

        ApplyAndWait(Config("b1", "b2", "b3", "b4", "b5"), groups => groups.Any(g => FirstWatch(g) == "6"));
        var none1 = Flows(53, ports);
        var conn1 = Flows(54, ports);

        ApplyAndWait(Config("b1", "b3", "b4", "b5"), groups => groups.All(g => !g.Contains("watch_port:3,", StringComparison.Ordinal)));
        var none2 = Flows(53, ports);
        var conn2 = Flows(54, ports);

        double addNone = Moved(none0, none1) / 1000.0, removeNone = Moved(none1, none2) / 1000.0;
        int addConn = Moved(conn0, conn1);
        var b2Ports = conn1.BackendBySourcePort().Where(p => p.Value == "b2").Select(p => p.Key).ToHashSet();
        int removeConnOthers = Moved(conn1, conn2, p => !b2Ports.Contains(p));
        double noneOffB2 = Moved(none1, none2, p => none1.BackendBySourcePort().GetValueOrDefault(p) != "b2") / 1000.0;
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"+b5: persistence none moved {addNone:0.000} (b5 took {none1.Tally.GetValueOrDefault("b5")}), connection moved {addConn}; " +
            $"-b2: none moved {removeNone:0.000} (b2 had {none1.Tally.GetValueOrDefault("b2")}; flows not on b2 moved {noneOffB2:0.000}), " +
            $"connection moved {removeConnOthers} of the {1000 - b2Ports.Count} flows not on b2; limit 1.25/5 = 0.25\n" +
            $"{none1.Summary()} / {none2.Summary()} / {conn1.Summary()} / {conn2.Summary()}"));
        Assert.Multiple(() =>
        {
            Assert.That(new[] { none0, conn0, none1, conn1, none2, conn2 }.Sum(r => r.Failures), Is.Zero, "every datagram answered");
            Assert.That(none1.Tally.Keys, Does.Contain("b5"), "b5 takes flows");
            Assert.That(addNone, Is.LessThanOrEqualTo(1.25 / 5), "added b5: fraction moved (persistence none)");
            Assert.That(removeNone, Is.LessThanOrEqualTo(1.25 / 5), "removed b2: fraction moved (persistence none)");
            Assert.That(noneOffB2, Is.Zero, "removing b2 moves only b2's flows");
            Assert.That(addConn, Is.Zero, "persistence connection: adding b5 moves no flow");
            Assert.That(removeConnOthers, Is.Zero, "persistence connection: removing b2 moves no other flow");
            Assert.That(none2.Tally.Keys.Concat(conn2.Tally.Keys), Has.None.EqualTo("b2"), "b2 gets nothing once removed");
        });
    }

    /// <summary>
    /// b3's switch port goes down under 40 steady UDP flows per service (one per client address, a datagram every
    /// 20 ms). persistence none: the slot flows' fast-failover groups skip the dead port in the datapath; persistence
    /// connection: the learned entries name b3 until the controller's re-plan (PORT_STATUS) drops b3's pick flow. Every
    /// flow that was on b3 must be answered by another backend within the TCP failover test's bound (1 s,
    /// <see cref="FailoverTests"/>), and the flows on other backends keep theirs.
    /// </summary>
    [Test, Order(3)]
    public void A_dead_port_s_udp_flows_are_answered_by_another_backend_within_the_failover_bound()
    {
        const string victim = "b3";
        var addresses = Enumerable.Range(0, 40).Select(i => $"10.71.0.{150 + i}").ToList();
        Client.AddAddresses(addresses.Select(a => a + "/24"));
        var interval = TimeSpan.FromMilliseconds(20);
        using var none = UdpFlowStream.Start(Client.Namespace, Vip, 53, addresses, 43000, interval, TimeSpan.FromSeconds(60));
        using var conn = UdpFlowStream.Start(Client.Namespace, Vip, 54, addresses, 43001, interval, TimeSpan.FromSeconds(60));
        Assert.That(ProcessRunner.WaitUntil(() => none.Probes.Count(p => p.Ok) >= 200 && conn.Probes.Count(p => p.Ok) >= 200, Patience), Is.True, none.Output + conn.Output);
        double t0 = TrafficStream.Now();
        Topo.SetSwitchPort(victim, up: false);
        double down = TrafficStream.Now();
        Assert.That(ProcessRunner.WaitUntil(() => TrafficStream.Now() > down + 1.5, Patience), Is.True);
        double stop = TrafficStream.Now();   // datagrams sent in the last interval before the streams stop may go unanswered: not counted
        var results = new[] { ("none", none.Stop()), ("connection", conn.Stop()) };
        try
        {
            Assert.Multiple(() =>
            {
                foreach (var (name, probes) in results)
                {
                    var before = probes.Where(p => p.Sent < t0 && p.Ok).GroupBy(p => p.Flow).ToDictionary(g => g.Key, g => g.Last().Backend);
                    var victims = before.Where(x => x.Value == victim).Select(x => x.Key).ToList();
                    var recovery = victims.ToDictionary(f => f, f => probes.FirstOrDefault(p => p.Flow == f && p.Sent >= down && p.Ok && p.Backend != victim) is { } p ? (p.Sent - down) * 1000 : (double?)null);
                    var others = probes.Where(p => p.Sent >= down && p.Ok && before.GetValueOrDefault(p.Flow) is string b && b != victim && p.Backend != b).ToList();
                    var tail = probes.Where(p => p.Sent >= down + 1.0 && p.Sent < stop - 0.1).ToList();
                    TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"persistence {name}: {victims.Count} of {before.Count} flows on {victim}; answered by another backend after " +
                        $"{(recovery.Values.All(v => v is not null) && victims.Count > 0 ? $"median {Median(recovery.Values.Select(v => v!.Value)):0} ms, max {recovery.Values.Max()!.Value:0} ms" : "NEVER for some")} " +
                        $"(from the end of ip link, which took {(down - t0) * 1000:0} ms); {others.Count} datagrams of other flows changed backend; " +
                        $"last second: {tail.Count(p => p.Ok)} of {tail.Count} answered"));
                    Assert.That(victims, Is.Not.Empty, $"{name}: some flows were on {victim}");
                    Assert.That(recovery.Values, Has.All.Not.Null.And.All.LessThan(1000.0), $"{name}: every flow of {victim} answered elsewhere within 1 s");
                    Assert.That(others, Is.Empty, $"{name}: flows on other backends keep theirs");
                    Assert.That(tail, Has.All.Matches<UdpProbe>(p => p.Ok && p.Backend != victim), $"{name}: afterwards every datagram is answered, none by {victim}");
                }
            });
        }
        finally
        {
            Topo.SetSwitchPort(victim, up: true);
        }
    }

    /// <summary>How many source ports reached another backend in <paramref name="b"/> than in <paramref name="a"/> (among those <paramref name="which"/> selects).</summary>
    private static int Moved(TrafficReport a, TrafficReport b, Func<int, bool>? which = null)
    {
        var x = a.BackendBySourcePort();
        var y = b.BackendBySourcePort();
        return x.Keys.Where(p => which?.Invoke(p) ?? true).Count(p => x[p] != y.GetValueOrDefault(p));
    }

    /// <summary>The watch port of a group's first bucket, as dump-groups prints it.</summary>
    private static string? FirstWatch(string group)
    {
        int at = group.IndexOf("bucket=watch_port:", StringComparison.Ordinal);
        return at < 0 ? null : new string(group[(at + 18)..].TakeWhile(char.IsDigit).ToArray());
    }

    /// <summary>Applies a configuration and waits until its reconcile is committed and the groups satisfy <paramref name="done"/>.</summary>
    private void ApplyAndWait(string json, Func<IReadOnlyList<string>, bool> done)
    {
        var session = Live.Session(Bridge);
        var last = session.LastReconcile;
        Live.Lb.Apply(NatModeTrafficTests.Parse(json));
        bool ok = ProcessRunner.WaitUntil(() => !ReferenceEquals(session.LastReconcile, last) && done(Live.Installed(Bridge).Groups), Patience, TimeSpan.FromMilliseconds(20));
        Assert.That(ok, Is.True, $"the new configuration reached {Bridge}:\n{string.Join("\n", Live.Installed(Bridge).Groups)}\n{Live.LogTail()}");
    }

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
