using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// The status endpoint of a real <c>ovslb run</c> process serving the <c>flows/distributed</c> scenario
/// to two bridges of a private OVS (dummy datapath), checked against what OVS itself shows: ports,
/// flows and groups from ovs-ofctl, port changes made with <c>ovs-ofctl mod-port</c>, ARP replies
/// injected with <c>netdev-dummy/receive</c>, PORT_STATUS messages seen by <c>ovs-ofctl monitor</c>.
/// The scenario gets a second service, <c>web-checked</c> (VIP 10.0.0.101, same backends) with an ARP
/// health check nobody answers, so health is visibly "down" beside the unchecked <c>web</c>.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public partial class StatusEndpointTests
{
    private const string Dp1 = "0000000000000001", Dp2 = "0000000000000002";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private OvsSandbox _ovs = null!;
    private OvslbRun _run = null!;
    private int _openFlowPort;

    [OneTimeSetUp]
    public void Start()
    {
        _ovs = OvsSandbox.Start();
        try
        {
            _ovs.AddBridge("br-host1", 1);
            _ovs.AddBridge("br-host2", 2);
            foreach (var (bridge, no, name) in Ovslb.Ports("distributed")) _ovs.AddDummyPort(bridge, name, (int)no);
            _run = OvslbRun.Start([], config: Config().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            _openFlowPort = _run.OpenFlowPort();
            _ovs.SetController("br-host1", $"tcp:127.0.0.1:{_openFlowPort}");
            _ovs.SetController("br-host2", $"tcp:127.0.0.1:{_openFlowPort}");
            WaitSteady();
        }
        catch
        {
            Stop();
            throw;
        }
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _run?.Dispose();
        _ovs?.Dispose();
    }

    /// <summary>flows/distributed/config.json as the LoadBalancer section, plus web-checked, plus controller and status settings.</summary>
    private static JsonObject Config()
    {
        var lb = JsonNode.Parse(File.ReadAllText(Ovslb.Config("distributed")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        var services = lb["services"]!.AsArray();
        var web = services.Single(s => (string?)s!["name"] == "web")!;
        var check = web.DeepClone().AsObject();
        check["name"] = "web-checked";
        check["vip"] = "10.0.0.101";
        check["healthCheck"] = new JsonObject { ["kind"] = "arp", ["interval"] = "200ms", ["timeout"] = "100ms", ["rise"] = 1, ["fall"] = 2 };
        services.Add(check);
        return new JsonObject
        {
            ["Controller"] = new JsonObject { ["Listen"] = new JsonArray("127.0.0.1:0"), ["EchoInterval"] = "00:00:01" },
            ["Status"] = new JsonObject { ["Listen"] = "127.0.0.1:0" },
            ["LoadBalancer"] = lb,
        };
    }

    private static JsonNode Bridge(JsonNode status, string dpid) => status["bridges"]!.AsArray().Single(b => (string?)b!["datapathId"] == dpid)!;
    private static JsonNode Service(JsonNode status, string name) => status["services"]!.AsArray().Single(s => (string?)s!["name"] == name)!;
    private static JsonNode OnBridge(JsonNode service, string bridge) => service["bridges"]!.AsArray().Single(b => (string?)b!["bridge"] == bridge)!;
    private static JsonNode Backend(JsonNode service, string name) => service["backends"]!.AsArray().Single(b => (string?)b!["name"] == name)!;
    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(x => (string)x!).ToArray();

    /// <summary>Both bridges ready and reconciled, web balanced over both backends, web-checked held down by its unanswered check.</summary>
    private JsonNode WaitSteady()
    {
        JsonNode? status = null;
        bool ok = ProcessRunner.WaitUntil(() =>
        {
            status = _run.Status();
            var bridges = status["bridges"]!.AsArray();
            if (bridges.Count != 2 || bridges.Any(b => (string?)b!["state"] != "ready" || b["lastReconcile"] is null)) return false;
            var web = Service(status, "web");
            var check = Service(status, "web-checked");
            return web["bridges"]!.AsArray().Count == 2 && web["bridges"]!.AsArray().All(b => Strings(b!["liveBackends"]).Length == 2)
                && check["backends"]!.AsArray().All(b => (string?)b!["health"] == "down")
                && check["bridges"]!.AsArray().All(b => Strings(b!["liveBackends"]).Length == 0)
                && InSync(status);
        }, Wait, TimeSpan.FromMilliseconds(100));
        Assert.That(ok, Is.True, $"not steady:\n{status}\n{_run.Process.Output()}");
        return status!;
    }

    /// <summary>The last plan is what the controller believes installed, and OVS holds as many flows and groups.</summary>
    private bool InSync(JsonNode status) => new[] { (Dp1, "br-host1"), (Dp2, "br-host2") }.All(x =>
    {
        var b = Bridge(status, x.Item1);
        int? flows = (int?)b["flows"]!["installed"], groups = (int?)b["groups"]!["installed"];
        return flows == (int?)b["flows"]!["desired"] && groups == (int?)b["groups"]!["desired"]
            && flows == _ovs.DumpFlows(x.Item2).Count && groups == _ovs.DumpGroups(x.Item2).Count;
    });

    /// <summary>Buckets per backend MAC in the group <paramref name="groupId"/> as OVS holds it.</summary>
    private Dictionary<string, int> OvsBuckets(string bridge, uint groupId)
    {
        var line = _ovs.DumpGroups(bridge).SingleOrDefault(l => l.StartsWith($"group_id={groupId},", StringComparison.Ordinal));
        if (line is null) return [];
        return OvsBucket.Parse(line, _ovs.DumpFlows(bridge)).Where(b => b.EthDst is not null).GroupBy(b => b.EthDst!).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Local ends of the TCP connections ovs-vswitchd has to our OpenFlow port, as <c>ss</c> shows them.</summary>
    private List<string> OvsConnections()
    {
        var lines = ProcessRunner.Run("ss", ["-Htnp", "state", "established", $"( dport = :{_openFlowPort} )"]).EnsureSuccess().Stdout.Split('\n');
        return lines.Where(l => l.Contains("\"ovs-vswitchd\"", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{_openFlowPort}", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]).ToList();
    }

    private static readonly Dictionary<string, string> Macs = new() { ["h1-web"] = "02:00:00:00:00:11", ["h2-web"] = "02:00:00:00:00:21" };

    [Test]
    public void Status_lists_both_bridges_with_ports_and_reconcile_results_as_ovs_has_them()
    {
        var status = WaitSteady();
        Assert.That(status.AsObject().ContainsKey("cluster"), Is.False, "single-instance mode: no cluster section");
        var c = status["controller"]!;
        Assert.That((string?)c["version"], Is.Not.Empty);
        Assert.That((string?)c["runtime"], Does.StartWith(".NET 10."));
        Assert.That((double)c["uptimeSeconds"]!, Is.GreaterThan(0));
        Assert.That((string?)c["role"], Is.EqualTo("equal"));
        Assert.That(Strings(c["openflowListen"]), Is.EqualTo(new[] { $"127.0.0.1:{_openFlowPort}" }));
        Assert.That((string?)c["statusListen"], Is.EqualTo(_run.StatusUrl().Authority));
        Assert.That((string?)c["configFile"], Is.EqualTo(_run.ConfigPath));

        foreach (var (dpid, name, link, web) in new[] { (Dp1, "br-host1", "link1", "web1"), (Dp2, "br-host2", "link2", "web2") })
        {
            var b = Bridge(status, dpid);
            Assert.That(((string?)b["name"], (string?)b["configured"], (bool?)b["connected"], (string?)b["state"], (string?)b["role"], (string?)b["lbRole"]),
                Is.EqualTo((name, name, true, "ready", "equal", "distributed")), name);
            // The remote end is the local end of a TCP connection ovs-vswitchd holds to our OpenFlow port.
            Assert.That(OvsConnections(), Does.Contain((string?)b["remote"]));
            var ports = b["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!);
            Assert.That(ports.Keys, Is.EquivalentTo(new[] { name, link, web }));
            Assert.That(((long?)ports[link]["number"], (long?)ports[web]["number"], (long?)ports[name]["number"]), Is.EqualTo((1L, 5L, 0xfffffffeL)));
            Assert.That(ports.Values.Where(p => (string)p["name"]! != name).All(p => (bool)p["up"]! && !(bool)p["adminDown"]!), Is.True, b.ToJsonString());
            // The MAC OVS gave each port, as ovs-ofctl show prints it.
            string show = _ovs.Ofctl("show", name).Stdout;
            Assert.That(show, Does.Contain($"({web}): addr:{(string?)ports[web]["mac"]}"));

            var last = b["lastReconcile"]!;
            Assert.That(DateTimeOffset.Parse((string)last["at"]!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(DateTimeOffset.Parse((string)b["connectedAt"]!, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That((double)last["durationMs"]!, Is.GreaterThan(0));
            // Counts: desired = believed installed = what ovs-ofctl dumps (flows are all ours: OVS flushed the table for the first controller).
            Assert.That((int?)b["flows"]!["installed"], Is.EqualTo(_ovs.DumpFlows(name).Count).And.GreaterThan(0));
            Assert.That((int?)b["groups"]!["installed"], Is.EqualTo(_ovs.DumpGroups(name).Count).And.EqualTo(1), "web has a group, web-checked (all down) none");
            var totals = b["totals"]!;
            Assert.That((long)totals["bundleCommits"]!, Is.GreaterThanOrEqualTo(1));
            Assert.That((long)totals["flowMods"]! + (long)totals["groupMods"]!, Is.GreaterThanOrEqualTo((long)b["flows"]!["installed"]! + 1));
            Assert.That(b["warnings"]!.AsArray(), Is.Empty);
        }
    }

    [Test]
    public void Service_slots_and_arp_answers_in_status_match_the_groups_and_flows_in_ovs()
    {
        var status = WaitSteady();
        var web = Service(status, "web");
        Assert.That(((string?)web["vip"], (string?)web["protocol"], (int?)web["port"], (string?)web["mode"], (string?)web["healthCheck"]),
            Is.EqualTo(("10.0.0.100", "tcp", 80, "direct", "none")));
        foreach (var bridge in new[] { "br-host1", "br-host2" })
        {
            var sb = OnBridge(web, bridge);
            Assert.That(Strings(sb["liveBackends"]), Is.EqualTo(new[] { "h1-web", "h2-web" }));
            Assert.That((bool?)sb["arpAnswered"], Is.True);
            // The responder answers (writes arp_op 2); a distributed bridge also has a flow passing the VIP's ARP from the uplink on unanswered.
            Assert.That(_ovs.DumpFlows(bridge).Count(f => f.Contains("arp_tpa=10.0.0.100,", StringComparison.Ordinal) && f.Contains("set_field:2->arp_op", StringComparison.Ordinal)),
                Is.EqualTo(1), "OVS has the ARP responder");
            var slots = sb["slots"]!.AsObject().ToDictionary(p => p.Key, p => (int)p.Value!);
            Assert.That(slots.Values.Sum(), Is.EqualTo(256));
            var buckets = OvsBuckets(bridge, (uint)sb["groupId"]!);
            Assert.That(buckets, Is.EquivalentTo(slots.ToDictionary(p => Macs[p.Key], p => p.Value)), $"{bridge}: status slots vs buckets of group {(uint)sb["groupId"]!} in ovs-ofctl dump-groups");
        }
        foreach (var name in new[] { "h1-web", "h2-web" })
        {
            var b = Backend(web, name);
            Assert.That(((string?)b["health"], (bool?)b["live"], (string?)b["mac"]), Is.EqualTo(("unchecked", true, Macs[name])));
            Assert.That(((string?)b["portState"]!["bridge"], (long?)b["portState"]!["number"], (bool?)b["portState"]!["up"]),
                Is.EqualTo((name == "h1-web" ? "br-host1" : "br-host2", 5L, true)));
        }
    }

    [Test]
    public void A_port_taken_down_in_ovs_shows_in_status_and_takes_its_backend_out_of_both_bridges()
    {
        WaitSteady();
        _ovs.Ofctl("mod-port", "br-host2", "web2", "down");
        try
        {
            JsonNode? status = null;
            bool ok = ProcessRunner.WaitUntil(() =>
            {
                status = _run.Status();
                var web = Service(status, "web");
                return web["bridges"]!.AsArray().All(b => Strings(b!["liveBackends"]).SequenceEqual(["h1-web"])) && InSync(status);
            }, Wait, TimeSpan.FromMilliseconds(100));
            Assert.That(ok, Is.True, $"{status}");
            var port = Bridge(status!, Dp2)["ports"]!.AsArray().Single(p => (string?)p!["name"] == "web2")!;
            Assert.That(((bool?)port["up"], (bool?)port["adminDown"]), Is.EqualTo((false, true)));
            // ovs-ofctl agrees the port is administratively down.
            Assert.That(_ovs.Ofctl("show", "br-host2").Stdout, Does.Match(@"\(web2\)[^\n]*\n(\s+[^\n]*\n)*?\s+config:\s+PORT_DOWN"));
            var h2 = Backend(Service(status!, "web"), "h2-web");
            Assert.That(((bool?)h2["live"], (bool?)h2["portState"]!["up"], (string?)h2["health"]), Is.EqualTo((false, false, "unchecked")));
            foreach (var bridge in new[] { "br-host1", "br-host2" })
            {
                var sb = OnBridge(Service(status!, "web"), bridge);
                Assert.That(sb["slots"]!.AsObject().ToDictionary(p => p.Key, p => (int)p.Value!), Is.EquivalentTo(new Dictionary<string, int> { ["h1-web"] = 256 }));
                Assert.That(OvsBuckets(bridge, (uint)sb["groupId"]!), Is.EquivalentTo(new Dictionary<string, int> { [Macs["h1-web"]] = 256 }), bridge);
            }
        }
        finally
        {
            _ovs.Ofctl("mod-port", "br-host2", "web2", "up");
        }
        var back = WaitSteady();
        Assert.That((bool?)Backend(Service(back, "web"), "h2-web")["live"], Is.True);
    }
}
