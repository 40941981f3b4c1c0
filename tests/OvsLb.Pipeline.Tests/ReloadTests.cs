using System.Text.RegularExpressions;
using OvsLb.Runtime.Tests;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Configuration reload (a file change applies only the difference) with the real
/// <c>ovslb run</c> process watching its file: each edit is followed by what ovs-vswitchd itself logged as
/// received (vconn debug log) — only the changed service's group or flows — and by real connections. An
/// invalid file is refused with its error named in the log, and the running configuration stays.
/// </summary>
[TestFixture, Category("Ovs")]
public sealed partial class ReloadTests
{
    private const ulong Dpid = 0x9401;
    private const string Web = "10.34.0.100", Api = "10.34.0.101";
    private static readonly string[] Hosts = ["b1", "b2", "b3", "b4"];
    private static string Mac(int i) => $"02:00:00:00:34:1{i}";

    private static string Backend(int i, int weight = 1) =>
        $$"""{ "name": "b{{i}}", "ip": "10.34.0.1{{i}}", "mac": "{{Mac(i)}}", "port": {{i + 1}}, "weight": {{weight}} }""";

    private static string LbConfig(string webBackends, string? apiBackends) => $$"""
        {
          "options": { "buckets": 64 },
          "bridges": [ { "name": "br-rl", "datapathId": "0x9401", "lbMac": "02:00:00:00:34:fe" } ],
          "services": [
            { "name": "web", "vip": "{{Web}}", "protocol": "tcp", "port": 80, "mode": "direct", "backends": [ {{webBackends}} ] }
            {{(apiBackends is null ? "" : $$""", { "name": "api", "vip": "{{Api}}", "protocol": "tcp", "port": 8080, "mode": "direct", "backends": [ {{apiBackends}} ] }""")}}
          ]
        }
        """;

    [GeneratedRegex(@"group:(\d+)")]
    private static partial Regex GroupAction();

