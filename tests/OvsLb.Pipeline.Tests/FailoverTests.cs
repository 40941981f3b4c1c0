using System.Globalization;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Failover measurement: a steady stream of new connections to a direct-mode VIP,
/// then one backend's switch port is taken down. Two times are measured from the moment the port is
/// set down: (a) until no new connection goes to that backend any more — the datapath skipping the
/// dead port's buckets by <c>watch_port</c>, before the controller does anything; (b) until the
/// controller's re-planned group (no bucket watching that port) is installed in the switch. The
/// issue's targets are 100 ms and 1 s; the asserts are sanity bounds only (1 s and 5 s) and the
/// figures go to README.md ("Load-balancer pipeline: failover and health").
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class FailoverTests
{
    private const string Vip = "10.31.0.100";
    private const ulong Dpid = 0x9101;
    private static readonly string[] Backends = ["b1", "b2", "b3"];
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    private const string Config = """
        {
          "bridges": [ { "name": "br-fo", "datapathId": "0x9101", "lbMac": "02:00:00:00:31:fe" } ],
          "services": [
            {
              "name": "web", "vip": "10.31.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
              "backends": [
                { "name": "b1", "ip": "10.31.0.11", "mac": "02:00:00:00:31:11", "port": "b1" },
                { "name": "b2", "ip": "10.31.0.12", "mac": "02:00:00:00:31:12", "port": "b2" },
                { "name": "b3", "ip": "10.31.0.13", "mac": "02:00:00:00:31:13", "port": "b3" }
              ]
            }
          ]
        }
        """;

    /// <summary>
    /// What one run measured, in milliseconds from the moment <c>ip link set PORT down</c> returned (the kernel has
    /// the link down then; the command itself, whose time is <paramref name="CommandMs"/>, is not counted, so a
    /// connection started while it ran shows as a negative time).
    /// </summary>
    /// <param name="LastToDead">Start of the last connection that went to the dead backend (answered by it, or lost), or null when none after the port went down.</param>
    /// <param name="FirstAfter">How many connections started in the first 100 ms after the port went down, and how many of them went elsewhere and succeeded.</param>
    private sealed record Run(string Backend, double? LastToDead, int Within100, int Within100Ok, double? PortStatus, double? GroupInstalled, int Failed, int Connections, double CommandMs)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Backend} down: last connection to it started at {(LastToDead is double d ? Ms(d) : "(none after the command started)")}; " +
            $"{Within100Ok} of {Within100} connections started in the first 100 ms succeeded elsewhere; " +
            $"PORT_STATUS logged {Ms(PortStatus)}; group without it installed {Ms(GroupInstalled)}; {Failed} of {Connections} connections failed (ip link took {CommandMs:0} ms)");

        public static string Ms(double? x) => x is double v ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v) + 0.0:+0;-0;0} ms") : "never";
    }

    private static LbTopology Build()
    {
        var spec = new TopologySpec().Bridge("br-fo", Dpid).Host("client", "br-fo", 1, "10.31.0.2/24");
        for (int i = 0; i < Backends.Length; i++) spec.Host(Backends[i], "br-fo", (uint)(i + 2), $"10.31.0.1{i + 1}/24", mac: $"02:00:00:00:31:1{i + 1}");
        return LbTopology.Start(spec, topo =>
        {
            foreach (var b in Backends)
            {
                topo.Host(b).HoldVip(Vip);
                topo.Host(b).StartServer(80);
            }
        });
    }

    [Test]
    public async Task New_connections_leave_a_dead_port_in_the_datapath_and_the_controller_rebalances_within_a_second()
    {
        using var topo = Build();
        await using var live = LiveLoadBalancer.Start(topo, Config);
        var session = live.Session("br-fo");
        var runs = new List<Run>();
        foreach (var (name, port) in new[] { ("b1", 2u), ("b2", 3u), ("b3", 4u), ("b1", 2u), ("b2", 3u) })
        {
            double installed = double.NaN;
            var run = Measure(topo, live, name, () =>
            {
                bool ok = ProcessRunner.WaitUntil(() =>
                {
                    if (WatchesPort(session.Installed, port)) return false;
                    installed = TrafficStream.Now();
                    return true;
                }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1));
                Assert.That(ok, Is.True, $"the controller removes {name}'s buckets:\n{live.LogTail()}");
                Assert.That(live.Buckets("br-fo").Where(b => b.WatchPort == port), Is.Empty, "and OVS holds that group");
                return installed;
            });
            runs.Add(run);
            Assert.That(run.GroupInstalled, Is.LessThan(5000), "sanity bound on the controller's rebalance (target 1 s)");
            topo.SetSwitchPort(name, up: true);
            Assert.That(live.WaitForBuckets("br-fo", b => b.Any(x => x.WatchPort == port), TimeSpan.FromSeconds(10)), Is.True, $"{name} rejoins");
        }
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{runs.Count} runs: {runs.Sum(r => r.Within100Ok)} of {runs.Sum(r => r.Within100)} connections started within 100 ms of a port going down succeeded on another backend; " +
            $"last connection to the dead backend: at most {Run.Ms(runs.Select(r => r.LastToDead).Max())}; " +
            $"controller group installed: median {Median(runs.Select(r => r.GroupInstalled!.Value)):0} ms, max {runs.Max(r => r.GroupInstalled!.Value):0} ms " +
            $"(from the start of the ip command: median {Median(runs.Select(r => r.GroupInstalled!.Value + r.CommandMs)):0} ms, max {runs.Max(r => r.GroupInstalled!.Value + r.CommandMs):0} ms); " +
            $"PORT_STATUS logged: median {Run.Ms(Median(runs.Select(r => r.PortStatus ?? double.NaN)))}"));
    }

    /// <summary>
    /// The datapath alone: with the controller gone (fail_mode=secure keeps the flows and the group as they
    /// were), a port going down still takes its backend out of new connections — OVS skips the buckets whose
    /// watch_port is down — although the group still lists them.
    /// </summary>
    [Test]
    public async Task Without_the_controller_watch_port_alone_keeps_new_connections_off_a_dead_port()
    {
        using var topo = Build();
        var live = LiveLoadBalancer.Start(topo, Config);
        await live.DisposeAsync();
        Assert.That(ProcessRunner.WaitUntil(() => !topo.Ovs.ControllerConnected("br-fo"), TimeSpan.FromSeconds(10)), Is.True, "the controller is gone");
        var run = Measure(topo, null, "b2", () => double.NaN);
        Assert.That(live.Buckets("br-fo").Count(b => b.WatchPort == 3), Is.GreaterThan(0), "the group still has b2's buckets: only the datapath skipped them");
        TestContext.Out.WriteLine("without a controller: " + run);
    }

    /// <summary>
    /// One failover: a stream of new connections (one every <see cref="Interval"/>), backend
    /// <paramref name="name"/>'s switch port set down, <paramref name="waitForController"/> (returns when
    /// the controller's group was installed, or NaN), one more second of connections, then the checks.
    /// </summary>
    private static Run Measure(LbTopology topo, LiveLoadBalancer? live, string name, Func<double> waitForController)
    {
        using var stream = TrafficStream.Start(topo.Host("client").Namespace, Vip, 80, Interval, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30));
        Assert.That(stream.WaitForConnections(100, TrafficStream.Now(), TimeSpan.FromSeconds(10)), Is.True, "the stream runs: " + stream.Output);

        double t0 = TrafficStream.Now();
        topo.SetSwitchPort(name, up: false);
        double commandDone = TrafficStream.Now();
        double installed = waitForController();
        Assert.That(stream.WaitForConnections(150, double.IsNaN(installed) ? commandDone : installed, TimeSpan.FromSeconds(10)), Is.True);
        var conns = stream.Stop();

        double down = commandDone;
        var after = conns.Where(c => c.Started >= t0).ToList();
        var toDead = after.Where(c => !c.Ok || c.Backend == name).ToList();
        var first100 = after.Where(c => c.Started >= down && c.Started < down + 0.1).ToList();
        double? portStatus = live?.Log.FirstTime($"({name})", t0) is double p ? (p - down) * 1000 : null;
        var run = new Run(name, toDead.Count > 0 ? (toDead.Max(c => c.Started) - down) * 1000 : null, first100.Count, first100.Count(c => c.Ok && c.Backend != name),
            portStatus, double.IsNaN(installed) ? null : (installed - down) * 1000, conns.Count(c => !c.Ok), after.Count, (commandDone - t0) * 1000);
        TestContext.Out.WriteLine(run);
        Assert.Multiple(() =>
        {
            Assert.That(conns.Where(c => !c.Ok && c.Started < t0 - 1), Is.Empty, "no failure before the port went down");
            Assert.That(after.Where(c => c.Ok && c.Backend == name && c.Started > commandDone), Is.Empty, $"nothing reaches {name} once its port is down");
            Assert.That(after.Where(c => c.Ok && c.Started > commandDone).Select(c => c.Backend).Distinct(), Is.EquivalentTo(Backends.Where(b => b != name)), "the others take the load");
            Assert.That(run.LastToDead ?? 0, Is.LessThan(1000), "sanity bound on the datapath's failover (target 100 ms)");
        });
        return run;
    }

    private static bool WatchesPort(SwitchState? installed, uint port) =>
        installed is null || installed.Groups.Values.Any(g => g.Type == GroupType.Select && g.Buckets.Any(b => b.WatchPort == port));

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
