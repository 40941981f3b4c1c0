using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// <c>options.maxConnections</c> with real TCP through real OVS, direct mode with persistence (the default), cap 50,
/// counted every 200 ms: 50 connections held open reach the cap; the controller logs it once and replaces the
/// service's group flow in <c>pick</c> by a drop; 30 more connections then get no answer to their SYN, while the 50
/// pinned ones keep exchanging data with their backends. Closing 40 of them (their entries go 2 s after the FIN)
/// brings the count under the low-water mark (47): the controller logs that once, the group flow is back, and new
/// connections succeed again.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class ConnectionCapTrafficTests
{
    private const string Bridge = "cp-cap";
    private const string Vip = "10.67.0.100";
    private const int Cap = 50;
    private static readonly string[] Hosts = ["cpb1", "cpb2"];
    private static string Ip(string b) => $"10.67.0.1{b[^1]}";
    private static string Mac(string b) => $"02:00:00:00:67:1{b[^1]}";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string Config() => $$"""
        {
          "options": { "maxConnections": {{Cap}}, "connectionCapInterval": "200ms" },
          "bridges": [ { "name": "{{Bridge}}", "datapathId": "0x67", "lbMac": "02:00:00:00:67:fe" } ],
          "services": [
            { "name": "web", "vip": "{{Vip}}", "protocol": "tcp", "port": 80, "mode": "direct",
              "backends": [ {{string.Join(", ", Hosts.Select(b => $$"""{ "name": "{{b}}", "ip": "{{Ip(b)}}", "mac": "{{Mac(b)}}", "port": {{10 + (b[^1] - '0')}} }"""))}} ] }
          ]
        }
        """;

    private static bool CapFlowIn(LbTopology topo) =>
        topo.Ovs.DumpFlows(Bridge).Any(f => f.Contains("table=24", StringComparison.Ordinal) && f.Contains("priority=100", StringComparison.Ordinal) && f.EndsWith("actions=drop", StringComparison.Ordinal));

    private static int Learned(LbTopology topo) =>
        topo.Ovs.DumpFlows(Bridge).Count(f => f.StartsWith("cookie=0x4c42ff", StringComparison.Ordinal) && f.Contains(" table=21,", StringComparison.Ordinal));

    [Test]
    public void At_the_cap_new_connections_are_dropped_pinned_ones_go_on_and_it_clears_below_the_low_water_mark()
    {
        var spec = new TopologySpec().Bridge(Bridge, 0x67).Host("cpc", Bridge, 1, "10.67.0.2/24", mac: "02:00:00:00:67:02");
        foreach (var b in Hosts) spec.Host(b, Bridge, (uint)(10 + (b[^1] - '0')), Ip(b) + "/24", mac: Mac(b));
        using var topo = LbTopology.Start(spec, t =>
        {
            foreach (var b in Hosts)
            {
                t.Host(b).HoldVip(Vip);
                t.Track(EchoServer.Start(t.Host(b).Namespace, b, 80, bind: Vip));
            }
        });
        var client = topo.Host("cpc").Namespace;
        var live = LiveLoadBalancer.Start(topo, Config());
        try
        {
            // 50 connections: 40 to close later, 10 to keep.
            using var closing = HeldConnections.Open(client, Vip, 80, TrafficRequest.PortRange(45000, 40));
            using var kept = HeldConnections.Open(client, Vip, 80, TrafficRequest.PortRange(45100, 10));
            var pinned = closing.Opened.Concat(kept.Opened).ToList();
            Assert.That(pinned.Where(a => !a.Ok), Is.Empty, "the first 50 connections open");

            string? reached = live.Log.WaitFor(Patience, "connection cap reached");
            Assert.That(reached, Is.Not.Null, "the cap-reached line is logged");
            Assert.That(ProcessRunner.WaitUntil(() => CapFlowIn(topo), Patience), Is.True, "pick's group flow is replaced by a drop");
            TestContext.Out.WriteLine(reached);

            // 30 more: their SYNs are dropped, so they time out.
            using var refused = HeldConnections.Open(client, Vip, 80, TrafficRequest.PortRange(45200, 30), timeout: TimeSpan.FromSeconds(2));
            var again = closing.Round().Concat(kept.Round()).ToList();
            var byPort = pinned.ToDictionary(a => a.SourcePort, a => a.Backend);
            var counts = live.Lb.ConnectionCounts.Values.Single();
            TestContext.Out.WriteLine($"80 opened: {pinned.Count(a => a.Ok) + refused.Opened.Count(a => a.Ok)} work ({refused.Opened.Count(a => a.Ok)} of the 30 after the cap; " +
                $"their error: {string.Join(", ", refused.Opened.Select(a => a.Error).Distinct().Take(2))}); pinned round: {again.Count(a => a.Ok)} of 50 answered by their backend; " +
                $"counted {counts.Entries} entries, capped {counts.Capped}; {Learned(topo)} learned flows in table 21");
            Assert.Multiple(() =>
            {
                Assert.That(refused.Opened.Where(a => a.Ok), Is.Empty, "no connection opens while the cap is reached");
                Assert.That(again.Where(a => !a.Ok || a.Backend != byPort[a.SourcePort]), Is.Empty, "the pinned connections keep exchanging data with their backend");
                Assert.That(counts, Is.EqualTo(new Balancer.ConnectionCount(Bridge, Cap, true)));
                Assert.That(Learned(topo), Is.EqualTo(Cap), "nothing was learned past the cap");
                Assert.That(live.Log.Lines.Count(l => l.Contains("connection cap reached", StringComparison.Ordinal)), Is.EqualTo(1), "logged once");
            });

            // Close 40: their entries go 2 s after the FIN; 10 < 47 clears the cap.
            closing.Dispose();
            string? cleared = live.Log.WaitFor(Patience, "connection cap cleared");
            Assert.That(cleared, Is.Not.Null, "the cleared line is logged");
            TestContext.Out.WriteLine(cleared);
            Assert.That(ProcessRunner.WaitUntil(() => !CapFlowIn(topo), Patience), Is.True, "the group flow is back");
            using var later = HeldConnections.Open(client, Vip, 80, TrafficRequest.PortRange(45300, 10));
            var keptRound = kept.Round();
            Assert.Multiple(() =>
            {
                Assert.That(later.Opened.Where(a => !a.Ok), Is.Empty, "new connections succeed again");
                Assert.That(keptRound.Where(a => !a.Ok || a.Backend != byPort[a.SourcePort]), Is.Empty, "the kept connections never noticed");
                Assert.That(live.Log.Lines.Count(l => l.Contains("connection cap cleared", StringComparison.Ordinal)), Is.EqualTo(1), "logged once");
                Assert.That(live.Log.Lines.Count(l => l.Contains("connection cap reached", StringComparison.Ordinal)), Is.EqualTo(1), "not reached again");
                Assert.That(live.PacketIns, Is.Zero);
            });
        }
        finally
        {
            live.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(20));
        }
    }
}
