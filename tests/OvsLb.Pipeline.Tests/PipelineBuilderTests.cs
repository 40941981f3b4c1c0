using OvsLb.Pipeline.Flows;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>The pure builder's decisions: liveness, rebalancing, ARP answering, stable ids, slot memory.</summary>
public sealed class PipelineBuilderTests
{
    private static (Scenario S, BridgeConfig B) Direct()
    {
        var s = Scenario.Load("direct");
        return (s, s.Config.Bridges[0]);
    }

    private static ServicePlan Only(BridgePlan p) => p.Services.Single();

    [Test]
    public void PortDownTakesTheBackendOutOfEveryBucketAndKeepsTheOthersSlots()
    {
        var (s, b) = Direct();
        var all = PipelineBuilder.Build(s.Config, s.View(b));
        var keysBefore = Only(all).SlotKeys;
        var view = s.View(b, up: no => no != 12) with { PreviousSlots = new Dictionary<string, IReadOnlyList<string?>> { ["web"] = keysBefore.ToArray() } };
        var down = PipelineBuilder.Build(s.Config, view);
        var keysAfter = Only(down).SlotKeys;
        Assert.That(Only(down).LiveBackends.Select(x => x.Name), Is.EqualTo(new[] { "s1", "s3" }));
        Assert.That(keysAfter, Does.Not.Contain("02:00:00:00:00:12"));
        int moved = keysBefore.Zip(keysAfter).Count(p => p.First != p.Second);
        int owned = keysBefore.Count(k => k == "02:00:00:00:00:12");
        Assert.That(moved, Is.EqualTo(owned), "only the dead backend's buckets move");
        var group = down.State.Groups.Values.Single();
        Assert.That(group.Buckets.Any(x => x.WatchPort == 12), Is.False);
    }

    [Test]
    public void WeightsSetTheShareOfBuckets()
    {
        var (s, b) = Direct();
        var keys = Only(s.Build(b)).SlotKeys;
        // s3 has weight 2 of 4: half of 256 buckets.
        Assert.That(keys.Count(k => k == "02:00:00:00:00:13"), Is.EqualTo(128));
        Assert.That(keys.Count(k => k == "02:00:00:00:00:11"), Is.EqualTo(64));
    }

    [Test]
    public void AllBackendsDownStopsTheArpAnswerUnlessConfiguredOtherwise()
    {
        var (s, b) = Direct();
        var none = PipelineBuilder.Build(s.Config, s.View(b, up: no => no == 1));
        Assert.That(Only(none).Answered, Is.False);
        Assert.That(none.State.Groups, Is.Empty);
        Assert.That(none.State.FlowLines(), Has.None.Contains("arp_tpa=10.0.0.100"));
        Assert.That(none.State.FlowLines(), Has.None.Contains("tp_dst=80"));

        var keep = s.Config with { Options = s.Config.Options with { StopArpWhenAllDown = false } };
        var answered = PipelineBuilder.Build(keep, s.View(b, up: no => no == 1));
        Assert.That(answered.State.FlowLines(), Has.Some.Contains("arp_tpa=10.0.0.100"));
    }

    [Test]
    public void HealthDownIsLikePortDown()
    {
        var (s, b) = Direct();
        var p = PipelineBuilder.Build(s.Config, s.View(b, down: new HashSet<string> { "web/s1" }));
        Assert.That(Only(p).LiveBackends.Select(x => x.Name), Is.EqualTo(new[] { "s2", "s3" }));
    }

    [Test]
    public void AMissingPortNameIsReportedAndTheBackendIsDown()
    {
        var (s, b) = Direct();
        var view = s.View(b);
        var ports = view.Ports.Where(kv => kv.Key != 13).ToDictionary();
        var p = PipelineBuilder.Build(s.Config, view with { Ports = ports });
        Assert.That(p.Warnings, Has.Some.Contains("backend 's3'").And.Contains("has no port 13"));
        Assert.That(Only(p).LiveBackends.Select(x => x.Name), Is.EqualTo(new[] { "s1", "s2" }));
    }

    [Test]
    public void AnUnconfiguredBridgeGetsNothing()
    {
        var (s, b) = Direct();
        var p = PipelineBuilder.Build(s.Config, s.View(b) with { DatapathId = 0x99, BridgeName = "other" });
        Assert.That(p.Bridge, Is.Null);
        Assert.That(p.State.Flows, Is.Empty);
    }

