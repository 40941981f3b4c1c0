using System.Collections.Concurrent;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>GET /metrics of the running controller (fixture in StatusEndpointTests.cs).</summary>
public partial class StatusEndpointTests
{
    private IReadOnlyList<Sample> Scrape(out string text)
    {
        using var r = _run.Send(HttpMethod.Get, "/metrics");
        Assert.That(r.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/plain; version=0.0.4; charset=utf-8"));
        text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        return PrometheusExposition.Parse(text);
    }

    private IReadOnlyList<Sample> Scrape() => Scrape(out _);

    private static double Value(IReadOnlyList<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s[l.Label] == l.Value)).Sum(s => s.Value);

    private static int Count(IReadOnlyList<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Count(s => s.Name == name && labels.All(l => s[l.Label] == l.Value));

    [Test]
    public void Each_bridge_shows_its_pinned_connections_and_cap_state()
    {
        // The scenario's services learn connections (persistence "connection", the default): each bridge is counted
        // every options.connectionCapInterval (1 s); no traffic here, so 0 entries and no cap reached.
        IReadOnlyList<Sample> m = [];
        bool both = ProcessRunner.WaitUntil(() =>
        {
            m = Scrape();
            return new[] { "br-host1", "br-host2" }.All(b => Count(m, "ovslb_lb_connections_pinned", ("bridge", b)) == 1);
        }, TimeSpan.FromSeconds(15));
        Assert.That(both, Is.True, "both bridges counted");
        foreach (var b in new[] { "br-host1", "br-host2" })
        {
            Assert.That(Value(m, "ovslb_lb_connections_pinned", ("bridge", b)), Is.EqualTo(_ovs.DumpFlows(b).Count(f => f.StartsWith("cookie=0x4c42ff", StringComparison.Ordinal) && f.Contains(" table=21,", StringComparison.Ordinal))), b);
            Assert.That(Count(m, "ovslb_lb_connections_cap_reached", ("bridge", b)), Is.EqualTo(1), b);
            Assert.That(Value(m, "ovslb_lb_connections_cap_reached", ("bridge", b)), Is.Zero, b);
        }
    }

    [Test]
    public void Metrics_are_valid_exposition_text_and_agree_with_status_and_ovs()
    {
        var status = WaitSteady();
        var m = Scrape(out string text);
        TestContext.Out.WriteLine(text);
        var r = PrometheusExposition.Promtool(text);
        if (r is null) TestContext.Out.WriteLine("promtool not installed: format checked by the built-in reader only");
        else Assert.That(r.ExitCode, Is.Zero, $"promtool check metrics:\n{r.Stdout}{r.Stderr}\n{text}");

        // The names and types dashboards were written against (README): counters with _total, seconds.
        // A family shows from its first measurement on: no error, no ovslb_errors_total yet.
        foreach (var family in new[] { "ovslb_connections_total", "ovslb_messages_in_total", "ovslb_messages_out_total", "ovslb_bundle_commits_total", "ovslb_lb_health_rounds_total" })
        {
            Assert.That(text, Does.Contain($"# TYPE {family} counter\n"));
        }
        Assert.That(text, Does.Not.Contain("ovslb_cluster_"), "single-instance mode: no cluster gauges");
        foreach (var family in new[] { "ovslb_lb_backend_slots", "ovslb_lb_services", "ovslb_lb_flows_installed" })
        {
            Assert.That(text, Does.Contain($"# TYPE {family} gauge\n"));
        }
        Assert.That(text, Does.Contain("# TYPE ovslb_reconcile_duration_seconds histogram\n"));
        Assert.That(text, Does.Contain("# TYPE ovslb_reconcile_last_duration_seconds gauge\n"));

        foreach (var (dpid, bridge) in new[] { (Dp1, "br-host1"), (Dp2, "br-host2") })
        {
            var dp = ("datapath_id", dpid);
            double connections = Value(m, "ovslb_connections_total", dp);
            Assert.That(connections, Is.GreaterThanOrEqualTo(1), bridge);
            // One PORT_DESC reply per handshake (FEATURES_REPLY arrives before the datapath id is known: it
            // counts under datapath_id="unidentified"); each committed bundle is one OPEN and one COMMIT
            // (OpenFlow 1.3: the ONF extension bundle messages).
            Assert.That(Value(m, "ovslb_messages_in_total", dp, ("type", "OFPST_PORT_DESC reply")), Is.EqualTo(connections), bridge);
            double commits = Value(m, "ovslb_bundle_commits_total", dp);
            Assert.That(commits, Is.GreaterThanOrEqualTo(1), bridge);
            Assert.That(Value(m, "ovslb_messages_out_total", dp, ("type", "ONFT_BUNDLE_CONTROL")), Is.EqualTo(2 * commits), bridge);
            Assert.That(Value(m, "ovslb_errors_total", dp), Is.Zero, bridge);
            Assert.That(Value(m, "ovslb_reconcile_duration_seconds_count", dp), Is.GreaterThanOrEqualTo(commits), "every commit is a reconciliation");
            Assert.That(Value(m, "ovslb_reconcile_duration_seconds_sum", dp), Is.GreaterThan(0));
            // The gauge (seconds) and /status (ms) describe the same last reconciliation (rounded to µs in /status).
            double gauge = 0, shown = 0;
            Assert.That(ProcessRunner.WaitUntil(() =>
            {
                gauge = Value(Scrape(), "ovslb_reconcile_last_duration_seconds", dp) * 1000;
                shown = (double)Bridge(_run.Status(), dpid)["lastReconcile"]!["durationMs"]!;
                return Math.Abs(gauge - shown) <= 0.001;
            }, Wait), Is.True, $"{bridge}: last_duration {gauge} ms, status {shown} ms");
            // Installed-state gauges against ovs-ofctl.
            Assert.That(Value(m, "ovslb_lb_flows_installed", dp), Is.EqualTo(_ovs.DumpFlows(bridge).Count), bridge);
            Assert.That(Value(m, "ovslb_lb_groups_installed", dp), Is.EqualTo(_ovs.DumpGroups(bridge).Count), bridge);
            // Bucket gauges against the group OVS holds.
            var sb = OnBridge(Service(status, "web"), bridge);
            var buckets = OvsBuckets(bridge, (uint)sb["groupId"]!);
            foreach (var backend in new[] { "h1-web", "h2-web" })
            {
                Assert.That(Value(m, "ovslb_lb_backend_slots", ("service", "web"), ("backend", backend), ("bridge", bridge)), Is.EqualTo(buckets[Macs[backend]]), $"{bridge} {backend}");
            }
            Assert.That(Value(m, "ovslb_lb_backends_live", ("service", "web"), ("bridge", bridge)), Is.EqualTo(2));
            Assert.That(Value(m, "ovslb_lb_backends_live", ("service", "web-checked"), ("bridge", bridge)), Is.Zero);
        }
        Assert.That(Value(m, "ovslb_lb_services"), Is.EqualTo(2));
        Assert.That(Value(m, "ovslb_lb_bridges_connected"), Is.EqualTo(2));
        Assert.That(Value(m, "ovslb_lb_backends_configured", ("service", "web")), Is.EqualTo(2));
        Assert.That(Value(m, "ovslb_lb_backend_up", ("service", "web"), ("backend", "h2-web")), Is.EqualTo(1));
        Assert.That(Value(m, "ovslb_lb_backend_up", ("service", "web-checked"), ("backend", "h2-web")), Is.Zero);

        // The health-round counter only grows, and /status read in between sits between two scrapes.
        double rounds1 = Value(m, "ovslb_lb_health_rounds_total");
        long statusRounds = (long)_run.Status()["health"]!["rounds"]!;
        double rounds2 = Value(Scrape(), "ovslb_lb_health_rounds_total");
        Assert.That(rounds1, Is.GreaterThan(0));
        Assert.That(statusRounds, Is.InRange(rounds1, rounds2));
    }

    [Test]
    public void Port_status_and_bundle_counters_follow_what_ovs_sends()
    {
        var totalsBefore = Bridge(WaitSteady(), Dp2)["totals"]!;
        var dp2 = ("datapath_id", Dp2);
        // An independent observer: ovs-ofctl monitor gets every asynchronous PORT_STATUS br-host2 sends.
        // OVS sends a service connection asynchronous messages only once it sets a miss_send_len (connmgr.c,
        // ofconn_receives_async_msg): hence 65535. "watch:" makes it print the flow-monitor reply once
        // connected: from then on it sees every message.
        using var monitor = ChildProcess.Start("ovs-ofctl", ["-O", "OpenFlow13", "monitor", "br-host2", "65535", "watch:"], env: _ovs.Env);
        monitor.WaitForLine("FLOW_MONITOR reply", TimeSpan.FromSeconds(10));
        var before = Scrape();
        // ovs-ofctl monitor prints asynchronous messages on stderr (ovs-ofctl.c, monitor_vconn).
        int SeenByMonitor() => monitor.Stderr.Concat(monitor.Stdout).Count(l => l.Contains("OFPT_PORT_STATUS", StringComparison.Ordinal));

        _ovs.Ofctl("mod-port", "br-host2", "web2", "down");
        try
        {
            Assert.That(ProcessRunner.WaitUntil(() => Strings(OnBridge(Service(_run.Status(), "web"), "br-host2")["liveBackends"]).SequenceEqual(["h1-web"]), Wait), Is.True);
        }
        finally
        {
            _ovs.Ofctl("mod-port", "br-host2", "web2", "up");
        }
        var totalsAfter = Bridge(WaitSteady(), Dp2)["totals"]!;
        IReadOnlyList<Sample> after = before;
        bool agree = ProcessRunner.WaitUntil(() =>
        {
            after = Scrape();
            return SeenByMonitor() >= 2 && Value(after, "ovslb_messages_in_total", dp2, ("type", "OFPT_PORT_STATUS")) - Value(before, "ovslb_messages_in_total", dp2, ("type", "OFPT_PORT_STATUS")) == SeenByMonitor();
        }, Wait, TimeSpan.FromMilliseconds(100));
        Assert.That(agree, Is.True, $"PORT_STATUS: ovs-ofctl monitor saw {SeenByMonitor()}, metrics delta {Value(after, "ovslb_messages_in_total", dp2, ("type", "OFPT_PORT_STATUS")) - Value(before, "ovslb_messages_in_total", dp2, ("type", "OFPT_PORT_STATUS"))}\n{monitor.Output()}");
        TestContext.Out.WriteLine($"mod-port down + up: {SeenByMonitor()} PORT_STATUS messages from OVS");

        // Down then up changed br-host2's group twice: two bundles, each OPEN + ADDs + COMMIT.
        double commits = Value(after, "ovslb_bundle_commits_total", dp2) - Value(before, "ovslb_bundle_commits_total", dp2);
        Assert.That(commits, Is.EqualTo(2));
        Assert.That(Value(after, "ovslb_messages_out_total", dp2, ("type", "ONFT_BUNDLE_CONTROL")) - Value(before, "ovslb_messages_out_total", dp2, ("type", "ONFT_BUNDLE_CONTROL")), Is.EqualTo(2 * commits));
        Assert.That(Value(after, "ovslb_reconcile_duration_seconds_count", dp2) - Value(before, "ovslb_reconcile_duration_seconds_count", dp2), Is.GreaterThanOrEqualTo(commits));
        // The session's own totals (shown in /status) moved by as much as the messages counted on the wire.
        long Delta(string key) => (long)totalsAfter[key]! - (long)totalsBefore[key]!;
        Assert.That(Delta("bundleCommits"), Is.EqualTo(commits));
        Assert.That(Delta("flowMods") + Delta("groupMods"), Is.EqualTo(Value(after, "ovslb_messages_out_total", dp2, ("type", "ONFT_BUNDLE_ADD_MESSAGE")) - Value(before, "ovslb_messages_out_total", dp2, ("type", "ONFT_BUNDLE_ADD_MESSAGE"))).And.GreaterThanOrEqualTo(2));
        Assert.That(Value(after, "ovslb_connections_total", dp2), Is.EqualTo(Value(before, "ovslb_connections_total", dp2)), "no reconnect");
    }

    [Test]
    public void Reconnecting_a_bridge_counts_one_more_connection_and_status_shows_the_new_session()
    {
        var status = WaitSteady();
        var dp1 = ("datapath_id", Dp1);
        var before = Scrape();
        string? remote = (string?)Bridge(status, Dp1)["remote"];
        var before2 = status;
        _ovs.Vsctl("del-controller", "br-host1");
        Assert.That(ProcessRunner.WaitUntil(() => !_run.Status()["bridges"]!.AsArray().Any(b => (string?)b!["datapathId"] == Dp1 && (bool)b["connected"]!), Wait), Is.True,
            "br-host1 still shown connected after del-controller");
        _ovs.SetController("br-host1", $"tcp:127.0.0.1:{_openFlowPort}");
        status = WaitSteady();
        var after = Scrape();

        Assert.That(Value(after, "ovslb_connections_total", dp1) - Value(before, "ovslb_connections_total", dp1), Is.EqualTo(1));
        Assert.That(Value(after, "ovslb_messages_in_total", dp1, ("type", "OFPST_PORT_DESC reply")) - Value(before, "ovslb_messages_in_total", dp1, ("type", "OFPST_PORT_DESC reply")), Is.EqualTo(1));
        Assert.That(Value(after, "ovslb_messages_in_total", ("datapath_id", "unidentified"), ("type", "OFPT_FEATURES_REPLY")) - Value(before, "ovslb_messages_in_total", ("datapath_id", "unidentified"), ("type", "OFPT_FEATURES_REPLY")), Is.EqualTo(1));
        Assert.That(Value(after, "ovslb_connections_total", ("datapath_id", Dp2)), Is.EqualTo(Value(before, "ovslb_connections_total", ("datapath_id", Dp2))));
        Assert.That((string?)Bridge(status, Dp1)["remote"], Is.Not.EqualTo(remote), "a new TCP connection comes from a new local port");
        Assert.That(DateTimeOffset.Parse((string)Bridge(status, Dp1)["connectedAt"]!, System.Globalization.CultureInfo.InvariantCulture),
            Is.GreaterThan(DateTimeOffset.Parse((string)Bridge(before2, Dp1)["connectedAt"]!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(OvsConnections(), Is.EquivalentTo(status["bridges"]!.AsArray().Select(b => (string)b!["remote"]!)));
    }
}
