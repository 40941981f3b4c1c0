using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Planning;
using OvsLb.State;
using OvsLb.Runtime.Session;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The pure planner (<see cref="BridgePlanner"/>): plan inputs in, plan, slot memory, announcements and
/// gateway probes out, on the golden scenarios' configurations (flows/*/config.json). No switch, no clock.
/// </summary>
public sealed class BridgePlannerTests
{
    private static SwitchInfo Info(BridgeView v) => new(v.DatapathId, v.BridgeName, v.Ports);

    private static PlanOutput Plan(Scenario s, string bridge, Func<uint, bool>? up = null, IReadOnlySet<string>? down = null,
        IReadOnlyDictionary<string, IReadOnlyList<string?>>? slots = null, SwitchState? installed = null, BridgePlan? committed = null,
        IEnumerable<SwitchInfo>? connected = null, IReadOnlySet<string>? gone = null)
    {
        var b = s.Config.Bridges.Single(x => x.Name == bridge);
        return BridgePlanner.Plan(PlanInputs.Assemble(s.Config, BuildSettings.Default, Info(s.View(b, up)), installed, down, slots, connected, gone, committed));
    }

    private static readonly string S1 = "02:00:00:00:00:11"; // flows/direct: s1's MAC, its key in the slot table

    [Test]
    public void A_backend_going_down_moves_only_its_buckets()
    {
        var s = Scenario.Load("direct");
        var before = Plan(s, "br-lb");
        var after = Plan(s, "br-lb", down: new HashSet<string> { "web/s1" }, slots: before.Slots);
        var was = before.Slots["web"];
        var now = after.Slots["web"];
        Assert.That(now, Has.Count.EqualTo(was.Count));
        var moved = Enumerable.Range(0, was.Count).Where(i => was[i] != now[i]).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.Not.Empty);
            Assert.That(moved.Select(i => was[i]), Is.All.EqualTo(S1), "only s1's buckets moved");
            Assert.That(moved.Count, Is.EqualTo(was.Count(k => k == S1)), "every one of s1's buckets moved");
            Assert.That(after.Plan.Services[0].SlotKeys, Is.EqualTo(now), "the memory to keep is the table the group carries");
        });
    }

    [Test]
    public void A_service_without_slot_memory_takes_its_table_from_the_installed_group()
    {
        var s = Scenario.Load("direct");
        var down = new HashSet<string> { "web/s1" };
        var first = Plan(s, "br-lb");
        var failed = Plan(s, "br-lb", down: down, slots: first.Slots); // what a controller before a restart installed
        var restarted = Plan(s, "br-lb", down: down, installed: failed.Plan.State);
        var fresh = Plan(s, "br-lb", down: down);
        Assert.Multiple(() =>
        {
            Assert.That(fresh.Slots["web"], Is.Not.EqualTo(failed.Slots["web"]), "the scenario needs a table a fresh build would not make");
            Assert.That(restarted.Slots["web"], Is.EqualTo(failed.Slots["web"]));
            Assert.That(restarted.Plan.State.GroupLines(), Is.EqualTo(failed.Plan.State.GroupLines()), "nothing to send: no bucket moves");
        });
    }

    [Test]
    public void Slot_memory_wins_over_the_installed_group()
    {
        var s = Scenario.Load("direct");
        var first = Plan(s, "br-lb");
        var failed = Plan(s, "br-lb", down: new HashSet<string> { "web/s1" }, slots: first.Slots);
        var next = Plan(s, "br-lb", slots: first.Slots, installed: failed.Plan.State);
        Assert.That(next.Slots["web"], Is.EqualTo(first.Slots["web"]));
    }

    [Test]
    public void A_gratuitous_ARP_is_announced_exactly_when_a_port_group_master_changes()
    {
        var s = Scenario.Load("portgroup"); // p1 port 2 (master while up), p2 port 3, p3 port 4; uplink 1
        var committed = Plan(s, "br-pg").Plan;
        var p1Down = Plan(s, "br-pg", up: no => no != 2, committed: committed);
        Assert.That(p1Down.Announcements, Is.EqualTo(new[]
        {
            new Announcement("cluster", "p1", "p2", MacAddress.Parse("02:00:00:00:01:fe"), Ipv4Address.Parse("192.0.2.50"), 1),
        }));
        Assert.Multiple(() =>
        {
            Assert.That(Plan(s, "br-pg", committed: committed).Announcements, Is.Empty, "nothing changed");
            Assert.That(Plan(s, "br-pg", up: no => no != 4, committed: committed).Announcements, Is.Empty, "a server that is not the master went down");
            Assert.That(Plan(s, "br-pg", up: no => no != 2).Announcements, Is.Empty, "nothing committed yet: no change to announce");
            Assert.That(Plan(s, "br-pg", committed: p1Down.Plan).Announcements.Select(a => (a.OldMaster, a.NewMaster)), Is.EqualTo(new[] { ("p2", "p1") }), "p1 back");
        });
    }

    [Test]
    public void Gateway_probes_are_listed_out_of_the_uplink_or_flooded_without_one()
    {
        var s = Scenario.Load("portgroup");
        var lbMac = MacAddress.Parse("02:00:00:00:01:fe");
        var gateway = Ipv4Address.Parse("192.0.2.1");
        Assert.Multiple(() =>
        {
            Assert.That(Plan(s, "br-pg").GatewayProbes, Is.EqualTo(new[] { new GatewayProbe(lbMac, gateway, 1) }));
            var noUplink = Info(s.View(s.Config.Bridges[0]));
            noUplink = noUplink with { Ports = noUplink.Ports.Where(p => p.Key != 1).ToDictionary() };
            Assert.That(BridgePlanner.GatewayProbes(s.Config, noUplink), Is.EqualTo(new[] { new GatewayProbe(lbMac, gateway, null) }));
            Assert.That(Plan(Scenario.Load("direct"), "br-lb").GatewayProbes, Is.Empty, "a bridge without gateways");
        });
    }

    [Test]
    public void A_backend_on_another_bridge_follows_its_port_there_and_after_the_grace_time_its_bridge()
    {
        var s = Scenario.Load("distributed"); // web: h1-web on br-host1 port 5, h2-web on br-host2 port 5
        var host2 = s.Config.Bridges.Single(b => b.Name == "br-host2");
        SwitchInfo Host2(bool port5Up) => Info(s.View(host2, no => no != 5 || port5Up));
        IEnumerable<string> Live(PlanOutput o) => o.Plan.Services.Single().LiveBackends.Select(b => b.Name);
        var gone = new HashSet<string> { "br-host2" };
        Assert.Multiple(() =>
        {
            Assert.That(Live(Plan(s, "br-host1", connected: [Host2(true)])), Is.EqualTo(new[] { "h1-web", "h2-web" }));
            Assert.That(Live(Plan(s, "br-host1", connected: [Host2(false)])), Is.EqualTo(new[] { "h1-web" }), "its port on br-host2 is down");
            Assert.That(Live(Plan(s, "br-host1", connected: [Host2(false)], gone: gone)), Is.EqualTo(new[] { "h1-web" }), "connected: its port decides");
            Assert.That(Live(Plan(s, "br-host1", connected: [Host2(true)], gone: gone)), Is.EqualTo(new[] { "h1-web", "h2-web" }), "connected: its port decides");
            Assert.That(Live(Plan(s, "br-host1")), Is.EqualTo(new[] { "h1-web", "h2-web" }), "br-host2 not connected, within the grace time");
            Assert.That(Live(Plan(s, "br-host1", gone: gone)), Is.EqualTo(new[] { "h1-web" }), "br-host2 gone past the grace time");
        });
    }

    [Test]
    public void Backends_held_down_get_no_bucket()
    {
        var s = Scenario.Load("direct");
        var o = Plan(s, "br-lb", down: new HashSet<string> { "web/s2" });
        Assert.Multiple(() =>
        {
            Assert.That(o.Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s1", "s3" }));
            Assert.That(o.Slots["web"], Has.None.EqualTo("02:00:00:00:00:12"));
            Assert.That(o.View.DownBackends, Is.EquivalentTo(new[] { "web/s2" }));
        });
    }
}