    [Test]
    public void GroupIdsAreStableWhenServicesAreAddedOrReordered()
    {
        var s = Scenario.Load("translate");
        var ids = PipelineBuilder.AssignGroupIds(s.Config, 0x1000_0000, 0x1fff_ffff);
        var reordered = s.Config with { Services = s.Config.Services.Reverse().ToArray() };
        Assert.That(PipelineBuilder.AssignGroupIds(reordered, 0x1000_0000, 0x1fff_ffff), Is.EqualTo(ids));
        var extra = s.Config.Services[0] with { Name = "zzz", Port = 9999 };
        var more = PipelineBuilder.AssignGroupIds(s.Config with { Services = [.. s.Config.Services, extra] }, 0x1000_0000, 0x1fff_ffff);
        Assert.That(more["api"], Is.EqualTo(ids["api"]));
        Assert.That(more["dns"], Is.EqualTo(ids["dns"]));
        // A tiny range forces collisions: still distinct.
        var tiny = PipelineBuilder.AssignGroupIds(s.Config with { Services = [.. s.Config.Services, extra] }, 7, 9);
        Assert.That(tiny.Values.Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public void SlotsRecoveredFromTheInstalledGroupRebuildTheSameGroup()
    {
        foreach (var name in new[] { "direct", "translate", "portgroup", "udp" })
        {
            var s = Scenario.Load(name);
            var b = s.Config.Bridges[0];
            var plan = s.Build(b);
            foreach (var sp in plan.Services)
            {
                // A UDP service has no select group: its slot flows (and their fast-failover groups) carry the table.
                var g = SlotFlows.UsesSlots(sp.Service)
                    ? SlotFlows.RecoverTable(sp.Service, plan.State, BuildSettings.Default.Cookies, s.Config.Options.Buckets)!
                    : plan.State.Groups[sp.GroupId];
                var recovered = PipelineBuilder.RecoverSlots(sp.Service, g, s.Config.Options);
                Assert.That(recovered, Is.EqualTo(sp.SlotKeys), $"{name}/{sp.Service.Name}");
            }
        }
    }

    /// <summary>
    /// A UDP service keeps its slot table in its slot flows (and their fast-failover groups): a controller that
    /// restarts after a change (a slot table with history, not a fresh one) reads the same table back from them.
    /// </summary>
    [Test]
    public void UdpSlotsRecoveredFromTheInstalledSlotFlowsAfterAChangeRebuildTheSameState()
    {
        var s = Scenario.Load("udp");
        var b = s.Config.Bridges[0];
        var first = s.Build(b);
        var slots = first.Services.ToDictionary(p => p.Service.Name, p => (IReadOnlyList<string?>)p.SlotKeys);
        var view = s.View(b, down: new HashSet<string> { "dns/s2", "syslog/s1" }) with { PreviousSlots = slots };
        var changed = PipelineBuilder.Build(s.Config, view);
        var recovered = new Dictionary<string, IReadOnlyList<string?>>(StringComparer.Ordinal);
        Planning.BridgePlanner.RecoverSlots(s.Config, BuildSettings.Default, changed.State, recovered);
        Assert.Multiple(() =>
        {
            foreach (var sp in changed.Services) Assert.That(recovered[sp.Service.Name], Is.EqualTo(sp.SlotKeys), sp.Service.Name);
            var again = PipelineBuilder.Build(s.Config, s.View(b, down: new HashSet<string> { "dns/s2", "syslog/s1" }) with { PreviousSlots = recovered });
            Assert.That(Scenario.FlowLines(again.State), Is.EqualTo(Scenario.FlowLines(changed.State)), "the same slot flows after the restart");
            Assert.That(Scenario.GroupLines(again.State), Is.EqualTo(Scenario.GroupLines(changed.State)), "the same fast-failover groups");
        });
    }

    [Test]
    public void AddingABackendMovesOnlyItsShare()
    {
        var (s, b) = Direct();
        var svc = s.Config.Services[0];
        var smaller = s.Config with { Services = [svc with { Backends = svc.Backends.Take(2).ToArray() }] };
        var before = Only(PipelineBuilder.Build(smaller, s.View(b))).SlotKeys;
        var view = s.View(b) with { PreviousSlots = new Dictionary<string, IReadOnlyList<string?>> { ["web"] = before.ToArray() } };
        var after = Only(PipelineBuilder.Build(s.Config, view)).SlotKeys;
        int moved = before.Zip(after).Count(p => p.First != p.Second);
        Assert.That(moved, Is.EqualTo(after.Count(k => k == "02:00:00:00:00:13")), "only the buckets the new backend takes change");
    }

    [Test]
    public void TranslateBucketsCarryTheFakeMacOfTheBackendIp()
    {
        var s = Scenario.Load("translate");
        var plan = s.Build(s.Config.Bridges[0]);
        var api = plan.Services.Single(x => x.Service.Name == "api");
        // With persistence (the default) a bucket names its backend in reg1; pick's flow for it sets the fake MAC.
        var tags = plan.State.Groups[api.GroupId].Buckets.Select(x => (uint)((RegLoadAction)x.Actions[0]).Value).ToHashSet();
        var macs = plan.State.Flows.Values
            .Where(f => f.TableId == LbPipeline.Pick.Id && f.Match.Fields.Any(e => e.Field?.Id == LbPipeline.BackendRegister && tags.Contains((uint)e.Value)))
            .Select(f => f.Instructions.OfType<ApplyActionsInstruction>().Single().Actions.OfType<SetFieldAction>().Single(a => a.Field.Field?.Id == MfId.EthDst).Field.Value)
            .Select(v => (ulong)v).Order().ToArray();
        Assert.That(macs, Is.EqualTo(new ulong[] { 0xaabb_0a01_000bUL, 0xaabb_0a01_000cUL, 0xaabb_0a02_000dUL }));
    }

    [Test]
    public void PortGroupServersOtherArpIsDroppedBelowTheirGatewayAnswerAndHealthReplies()
    {
        var s = Scenario.Load("portgroup");
        var b = s.Config.Bridges[0];
        var arpFlows = s.Build(b).State.Flows.Values.Where(f => f.TableId == LbPipeline.Arp.Id).ToList();
        var isolation = arpFlows.Where(f => f.Priority == LbPipeline.Priority.PortGroupArpIsolation).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(isolation.Select(f => f.Text), Is.EquivalentTo(new[] { 2, 3, 4 }.Select(p => $"cookie=0x4c4207000000000{p}, table=10, priority=150,arp,in_port={p} actions=drop")),
                "one drop per server port, for any ARP the gateway answer and the health replies do not take");
            Assert.That(LbPipeline.Priority.PortGroupArpIsolation, Is.LessThan(LbPipeline.Priority.PortGroupGatewayResponder));
            Assert.That(LbPipeline.Priority.PortGroupArpIsolation, Is.LessThan(LbPipeline.Priority.HealthReply), "health-check replies from servers still reach the controller");
            Assert.That(LbPipeline.Priority.PortGroupArpIsolation, Is.LessThan(LbPipeline.Priority.GatewayLearn));
        });
        var noGateway = s.Config with { Bridges = [b with { Gateways = [] }] };
        Assert.That(PipelineBuilder.Build(noGateway, s.View(b)).State.Flows.Values.Where(f => f.Priority == LbPipeline.Priority.PortGroupArpIsolation && f.TableId == LbPipeline.Arp.Id),
            Is.Empty, "without a gateway the servers must resolve the real router themselves");
    }

