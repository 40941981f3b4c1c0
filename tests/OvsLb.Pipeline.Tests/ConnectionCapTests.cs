using OvsLb.Balancer;
using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Planning;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// <c>options.maxConnections</c> without OVS: what the planner makes of a capped bridge (pick's group flow becomes a
/// drop, the affinity lookup goes, NAT services and stateless ones stay as they were), and how <see cref="ConnectionCap"/>
/// counts (table 21's active count minus the controller's own flow there), with its hysteresis and its log lines.
/// The same with real packets: ConnectionCapTrafficTests.
/// </summary>
public sealed class ConnectionCapTests
{
    private const string Json = """
        {
          "options": { "maxConnections": "unlimited" },
          "bridges": [ { "name": "br-lb", "lbMac": "02:00:00:00:00:fe", "uplink": 1 } ],
          "services": [
            { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct", "affinity": { "timeout": 60 },
              "backends": [ { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 } ] },
            { "name": "flat", "vip": "10.0.0.101", "port": 80, "mode": "direct", "persistence": "none",
              "backends": [ { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 } ] },
            { "name": "api", "vip": "10.0.0.102", "port": 80, "mode": "nat",
              "backends": [ { "name": "n1", "ip": "10.0.0.21", "mac": "02:00:00:00:00:21", "port": 11, "targetPort": 8080 } ] }
          ]
        }
        """;

    private static LoadBalancerConfig Config(int? max)
    {
        var r = ConfigLoader.Parse(Json);
        Assert.That(r.IsValid, Is.True, string.Join("; ", r.Errors));
        return r.Config! with { Options = r.Config!.Options with { MaxConnections = max } };
    }

    /// <summary>The bridge with the golden direct scenario's ports (uplink 1, backends on 11..13), all up.</summary>
    private static SwitchInfo Switch()
    {
        var s = Scenario.Load("direct");
        var view = s.View(s.Config.Bridges[0]);
        return new SwitchInfo(view.DatapathId, view.BridgeName, view.Ports);
    }

    [Test]
    public void A_capped_bridge_drops_new_connections_of_the_services_that_learn_them_only()
    {
        var config = Config(null);
        var open = BridgePlanner.Plan(PlanInputs.Assemble(config, BuildSettings.Default, Switch(), null)).Plan.State.FlowLines();
        var capped = BridgePlanner.Plan(PlanInputs.Assemble(config, BuildSettings.Default, Switch(), null) with { ConnectionsCapped = true }).Plan.State.FlowLines();
        var removed = open.Except(capped).ToList();
        var added = capped.Except(open).ToList();
        TestContext.Out.WriteLine("- " + string.Join("\n- ", removed) + "\n+ " + string.Join("\n+ ", added));
        Assert.Multiple(() =>
        {
            Assert.That(removed, Has.Count.EqualTo(2));
            Assert.That(added, Has.Count.EqualTo(2));
            Assert.That(removed, Has.One.Match(@"table=24, priority=100,tcp,nw_dst=10\.0\.0\.100,tp_dst=80 actions=group:"));
            Assert.That(added, Has.One.Match(@"table=24, priority=100,tcp,nw_dst=10\.0\.0\.100,tp_dst=80 actions=drop$"));
            Assert.That(removed, Has.One.Match(@"table=20, .*nw_dst=10\.0\.0\.100,tp_dst=80 actions=resubmit\(,21\),resubmit\(,25\),resubmit\(,23\),resubmit\(,24\)$"));
            Assert.That(added, Has.One.Match(@"table=20, .*nw_dst=10\.0\.0\.100,tp_dst=80 actions=resubmit\(,21\),resubmit\(,25\),resubmit\(,24\)$"));
        });
    }

    [TestCase(1, 1)]
    [TestCase(2, 1)]
    [TestCase(50, 47)]
    [TestCase(100_000, 95_000)]
    public void The_cap_clears_below_95_percent_and_always_can(int max, int low) =>
        Assert.That(LoadBalancerOptions.Default with { MaxConnections = max }, Has.Property(nameof(LoadBalancerOptions.ConnectionCapLowWater)).EqualTo(low));

    [Test]
    public async Task The_count_reaches_the_cap_once_and_clears_below_95_percent()
    {
        var config = Config(50);
        var sw = new RecordingSwitch(Switch());
        await using var lb = new LoadBalancer(config);
        var state = lb.GetDesiredState(sw.Info, SwitchState.Empty);
        lb.OnReconciled(sw, state);
        int own = state.Flows.Values.Count(f => f.TableId == LbPipeline.Connections.Id);
        Assert.That(own, Is.EqualTo(1), "the controller's default flow in table 21");

        var log = new RecordingLoggerProvider();
        int replans = 0;
        var cap = new ConnectionCap(() => [sw], () => config, d => lb.Plans.GetValueOrDefault(d), () => replans++, log.CreateLogger("cap"));
        var seen = new List<(int Entries, bool Capped, int Replans)>();
        foreach (int entries in new[] { 49, 50, 60, 48, 47, 46, 50 })
        {
            sw.TableCounts[LbPipeline.Connections.Id] = (uint)(entries + own);
            await cap.PollAllAsync(CancellationToken.None);
            var c = cap.Counts[sw.DatapathId];
            seen.Add((c.Entries, c.Capped, replans));
        }
        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(new[] { (49, false, 0), (50, true, 1), (60, true, 1), (48, true, 1), (47, true, 1), (46, false, 2), (50, true, 3) }));
            Assert.That(log.Lines.Count(l => l.Contains("connection cap reached: 50 learned connection entries, options.maxConnections is 50. New connections to web are dropped", StringComparison.Ordinal)), Is.EqualTo(2));
            Assert.That(log.Lines.Count(l => l.Contains("connection cap cleared: 46 learned connection entries, below 47", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(log.Lines, Has.Count.EqualTo(3));
        });

        // No cap any more (a reload to "unlimited"): it clears at the next count.
        config = Config(null);
        await cap.PollAllAsync(CancellationToken.None);
        Assert.That(cap.IsCapped(sw.DatapathId), Is.False);
        Assert.That(log.Lines.Last(), Does.Contain("connection cap cleared: options.maxConnections is now unlimited (50 learned connection entries)"));
    }
}
