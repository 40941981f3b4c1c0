using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Why table 25 matches SYN (flows/README.md, table 25): a connection's packets sent right after its SYN, before
/// the revalidators have seen the learned entry, follow the SYN's datapath flows through the select group unless the
/// SYN bit sets them apart. If the group then changes before their statistics are pushed, OVS translates those
/// datapath flows again with the new buckets and pushes the statistics through the new translation, whose learn
/// rewrites the connection's entry for the new bucket: an established connection moves.
/// <para>
/// Deterministic on a real OVS (dummy datapath, the direct scenario's golden flows and group): the revalidators
/// are paused from before the SYN until after the group change (<c>ovs-appctl revalidator/pause</c>, what a loaded
/// machine does by accident), the client sends a SYN and three ACKs, the group is rewritten so that every bucket
/// names another backend, the revalidators resume. With the SYN flow the entry keeps its backend; without it
/// (deleted for the second case) OVS rewrites it, which is the hole the flow closes.
/// </para>
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class EstablishedEntryRelearnTests
{
    private const string Uplink = "uplink";

    [TestCase(true)]
    [TestCase(false)]
    public void An_established_connections_entry_survives_a_group_change_that_lands_before_its_statistics_are_pushed(bool synFlow)
    {
        using var ovs = Load("direct", out var b);
        const string synMatch = "table=25,tcp,tcp_flags=+syn";
        Assert.That(ovs.Ofctl("dump-flows", b.Name, synMatch).Stdout, Does.Contain("priority=90,tcp,tcp_flags=+syn actions=drop"), "the golden flows have table 25's SYN flow");
        if (!synFlow) ovs.Ofctl("del-flows", "--strict", b.Name, "table=25,priority=90,tcp,tcp_flags=+syn");

        ovs.Appctl("revalidator/pause");
        bool paused = true;
        try
        {
            Send(ovs, b.Name, "syn");
            string? before = null;
            Assert.That(ProcessRunner.WaitUntil(() => (before = EntryTag(ovs, b.Name)) is not null, TimeSpan.FromSeconds(5)), Is.True, "the SYN's learn wrote the connection's entry");
            for (int i = 0; i < 3; i++) Send(ovs, b.Name, "ack");
            Assert.That(ProcessRunner.WaitUntil(() => PacketsOnVip(ovs) >= 2, TimeSpan.FromSeconds(5)), Is.True, "the ACKs after the first passed datapath flows");

            // Every bucket now names a backend other than the entry's (the group keeps its id, watch ports and size).
            string group = ovs.DumpGroups(b.Name).Single();
            string other = Regex.Matches(group, @"load:(0x[0-9a-f]+)->NXM_NX_REG1\[\]").Select(m => m.Groups[1].Value).First(t => t != before);
            ovs.Ofctl("mod-group", b.Name, Regex.Replace(group, @"load:0x[0-9a-f]+->NXM_NX_REG1\[\]", $"load:{other}->NXM_NX_REG1[]"));
            ovs.Appctl("revalidator/resume");
            paused = false;
            ovs.Appctl("revalidator/wait");
            ovs.Appctl("revalidator/wait");

            string? after = EntryTag(ovs, b.Name);
            TestContext.Out.WriteLine($"table 25's SYN flow {(synFlow ? "present" : "deleted")}: entry {before} before the group change, {after} after (every bucket {other})");
            if (synFlow) Assert.That(after, Is.EqualTo(before), "the established connection's entry keeps its backend");
            else Assert.That(after, Is.EqualTo(other), "without the SYN flow OVS re-learns the entry for the new bucket (the hole the flow closes)");
        }
        finally
        {
            if (paused) ovs.Appctl("revalidator/resume");
        }
    }

    /// <summary>
    /// The UDP counterpart has no SYN bit to set the first datagram apart, and needs none: a UDP service picks with
    /// <c>multipath</c> and the slot table (27) into fast-failover groups, all translated in one pass (no
    /// <c>recirc</c>, unlike the select group's dp_hash). A datapath flow left by the flow's first datagram is
    /// translated again from table 0 when the slot flows change, finds the entry the first datagram learned in
    /// table 21, and learns the same backend again. Same conditions as above: revalidators paused from before the
    /// first datagram to after every slot flow of the service is repointed to another backend's group.
    /// </summary>
    [Test]
    public void A_udp_flows_entry_survives_a_slot_change_that_lands_before_its_statistics_are_pushed()
    {
        using var ovs = Load("udp", out var b);

        ovs.Appctl("revalidator/pause");
        bool paused = true;
        try
        {
            SendUdp(ovs, 40000);
            string? before = null;
            Assert.That(ProcessRunner.WaitUntil(() => (before = EntryTag(ovs, b.Name, "udp", 40000)) is not null, TimeSpan.FromSeconds(5)), Is.True, "the first datagram's learn wrote the flow's entry");
            for (int i = 0; i < 3; i++) SendUdp(ovs, 40000);
            Assert.That(ProcessRunner.WaitUntil(() => PacketsOnVip(ovs) >= 2, TimeSpan.FromSeconds(5)), Is.True, "the datagrams after the first passed datapath flows");

            // Every slot of the service (port 53: the groups that hand the pick back to table 24) now names the
            // fast-failover group of a backend other than the entry's.
            var groups = ovs.DumpGroups(b.Name).Where(g => g.Contains("resubmit(,24)", StringComparison.Ordinal));
            var (group, other) = groups.Select(g => (Id: Regex.Match(g, @"group_id=(\d+)").Groups[1].Value, First: Regex.Match(g, @"load:(0x[0-9a-f]+)->NXM_NX_REG1\[\]").Groups[1].Value))
                .First(g => g.First != before);
            ovs.Ofctl("mod-flows", b.Name, $"table=27,udp,nw_dst=10.0.0.100,tp_dst=53 actions=group:{group}");
            ovs.Appctl("revalidator/resume");
            paused = false;
            ovs.Appctl("revalidator/wait");
            ovs.Appctl("revalidator/wait");

            string? after = EntryTag(ovs, b.Name, "udp", 40000);
            SendUdp(ovs, 40001);
            string? fresh = null;
            Assert.That(ProcessRunner.WaitUntil(() => (fresh = EntryTag(ovs, b.Name, "udp", 40001)) is not null, TimeSpan.FromSeconds(5)), Is.True, "a new flow learns an entry");
            TestContext.Out.WriteLine($"udp: entry {before} before the slot change, {after} after; a new flow after it: {fresh} (every slot to group {group}, first bucket {other})");
            Assert.That(fresh, Is.EqualTo(other), "the slot change is in force: a new flow goes to the new backend");
            Assert.That(after, Is.EqualTo(before), "the established flow's entry keeps its backend");
        }
        finally
        {
            if (paused) ovs.Appctl("revalidator/resume");
        }
    }

    /// <summary>One datagram 10.1.0.5:<paramref name="srcPort"/> → VIP 10.0.0.100:53, from the uplink to the LB MAC.</summary>
    private static void SendUdp(OvsSandbox ovs, int srcPort) =>
        ovs.Appctl("netdev-dummy/receive", Uplink,
            "in_port(1),eth(src=02:00:00:00:aa:01,dst=02:00:00:00:00:fe),eth_type(0x0800),ipv4(src=10.1.0.5,dst=10.0.0.100,proto=17,tos=0,ttl=64,frag=no)," +
            $"udp(src={srcPort},dst=53)");

    /// <summary>A dummy-datapath OVS holding a golden scenario's one bridge, its ports, groups and flows.</summary>
    private static OvsSandbox Load(string scenario, out Config.BridgeConfig bridge)
    {
        var s = Scenario.Load(scenario);
        var b = bridge = s.Config.Bridges.Single();
        var ovs = OvsSandbox.Start(dummy: true);
        ovs.AddBridge(b.Name, s.DatapathId(b));
        foreach (var (no, name) in s.Ports[b.Name]) ovs.AddDummyPort(b.Name, name, (int)no);
        ovs.Ofctl("add-groups", b.Name, s.GroupsFile(b));
        ovs.Ofctl("add-flows", b.Name, s.FlowsFile(b));
        return ovs;
    }

    /// <summary>One TCP packet of the connection 10.1.0.5:40000 → VIP 10.0.0.100:80, from the uplink to the LB MAC.</summary>
    private static void Send(OvsSandbox ovs, string bridge, string flags) =>
        ovs.Appctl("netdev-dummy/receive", Uplink,
            "in_port(1),eth(src=02:00:00:00:aa:01,dst=02:00:00:00:00:fe),eth_type(0x0800),ipv4(src=10.1.0.5,dst=10.0.0.100,proto=6,tos=0,ttl=64,frag=no)," +
            $"tcp(src=40000,dst=80),tcp_flags({flags})");

    /// <summary>The tag (reg1 value) of the connection's learned entry in table 21, or null while there is none.</summary>
    private static string? EntryTag(OvsSandbox ovs, string bridge, string proto = "tcp", int srcPort = 40000)
    {
        var m = Regex.Match(ovs.Ofctl("dump-flows", bridge, $"table=21,{proto},tp_src={srcPort}").Stdout, @"load:(0x[0-9a-f]+)->NXM_NX_REG1\[\]");
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Packets counted by the datapath flows to the VIP (a packet run by an upcall is not counted).</summary>
    private static long PacketsOnVip(OvsSandbox ovs) =>
        Regex.Matches(ovs.Appctl("dpctl/dump-flows").Stdout, @"recirc_id\(0\),.*dst=10\.0\.0\.100.*packets:(\d+)")
            .Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
