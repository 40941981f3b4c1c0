using OvsLb.Pipeline.Tests.Live;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Hairpin in both NAT modes: a backend connecting to its own service's VIP. When the group picks the backend
/// itself, nat mode also rewrites the source to the VIP (zone Z+1; the backend's stack would drop a packet from
/// its own address) and fullnat to the snatIp; the connection leaves by the port it came in on, and so do its
/// replies. Counted by the backends' echo servers: every connection is answered, some by the asking backend itself.
/// </summary>
public sealed class NatHairpinTrafficTests
{
    private const string Vip = "10.67.0.100";
    private static readonly string[] Hosts = ["b1", "b2"];
    private static string Ip(string b) => $"10.67.0.1{b[1]}";

    private static string Config(string mode, string bridge) => $$"""
        {
          "bridges": [ { "name": "{{bridge}}", "datapathId": "0x67", "lbMac": "02:00:00:00:67:fe", "snatIp": "10.67.0.250" } ],
          "services": [
            { "name": "web", "vip": "{{Vip}}", "protocol": "tcp", "port": 80, "mode": "{{mode}}",
              "backends": [ {{string.Join(", ", Hosts.Select(b => $$"""{ "name": "{{b}}", "ip": "{{Ip(b)}}", "targetPort": 8080 }"""))}} ] }
          ]
        }
        """;

    [TestCase("nat")]
    [TestCase("fullnat")]
    public async Task A_backend_reaches_its_own_vip(string mode)
    {
        string bridge = "ovslb-hp" + mode[0];
        var spec = new TopologySpec().Bridge(bridge, 0x67).Host("client", bridge, 1, "10.67.0.2/24");
        foreach (var b in Hosts) spec.Host(b, bridge, (uint)(10 + (b[1] - '0')), Ip(b) + "/24");
        using var topo = LbTopology.Start(spec, t =>
        {
            foreach (var b in Hosts) t.Track(EchoServer.Start(t.Host(b).Namespace, b, 8080));
        });
        await using var live = LiveLoadBalancer.Start(topo, Config(mode, bridge));
        using var fromB1 = HeldConnections.Open(topo.Host("b1").Namespace, Vip, 80, TrafficRequest.PortRange(44000, 60));
        using var fromClient = HeldConnections.Open(topo.Host("client").Namespace, Vip, 80, TrafficRequest.PortRange(44000, 20));
        var answers = fromB1.Opened;
        var again = fromB1.Round();
        string tally = string.Join(", ", answers.Where(a => a.Ok).GroupBy(a => a.Backend).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))
            + $", {answers.Count(a => !a.Ok)} failed{(answers.FirstOrDefault(a => !a.Ok) is { } f ? $" (first: {f.Error})" : "")}";
        var peers = answers.Where(a => a.Ok && a.Backend == "b1").Select(a => a.Peer?.Split(':')[0]).Distinct().ToList();
        TestContext.Out.WriteLine($"{mode}: 60 connections from b1 to {Vip}:80: {tally}; b1's own server saw them from {string.Join(", ", peers)}");
        Assert.Multiple(() =>
        {
            Assert.That(answers.Count(a => a.Ok), Is.EqualTo(60), tally);
            Assert.That(answers.Count(a => a.Backend == "b1"), Is.GreaterThan(0), "some connections hairpin to b1 itself: " + tally);
            Assert.That(answers.Count(a => a.Backend == "b2"), Is.GreaterThan(0), tally);
            Assert.That(again.Where(a => !a.Ok || answers.Single(x => x.SourcePort == a.SourcePort).Backend != a.Backend), Is.Empty,
                "a second request on each held connection reaches the same backend");
            Assert.That(peers, Is.EqualTo(new[] { mode == "nat" ? Vip : "10.67.0.250" }),
                "the hairpinned backend sees the VIP (nat) or the snatIp (fullnat) as its peer, never itself");
            Assert.That(fromClient.Opened.Count(a => a.Ok), Is.EqualTo(20), "other clients are served as before");
        });
    }
}