    [Test]
    public void ArpCheckRepliesReachTheControllerOnTheBackendsOwnBridgeEvenIfItDoesNotCarryTheService()
    {
        var s = Scenario.Load("distributed");
        var svc = s.Config.Services[0] with { Bridges = ["br-host1"], HealthCheck = HealthCheckConfig.Default with { Kind = HealthCheckKind.Arp } };
        var config = s.Config with { Services = [svc] };
        var host2 = config.Bridges.Single(b => b.Name == "br-host2");
        var plan = PipelineBuilder.Build(config, s.View(host2));
        Assert.That(plan.State.FlowLines(), Has.Some.Contains("arp_op=2 actions=CONTROLLER:128"), "h2-web's probe leaves from br-host2, its own bridge");
        Assert.That(plan.State.Groups, Is.Empty, "br-host2 does not balance the service");
    }

    [Test]
    public void ADistributedBridgeLeavesVipArpFromItsUplinkUnanswered()
    {
        var s = Scenario.Load("distributed");
        var lines = s.Build(s.Config.Bridges[0]).State.FlowLines();
        Assert.That(lines, Has.Some.Contains("priority=310,arp,in_port=1,arp_tpa=10.0.0.100,arp_op=1 actions=NORMAL"));
        var standalone = s.Config with { Bridges = s.Config.Bridges.Select(b => b with { Role = BridgeRole.Standalone }).ToArray() };
        var b1 = standalone.Bridges[0];
        Assert.That(PipelineBuilder.Build(standalone, s.View(b1)).State.FlowLines(), Has.None.Contains("priority=310"));
    }

    [Test]
    public void AnUplinkTheSwitchDoesNotHaveIsReported()
    {
        var (s, b) = Direct();
        var view = s.View(b);
        var p = PipelineBuilder.Build(s.Config, view with { Ports = view.Ports.Where(kv => kv.Key != 1).ToDictionary() });
        Assert.That(p.Warnings, Has.Some.Contains("uplink port 1 does not exist"));
    }

    [Test]
    public void ABackendWhoseWeightBuysNoBucketIsReported()
    {
        var (s, b) = Direct();
        var svc = s.Config.Services[0];
        var skewed = s.Config with { Options = s.Config.Options with { Buckets = 16 }, Services = [svc with { Backends = svc.Backends.Select(x => x.Name == "s1" ? x : x with { Weight = 1000 }).ToArray() }] };
        var p = PipelineBuilder.Build(skewed, s.View(b));
        Assert.That(p.Warnings, Has.Some.Contains("backend 's1': weight 1 of 2001 is less than one of 16 buckets"));
    }
}
