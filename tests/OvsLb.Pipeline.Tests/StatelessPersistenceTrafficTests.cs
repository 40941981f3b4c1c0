using OvsLb.Pipeline.Flows;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Persistence in a stateless mode (direct): 400 long-lived TCP connections held open and asked which backend
/// answers (<see cref="HeldConnections"/>; the backends hold the VIP on lo and run <see cref="EchoServer"/>s
/// bound to it), while a 5th backend is added and then another backend removed. With
/// <c>persistence: "connection"</c> (the default) each connection's learned entry in table 21 keeps it on its
/// backend: 0 move, and only the removed backend's connections end, reset at their next packet. With
/// <c>"none"</c> the same run shows what hashing alone does: about 1/(N+1) of the connections land on the new
/// backend, which resets them. README's persistence figures are this test's output.
/// </summary>
public sealed class StatelessPersistenceTrafficTests
{
    private const string Bridge = "ovslb-spt";
    private const string Vip = "10.66.0.100";
    private const int Held = 400;
    private static readonly string[] Hosts = ["b1", "b2", "b3", "b4", "b5"];
    private static string Ip(string b) => $"10.66.0.1{b[1]}";
    private static string Mac(string b) => $"02:00:00:00:66:1{b[1]}";

    private static string Config(string persistence, params string[] backends) => $$"""
        {
          "bridges": [ { "name": "{{Bridge}}", "datapathId": "0x66", "lbMac": "02:00:00:00:66:fe" } ],
          "services": [
            { "name": "web", "vip": "{{Vip}}", "protocol": "tcp", "port": 80, "mode": "direct", "persistence": "{{persistence}}",
              "backends": [ {{string.Join(", ", backends.Select(b => $$"""{ "name": "{{b}}", "ip": "{{Ip(b)}}", "mac": "{{Mac(b)}}", "port": {{10 + (b[1] - '0')}} }"""))}} ] }
          ]
        }
        """;

    [TestCase("connection")]
    [TestCase("none")]
    public async Task Held_connections_through_a_backend_added_and_another_removed(string persistence)
    {
        var spec = new TopologySpec().Bridge(Bridge, 0x66).Host("client", Bridge, 1, "10.66.0.2/24", mac: "02:00:00:00:66:02");
        foreach (var b in Hosts) spec.Host(b, Bridge, (uint)(10 + (b[1] - '0')), Ip(b) + "/24", mac: Mac(b));
        using var topo = LbTopology.Start(spec, t =>
        {
            foreach (var b in Hosts)
            {
                t.Host(b).HoldVip(Vip);
                t.Track(EchoServer.Start(t.Host(b).Namespace, b, 80, bind: Vip));
            }
        });
        await using var live = LiveLoadBalancer.Start(topo, Config(persistence, "b1", "b2", "b3", "b4"));
        using var held = HeldConnections.Open(topo.Host("client").Namespace, Vip, 80, TrafficRequest.PortRange(43000, Held));
        var start = held.Opened.Where(a => a.Ok).ToDictionary(a => a.SourcePort, a => a.Backend!);

        var entriesBefore = LearnedEntries(topo);
        NatModeTrafficTests.ApplyAndWait(live, Bridge, Config(persistence, "b1", "b2", "b3", "b4", "b5"));
        var afterAdd = held.Round();
        var movedByAdd = afterAdd.Where(a => start.TryGetValue(a.SourcePort, out var b) && (!a.Ok || a.Backend != b)).ToList();
        if (persistence == "connection" && movedByAdd.Count > 0) TestContext.Out.WriteLine(WhyMoved(topo, movedByAdd, start, entriesBefore));

        // Only the connections still talking to their first backend are carried on; b2 is removed next.
        var survivors = afterAdd.Where(a => a.Ok && start.GetValueOrDefault(a.SourcePort) == a.Backend).Select(a => a.SourcePort).ToHashSet();
        NatModeTrafficTests.ApplyAndWait(live, Bridge, Config(persistence, "b1", "b3", "b4", "b5"));
        var afterRemove = held.Round(TimeSpan.FromSeconds(10));
        var onB2 = afterRemove.Where(a => survivors.Contains(a.SourcePort) && start[a.SourcePort] == "b2").ToList();
        var others = afterRemove.Where(a => survivors.Contains(a.SourcePort) && start[a.SourcePort] != "b2").ToList();
        var othersMoved = others.Where(a => !a.Ok || a.Backend != start[a.SourcePort]).ToList();
        double share = movedByAdd.Count / (double)start.Count;
        TestContext.Out.WriteLine($"persistence {persistence}: {start.Count} held; b5 added: {movedByAdd.Count} moved or broken ({share:P1}; 1/(N+1) = 20%); " +
            $"b2 removed: {onB2.Count(a => !a.Ok)} of its {onB2.Count} ended ({string.Join(", ", onB2.Where(a => !a.Ok).Select(a => a.Error).Distinct().Take(2))}), " +
            $"{othersMoved.Count} of the other {others.Count} moved or broken");
        Assert.Multiple(() =>
        {
            Assert.That(start, Has.Count.EqualTo(Held), "every connection opened");
            Assert.That(start.Values.Distinct().Order(), Is.EqualTo(new[] { "b1", "b2", "b3", "b4" }));
            if (persistence == "connection")
            {
                Assert.That(movedByAdd, Is.Empty, "adding a backend moves no established connection");
                Assert.That(othersMoved, Is.Empty, "removing b2 moves none of the other backends' connections");
                Assert.That(onB2, Is.Not.Empty);
                Assert.That(onB2.Where(a => a.Ok), Is.Empty, "b2's connections end at their next packet (reset by the backend that gets them)");
            }
            else
            {
                Assert.That(share, Is.InRange(0.10, 0.30), "stateless: about 1/(N+1) of the connections move to the new backend");
                Assert.That(movedByAdd.Where(a => a.Ok), Is.Empty, "a moved connection does not go on elsewhere: the new backend resets it");
            }
        });
    }
    /// <summary>Table 21's learned entries with their statistics, by client port (what a moved connection had).</summary>
    private static Dictionary<int, string> LearnedEntries(LbTopology topo) =>
        topo.Ovs.Ofctl("dump-flows", Bridge, "table=21").Stdout.Split('\n')
            .Select(l => (Line: l.Trim(), Port: System.Text.RegularExpressions.Regex.Match(l, @"tp_src=(\d+)")))
            .Where(x => x.Port.Success).GroupBy(x => int.Parse(x.Port.Groups[1].Value)).ToDictionary(g => g.Key, g => string.Join(" || ", g.Select(x => x.Line)));

