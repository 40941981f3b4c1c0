using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>onEmpty "reject" in the pure builder: the reject flow in every mode, the meter, the ARP answer kept.</summary>
public sealed class RejectPlanTests
{
    private static LoadBalancerConfig With(LoadBalancerConfig c, OnEmpty onEmpty) =>
        c with { Services = [.. c.Services.Select(s => s with { OnEmpty = onEmpty })] };

    private static HashSet<string> AllDown(LoadBalancerConfig c) =>
        c.Services.SelectMany(s => s.Backends.Select(b => PipelineBuilder.BackendId(s, b))).ToHashSet();

    /// <summary>The scenarios whose services may reject: onEmpty "reject" is refused on an IPv6 VIP (ConfigIpv6Tests), so
    /// the IPv6-only scenario is left out; the dual-stack one (forced to reject here, past validation) builds the reject flow on its IPv4 VIP only.</summary>
    public static IEnumerable<string> RejectingScenarios => Scenario.Names.Where(n => n != "ipv6");

    [TestCaseSource(nameof(RejectingScenarios))]
    public void Every_mode_sends_an_empty_rejecting_services_packets_through_the_meter_to_the_controller(string name)
    {
        var sc = Scenario.Load(name);
        var config = With(sc.Config, OnEmpty.Reject);
        foreach (var b in config.Bridges)
        {
            var plan = PipelineBuilder.Build(config, sc.View(b, down: AllDown(config)));
            var carried = PipelineBuilder.ServicesOn(config, b).ToList();
            if (carried.Count == 0) continue;
            Assert.That(PipelineConformance.Violations(plan.State), Is.Empty, $"{name}/{b.Name}");
            Assert.That(plan.State.Meters[1], Is.EqualTo(RejectFlows.RejectMeter(1, 100)));
            Assert.That(plan.State.MeterLines().First(), Is.EqualTo("meter=1 pktps burst stats bands= type=drop rate=100 burst_size=100"));
            // Meter 2 is the reuse flow's (renewing connection entries), there exactly when the bridge has that flow.
            Assert.That(plan.State.Meters.Keys.Order(), Is.EqualTo(RenewFlows.Needed(carried) ? new uint[] { 1, 2 } : [1]));
            foreach (var s in carried)
            {
                var sp = plan.Services.Single(p => p.Service.Name == s.Name);
                Assert.That((sp.Rejects, sp.Answered, sp.LiveBackends.Count), Is.EqualTo((true, true, 0)), $"{name}/{b.Name}/{s.Name}");
                var flow = plan.State.Flows.Values.Single(f => f.Cookie == RejectFlows.RejectFlow(BuildSettings.Default.Cookies, s, 1).Cookie);
                Assert.That(flow.Text, Does.EndWith("actions=meter:1,CONTROLLER:65535"));
                Assert.That(RejectFlows.ServiceOf(config.Services, flow.Cookie), Is.EqualTo(s));
                Assert.That(plan.State.FlowLines(), Has.Some.Contains($"arp_tpa={s.Vip}"), "the VIP stays answered");
            }
        }
    }

    [TestCaseSource(typeof(Scenario), nameof(Scenario.Names))]
    public void With_a_live_backend_or_with_drop_there_is_no_reject_flow_and_drop_has_no_meter(string name)
    {
        var sc = Scenario.Load(name);
        var reject = With(sc.Config, OnEmpty.Reject);
        var drop = With(sc.Config, OnEmpty.Drop);
        foreach (var b in sc.Config.Bridges)
        {
            var live = PipelineBuilder.Build(reject, sc.View(b));
            // The health checks' reply flows (cookie feature Health: ARP replies, NS checks' advertisements) are the only other way to the controller.
            var notHealth = live.State.Flows.Values.Where(f => CookieLayout.Feature(f.Cookie) != (byte)FlowFeature.Health).Select(f => f.Text).ToList();
            Assert.That(notHealth, Has.None.Contains("CONTROLLER").And.None.Contains("meter:"), $"{name}/{b.Name}");
            Assert.That(live.State.Meters.ContainsKey(1), Is.EqualTo(PipelineBuilder.ServicesOn(reject, b).Any()), "the reject meter stays while a service may reject");
            var dropped = PipelineBuilder.Build(drop, sc.View(b, down: AllDown(drop)));
            Assert.That(dropped.State.Meters.Keys, Is.EqualTo(RenewFlows.Needed(PipelineBuilder.ServicesOn(drop, b)) ? new uint[] { 2 } : []), "only the reuse flow's meter, if the bridge has that flow");
            Assert.That(dropped.State.FlowLines(), Has.None.Contains("meter:"));
        }
    }