    [Test]
    public void A_changed_file_sends_only_the_difference_and_an_invalid_one_keeps_the_running_configuration()
    {
        var spec = new TopologySpec().Bridge("br-rl", Dpid).Host("client", "br-rl", 1, "10.34.0.2/24");
        for (int i = 1; i <= 4; i++) spec.Host(Hosts[i - 1], "br-rl", (uint)(i + 1), $"10.34.0.1{i}/24", mac: Mac(i));
        using var topo = LbTopology.Start(spec);
        foreach (var h in Hosts)
        {
            topo.Host(h).HoldVip(Web);
            topo.Host(h).HoldVip(Api);
            topo.Host(h).StartServer(80);
            topo.Host(h).StartServer(8080);
        }
        string web3 = string.Join(", ", Backend(1), Backend(2), Backend(3));
        string api2 = string.Join(", ", Backend(1), Backend(2));
        using var ovslb = OvslbRun.Start(topo, LbConfig(web3, api2));
        var witness = new OvsReceivedLog(topo.Ovs);
        var client = topo.Host("client");
        string webGroup = GroupOf(topo, Web), apiGroup = GroupOf(topo, Api);
        var start = client.RunClient(new TrafficRequest(Web, 80) { Count = 150 });
        var webBefore = Buckets(topo, webGroup);
        var apiBefore = Buckets(topo, apiGroup);

        // 1. A backend added to web: web's group only, and only the buckets b4 takes.
        var addB4 = Edit(ovslb, witness, LbConfig(string.Join(", ", web3, Backend(4)), api2), "services \\+0 -0 ~1");
        var webAfter = Buckets(topo, webGroup);
        var moved = OvsBucket.Changed(webBefore, webAfter);
        var withB4 = client.RunClient(new TrafficRequest(Web, 80) { Count = 200 });

        // 2. A weight changed in api: api's group only.
        var reweight = Edit(ovslb, witness, LbConfig(string.Join(", ", web3, Backend(4)), string.Join(", ", Backend(1, weight: 3), Backend(2))), "services \\+0 -0 ~1");
        var apiAfter = Buckets(topo, apiGroup);

        // 3. Service api removed: its flows and its group go, nothing of web is touched.
        string webOnly = LbConfig(string.Join(", ", web3, Backend(4)), null);
        var remove = Edit(ovslb, witness, webOnly, "services \\+0 -1 ~0");
        client.FlushNeighbours();
        var apiGone = client.RunClient(new TrafficRequest(Api, 8080) { Count = 3, Timeout = TimeSpan.FromMilliseconds(500) });

        // 4. An invalid file: refused, error named, nothing sent; the next valid edit sends only its own change.
        int mark = witness.Received(OvslbRun.TopologyTarget).Count;
        int lines = ovslb.Lines.Count;
        ovslb.Rewrite(OvslbRun.Wrap(LbConfig(string.Join(", ", web3, Backend(4)).Replace("10.34.0.12\"", "10.34.0.300\"", StringComparison.Ordinal), null)));
        string refused = ovslb.WaitFor("Configuration not reloaded", lines, TimeSpan.FromSeconds(15));
        string errors = string.Join("\n", ovslb.Lines.Skip(lines));
        var stillWorks = client.RunClient(new TrafficRequest(Web, 80) { Count = 100 });
        var fix = Edit(ovslb, witness, LbConfig(string.Join(", ", web3, Backend(4, weight: 2)), null), "services \\+0 -0 ~1", mark);

        TestContext.Out.WriteLine($"add b4 to web: {Show(addB4)}\nreweight api: {Show(reweight)}\nremove api: {Show(remove)}\ninvalid, then reweight b4: {Show(fix)}");
        TestContext.Out.WriteLine($"{moved.Count} of {webBefore.Count} web buckets moved, all to b4\n{withB4.Summary()}\ninvalid file: {refused}");
        Assert.Multiple(() =>
        {
            Assert.That(start.Failures, Is.Zero, start.Summary());
            // Persistence (the default): the new backend gets its flow in table 24 (pick), which its buckets name.
            Assert.That(addB4.Where(m => m.IsFlowMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.StartWith("FLOW_MOD ADD table:24 ").And.All.Contains("set_field:02:00:00:00:34:14->eth_dst"),
                "adding a backend adds its pick flow and changes no other flow");
            Assert.That(addB4.Where(m => m.IsGroupMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.StartWith($"GROUP_MOD MOD group_id={webGroup},"), "one GROUP_MOD, web's");
            Assert.That(moved.Select(i => webAfter[i].EthDst).Distinct(), Is.EqualTo(new[] { Mac(4) }), "only buckets b4 takes change");
            Assert.That(moved.Count, Is.InRange(12, 20), "about a quarter of 64");
            Assert.That(withB4.Failures, Is.Zero, withB4.Summary());
            Assert.That(withB4.Tally.Keys, Is.EquivalentTo(Hosts), "the new backend gets clients");

            Assert.That(reweight.Select(m => m.Text), Has.Exactly(1).Items.And.All.StartWith($"GROUP_MOD MOD group_id={apiGroup},"), "one GROUP_MOD, api's");
            Assert.That(apiAfter.Count(b => b.EthDst == Mac(1)), Is.EqualTo(48), "weight 3 of 4: 48 of 64 buckets");
            Assert.That(apiBefore.Count(b => b.EthDst == Mac(1)), Is.EqualTo(32));

            Assert.That(remove.Where(m => m.IsGroupMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.StartWith($"GROUP_MOD DEL group_id={apiGroup},"),
                "api's group deleted, no other group touched");
            Assert.That(remove.Where(m => m.IsFlowMod).Select(m => m.Text).ToList(), Has.Count.EqualTo(5).And.All.Contains(Api).And.All.Contains("FLOW_MOD DEL"),
                "api's service flow, ARP responder and pick flows (its group's and its 2 backends') deleted, nothing else");
            Assert.That(topo.Ovs.DumpFlows("br-rl").Where(l => l.Contains(Api, StringComparison.Ordinal)), Is.Empty);
            Assert.That(apiGone.Failures, Is.EqualTo(3), "the removed VIP is no longer served");

            Assert.That(refused, Does.Contain("the running one stays"));
            Assert.That(errors, Does.Contain("services[0].backends[1].ip").And.Contain("10.34.0.300"), "the error names the field and the value");
            Assert.That(stillWorks.Failures, Is.Zero, "the running configuration keeps serving: " + stillWorks.Summary());
            Assert.That(fix.Select(m => m.Text), Has.Exactly(1).Items.And.All.StartWith($"GROUP_MOD MOD group_id={webGroup},"),
                "from the invalid file to the next valid one, only that one's change was sent");
        });
    }

    /// <summary>
    /// Rewrites the file with <paramref name="lbJson"/>, waits for the reload line matching <paramref name="diff"/>
    /// and the reconcile after it, and returns the FLOW_MODs/GROUP_MODs ovs-vswitchd received since
    /// <paramref name="since"/> messages (default: since this edit).
    /// </summary>
    private static IReadOnlyList<OvsMod> Edit(OvslbRun ovslb, OvsReceivedLog witness, string lbJson, string diff, int? since = null)
    {
        int mark = since ?? witness.Received(OvslbRun.TopologyTarget).Count;
        int lines = ovslb.Lines.Count;
        ovslb.Rewrite(OvslbRun.Wrap(lbJson));
        string reloaded = ovslb.WaitFor("Configuration reloaded: " + diff, lines, TimeSpan.FromSeconds(15));
        ovslb.WaitFor("Reconciled in", ovslb.Lines.ToList().IndexOf(reloaded), TimeSpan.FromSeconds(10));
        // The reconcile line is logged after the bundle's commit reply: the switch has logged every message of it.
        return witness.ModsSince(OvslbRun.TopologyTarget, mark);
    }

    private static string GroupOf(LbTopology topo, string vip) =>
        topo.Ovs.DumpFlows("br-rl").Select(l => l.Contains($"nw_dst={vip},", StringComparison.Ordinal) ? GroupAction().Match(l) : Match.Empty)
            .First(m => m.Success).Groups[1].Value;

    private static IReadOnlyList<OvsBucket> Buckets(LbTopology topo, string groupId) => OvsBucket.Dump(topo.Ovs, "br-rl", groupId);

    private static string Show(IReadOnlyList<OvsMod> mods) =>
        mods.Count == 0 ? "nothing" : string.Join("; ", mods.Select(m => m.Text.Length > 90 ? m.Text[..90] + "…" : m.Text));
}