    /// <summary>
    /// For each moved connection: its learned entry before the change and now, the datapath flows of its port, and the
    /// backends' sockets for it (which backend holds it, in what state), so a failure says where the packet went.
    /// </summary>
    private static string WhyMoved(LbTopology topo, IEnumerable<HeldAnswer> moved, Dictionary<int, string> start, Dictionary<int, string> before)
    {
        var now = LearnedEntries(topo);
        var dp = topo.Ovs.Appctl("dpctl/dump-flows").Stdout.Split('\n');
        var sb = new System.Text.StringBuilder("moved connections, why:\n");
        foreach (var a in moved.Take(3))
        {
            sb.AppendLine($"  port {a.SourcePort} (was on {start[a.SourcePort]}): {a.Backend ?? a.Error}");
            sb.AppendLine($"    entry before: {before.GetValueOrDefault(a.SourcePort, "(none)")}");
            sb.AppendLine($"    entry now:    {now.GetValueOrDefault(a.SourcePort, "(none)")}");
            foreach (var l in dp.Where(l => l.Contains($"src={a.SourcePort}", StringComparison.Ordinal))) sb.AppendLine($"    dp: {l.Trim()}");
            foreach (var b in Hosts)
            {
                var ss = ProcessRunner.Run("ip", ["netns", "exec", topo.Host(b).Namespace.Name, "ss", "-tan", $"( sport = :80 and dport = :{a.SourcePort} )"]).Stdout
                    .Split('\n').Skip(1).Where(l => l.Trim().Length > 0);
                foreach (var l in ss) sb.AppendLine($"    {b}: {l.Trim()}");
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// The 5-tuple reuse case (table 25): each of 200 connections is reset by the client (an RST, so no TIME_WAIT) and
    /// opened again at once from the same port. The RST has lowered the entry's idle timeout to 2 s; the new SYN finds
    /// the entry, and the controller renews it (FLOW_MOD ADD). The connections then stay silent for 3 s, longer than the
    /// lowered timeout, a 5th backend is added, and they are asked again: 0 moved. Without the renewal, the entries
    /// expire in the silence and about 1/5 of the connections go to the new backend, which resets them.
    /// </summary>
    [Test]
    public async Task A_connection_reusing_a_5_tuple_reset_a_moment_before_keeps_its_backend_through_silence_and_a_change()
    {
        const int count = 200;
        var spec = new TopologySpec().Bridge(Bridge, 0x66).Host("client", Bridge, 1, "10.66.0.2/24", mac: "02:00:00:00:66:02");
        foreach (var b in Hosts) spec.Host(b, Bridge, (uint)(10 + (b[1] - '0')), Ip(b) + "/24", mac: Mac(b));
        using var topo = LbTopology.Start(spec, t =>
        {
            foreach (var b in Hosts)
            {
                t.Host(b).HoldVip(Vip);
                t.Track(EchoServer.Start(t.Host(b).Namespace, b, 80, bind: Vip));
            }
        });
        await using var live = LiveLoadBalancer.Start(topo, Config("connection", "b1", "b2", "b3", "b4"));
        using var held = HeldConnections.Open(topo.Host("client").Namespace, Vip, 80, TrafficRequest.PortRange(44000, count), reuse: true);
        var start = held.Opened.Where(a => a.Ok).ToDictionary(a => a.SourcePort, a => a.Backend!);

        // Every entry renewed by the controller (the RST lowers an entry when its statistics reach OVS, which may be after
        // a first look at the table, so the renewals are counted first), and then none left with the 2 s timeout.
        bool renewed = ProcessRunner.WaitUntil(() => live.Lb.Renewals.Renewed >= count, TimeSpan.FromSeconds(10));
        var entries = topo.Ovs.DumpFlows(Bridge).Where(f => f.StartsWith("cookie=0x4c42ff", StringComparison.Ordinal) && f.Contains(" table=21,", StringComparison.Ordinal)).ToArray();
        int lowered = entries.Count(f => !f.Contains("idle_timeout=300,", StringComparison.Ordinal));
        // Each entry, as OVS dumps it, is exactly the flow learn writes for the backend that connection talks to.
        var web = live.Lb.Config.Services.Single();
        var expected = start.Select(kv => RenewFlows.RenewedConnectionEntry(live.Lb.Settings.Cookies, PickFlows.BackendTag(web, web.Backends.Single(b => b.Name == kv.Value)),
            OvsLb.OpenFlow.Packets.Ipv4Address.Parse("10.66.0.2"), (ushort)kv.Key, web.Ipv4Vip, 80, 300).Text).Order(StringComparer.Ordinal).ToArray();

        // The silence under test: longer than the 2 s a closed connection's entry lives.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        NatModeTrafficTests.ApplyAndWait(live, Bridge, Config("connection", "b1", "b2", "b3", "b4", "b5"));
        var after = held.Round();
        var moved = after.Where(a => start.TryGetValue(a.SourcePort, out var b) && (!a.Ok || a.Backend != b)).ToList();
        TestContext.Out.WriteLine($"reuse: {start.Count} reopened on their 5-tuples; entries {entries.Length}, {lowered} without idle_timeout=300; " +
            $"renewed by the controller {live.Lb.Renewals.Renewed}, ignored {live.Lb.Renewals.Ignored}; after 3 s silence and b5 added: {moved.Count} moved or broken " +
            $"({string.Join(", ", moved.Take(3).Select(a => $"{a.SourcePort}: {start[a.SourcePort]} -> {a.Backend ?? a.Error}"))})");
        Assert.Multiple(() =>
        {
            Assert.That(start, Has.Count.EqualTo(count), "every connection reopened on its port");
            Assert.That(renewed, Is.True, $"the controller renewed each reused entry (renewed {live.Lb.Renewals.Renewed} of {count})");
            Assert.That(entries, Has.Length.EqualTo(count), "one entry per connection");
            Assert.That(lowered, Is.Zero, "every entry has the full idle timeout (300 s) again");
            Assert.That(entries.Order(StringComparer.Ordinal), Is.EqualTo(expected), "the entries are the flows learn writes, each naming its connection's backend");
            Assert.That(moved, Is.Empty, "no reopened connection moves after its silence");
        });
    }
}