    [Test]
    public void The_meter_follows_options_reject_rate_and_the_diff_adds_modifies_and_deletes_it_around_the_bundle()
    {
        var m100 = RejectFlows.RejectMeter(1, 100);
        var m5 = RejectFlows.RejectMeter(1, 5);
        var foreign = RejectFlows.RejectMeter(7, 5);
        var own = Ownership.Default;
        var add = StateDiff.Compute(SwitchState.Create([], [], [m100]), SwitchState.Empty, own);
        Assert.That((add.MeterAdds.Count, add.MeterMods.Count, add.MeterDeletes.Count, add.IsEmpty), Is.EqualTo((1, 0, 0, false)));
        Assert.That(add.MeterMessagesBefore().Single(), Is.EqualTo(m100.ToAdd()));
        Assert.That(add.ToMessages(), Is.Empty, "meters never go in the bundle");
        var mod = StateDiff.Compute(SwitchState.Create([], [], [m5]), SwitchState.Create([], [], [m100, foreign]), own);
        Assert.That(mod.MeterMessagesBefore().Single(), Is.EqualTo(m5.ToModify()));
        Assert.That(mod.MeterDeletes, Is.Empty, "meter 7 is not ours");
        var del = StateDiff.Compute(SwitchState.Empty, SwitchState.Create([], [], [m100, foreign]), own);
        Assert.That(del.MeterMessagesAfter().Single(), Is.EqualTo(new MeterMod { Command = MeterModCommand.Delete, MeterId = 1 }));
        Assert.That(StateDiff.Apply(SwitchState.Create([], [], [m100, foreign]), SwitchState.Empty, own).Meters.Keys, Is.EqualTo(new[] { 7u }));
        Assert.That(StateDiff.Compute(SwitchState.Create([], [], [m100]), SwitchState.Create([], [], [m100]), own).IsEmpty, Is.True);
    }
}

/// <summary>The reject meter and flow as OVS 3.1 itself decodes their bytes (<c>ovs-ofctl -O OpenFlow13 ofp-print HEX</c>).</summary>
[Category("Ovs")]
public sealed class RejectEncodingOvsTests
{
    private static string OfpPrint(OvsLb.OpenFlow.Messages.OfpMessage m) =>
        OvsLb.Testing.ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "ofp-print", Convert.ToHexString(OvsLb.OpenFlow.Messages.OfpEncoder.ToArray(m with { Xid = 5 }))]).EnsureSuccess().Stdout;

    [Test]
    public void Ovs_reads_the_meter_mod_and_the_reject_flow_as_we_print_them()
    {
        var meter = RejectFlows.RejectMeter(1, 100);
        Assert.That(OfpPrint(meter.ToAdd()), Is.EqualTo("OFPT_METER_MOD (OF1.3) (xid=0x5): ADD meter=1 pktps burst stats bands=\ntype=drop rate=100 burst_size=100\n"));
        Assert.That(OfpPrint(meter.ToDelete()), Does.StartWith("OFPT_METER_MOD (OF1.3) (xid=0x5): DEL meter=1"));
        var s = new ServiceConfig("web", OvsLb.OpenFlow.Packets.Ipv4Address.Parse("10.0.0.100"), ServiceProtocol.Tcp, 80, ServiceMode.Direct, [], [], HealthCheckConfig.Default) { OnEmpty = OnEmpty.Reject };
        var flow = RejectFlows.RejectFlow(BuildSettings.Default.Cookies, s, 1);
        Assert.That(OfpPrint(flow.ToAdd()), Does.StartWith("OFPT_FLOW_MOD (OF1.3) (xid=0x5): ADD table:20 priority=200,tcp,nw_dst=10.0.0.100,tp_dst=80 cookie:0x4c4209")
            .And.Contains(" actions=meter:1,CONTROLLER:65535"));
        Assert.That(flow.Text, Does.EndWith("priority=200,tcp,nw_dst=10.0.0.100,tp_dst=80 actions=meter:1,CONTROLLER:65535"));
    }
}
