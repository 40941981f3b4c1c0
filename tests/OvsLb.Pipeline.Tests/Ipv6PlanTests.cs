using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;

namespace OvsLb.Pipeline.Tests;

/// <summary>IPv6 VIPs in the pure builder: the NDP answer follows the ARP answer's rule (withdrawn with no live backend
/// unless stopArpWhenAllDown is off), a distributed bridge leaves solicitations from its uplink unanswered, the IPv4-only
/// scenarios gain no IPv6 flow, and every IPv6 flow passes the checks OVS makes on a FLOW_MOD (set_field prerequisites).</summary>
public sealed class Ipv6PlanTests
{
    private static HashSet<string> AllDown(LoadBalancerConfig c) =>
        c.Services.SelectMany(s => s.Backends.Select(b => PipelineBuilder.BackendId(s, b))).ToHashSet();

    private static List<string> NdpLines(BridgePlan p) =>
        Scenario.FlowLines(p.State).Where(l => l.Contains("table=11, priority=3", StringComparison.Ordinal) || l.Contains("table=11, priority=290", StringComparison.Ordinal)
            || l.Contains("table=12, priority=300", StringComparison.Ordinal)).ToList();

    [TestCase("ipv6")]
    [TestCase("dualstack")]
    public void The_ndp_answer_is_withdrawn_with_no_live_backend_like_the_arp_answer(string name)
    {
        var sc = Scenario.Load(name);
        var b = sc.Config.Bridges[0];
        var up = sc.Build(b);
        var down = PipelineBuilder.Build(sc.Config, sc.View(b, down: AllDown(sc.Config)));
        var keep = sc.Config with { Options = sc.Config.Options with { StopArpWhenAllDown = false } };
        var kept = PipelineBuilder.Build(keep, sc.View(b, down: AllDown(keep)));
        Assert.Multiple(() =>
        {
            Assert.That(NdpLines(up), Has.Count.EqualTo(4), "DAD, SLL, option-less answers and nd_tll");
            Assert.That(NdpLines(down), Is.Empty, "no live backend: no NDP answer");
            Assert.That(NdpLines(kept), Is.EqualTo(NdpLines(up)), "stopArpWhenAllDown false: still answered");
            Assert.That(Scenario.FlowLines(down.State).Any(l => l.Contains("arp_tpa=", StringComparison.Ordinal)), Is.False, "nor an ARP answer");
            Assert.That(PipelineConformance.Violations(down.State), Is.Empty);
        });
    }

    [Test]
    public void A_distributed_bridge_leaves_solicitations_from_its_uplink_unanswered()
    {
        var sc = Scenario.Load("dualstack");
        var config = sc.Config with { Bridges = [.. sc.Config.Bridges.Select(b => b with { Role = BridgeRole.Distributed })] };
        var plan = PipelineBuilder.Build(config, sc.View(config.Bridges[0]));
        var lines = Scenario.FlowLines(plan.State);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.One.Contains("table=11, priority=320,icmp6,in_port=1,icmp_type=135,icmp_code=0,nd_target=fd00::100 actions=NORMAL"));
            Assert.That(lines, Has.One.Contains("table=10, priority=310,arp,in_port=1,arp_tpa=10.0.0.100,arp_op=1 actions=NORMAL"));
            Assert.That(PipelineConformance.Violations(plan.State), Is.Empty);
        });
    }

    [TestCaseSource(typeof(Scenario), nameof(Scenario.Names))]
    public void Only_a_bridge_with_an_ipv6_vip_gets_ipv6_flows(string name)
    {
        var sc = Scenario.Load(name);
        bool v6 = sc.Config.Services.Any(s => s.Vip6 is not null);
        foreach (var b in sc.Config.Bridges)
        {
            var plan = sc.Build(b);
            var flows = plan.State.Flows.Values.ToList();
            Assert.That(flows.Any(f => f.TableId is 11 or 12 || f.Text.Contains("ipv6", StringComparison.Ordinal) || f.Text.Contains("icmp6", StringComparison.Ordinal) || f.Text.Contains("tcp6", StringComparison.Ordinal)),
                Is.EqualTo(v6), $"{name}/{b.Name}");
            // OVS's own FLOW_MOD checks (set_field prerequisites against the match, e.g. nd_tll needs icmp_type=136).
            foreach (var f in flows) Assert.That(f.ToAdd().CheckError(), Is.Null, f.Text);
        }
    }

    [Test]
    public void An_arp_check_of_ipv6_backends_sends_their_advertisements_to_the_controller_instead_of_arp_replies()
    {
        var sc = Scenario.Load("ipv6");
        var lines = Scenario.FlowLines(sc.Build(sc.Config.Bridges[0]).State);
        var v4 = sc.Config with { Services = [.. sc.Config.Services.Select(s => s with { Backends = s.Backends.Select((b, i) => b with { Ip6 = null, Ip = OvsLb.OpenFlow.Packets.Ipv4Address.Parse($"10.0.0.{11 + i}") }).ToArray() })] };
        var v4Lines = Scenario.FlowLines(PipelineBuilder.Build(v4, sc.View(v4.Bridges[0])).State);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.One.Contains("priority=110,icmp6,dl_dst=02:00:00:00:00:fe,icmp_type=136 actions=goto_table:11"));
            Assert.That(lines, Has.One.Contains("table=11, priority=200,icmp6,dl_dst=02:00:00:00:00:fe,icmp_type=136 actions=CONTROLLER:128"));
            Assert.That(lines.Any(l => l.Contains("arp_op=2", StringComparison.Ordinal)), Is.False, "no IPv4 backend: no ARP reply flow");
            Assert.That(v4Lines.Any(l => l.Contains("icmp_type=136 actions", StringComparison.Ordinal)), Is.False, "IPv4 backends: no NA health flow");
            Assert.That(v4Lines, Has.One.Contains("priority=200,arp,dl_dst=02:00:00:00:00:fe,arp_op=2 actions=CONTROLLER:128"));
        });
    }

    [Test]
    public void A_dual_stack_udp_service_has_its_slot_flows_once_per_family_inside_the_declared_pipeline()
    {
        var r = ConfigLoader.Parse("""
            {
              "options": { "buckets": 16 },
              "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe", "uplink": 1 } ],
              "services": [ { "name": "dns", "vip": ["10.0.0.53", "fd00::53"], "protocol": "udp", "port": 53, "mode": "direct",
                "backends": [ { "ip": "fd00::11", "mac": "02:00:00:00:00:11", "port": 11 }, { "ip": "fd00::12", "mac": "02:00:00:00:00:12", "port": 12 } ] } ]
            }
            """);
        Assert.That(r.Errors, Is.Empty, ConfigErrorFormatter.Format(r.Errors, "test.json"));
        var config = r.Config!;
        var plan = PipelineBuilder.Build(config, new BridgeView(0, "br",
            new uint[] { 1, 11, 12 }.ToDictionary(n => n, n => new OvsLb.OpenFlow.Messages.PortDescription { PortNo = n, Name = "p" + n, State = OvsLb.OpenFlow.Messages.PortState.Live }),
            new HashSet<string>(), new Dictionary<string, IReadOnlyList<string?>>()));
        var lines = Scenario.FlowLines(plan.State);
        Assert.Multiple(() =>
        {
            Assert.That(lines.Count(l => l.Contains("table=27, priority=100,udp,reg2=", StringComparison.Ordinal)), Is.EqualTo(16));
            Assert.That(lines.Count(l => l.Contains("table=27, priority=100,udp6,reg2=", StringComparison.Ordinal) && l.Contains("ipv6_dst=fd00::53", StringComparison.Ordinal)), Is.EqualTo(16));
            Assert.That(lines, Has.One.Contains("table=20, priority=200,udp6,ipv6_dst=fd00::53,tp_dst=53 actions=resubmit(,21),resubmit(,24)"));
            Assert.That(lines.Where(l => l.Contains("table=24, ", StringComparison.Ordinal) && l.Contains("udp6", StringComparison.Ordinal)),
                Has.One.Contains("multipath(symmetric_l3l4+udp,0,hrw,16,0,NXM_NX_REG2[0..3]),resubmit(,27)"), "the IPv6 view's pick: multipath into reg2, then the slot table");
            Assert.That(PipelineConformance.Violations(plan.State), Is.Empty);
            foreach (var f in plan.State.Flows.Values) Assert.That(f.ToAdd().CheckError(), Is.Null, f.Text);
        });
    }
}
