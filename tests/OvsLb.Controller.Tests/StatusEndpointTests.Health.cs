using System.Net;
using System.Text.Json.Nodes;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>Health, metrics and read-only behaviour of the status endpoint (fixture in StatusEndpointTests.cs).</summary>
public partial class StatusEndpointTests
{
    /// <summary>An ARP reply from h1-web (10.0.0.11, 02:00:00:00:00:11) to br-host1's LB MAC, arriving on port web1.</summary>
    private void InjectArpReplyFromH1() => _ovs.Appctl("netdev-dummy/receive", "web1",
        "eth(src=02:00:00:00:00:11,dst=02:00:00:00:10:01),eth_type(0x0806),arp(sip=10.0.0.11,tip=10.0.0.101,op=2,sha=02:00:00:00:00:11,tha=02:00:00:00:10:01)");

    [Test]
    public void Arp_health_checks_show_backends_down_until_one_answers_through_ovs()
    {
        var status = WaitSteady();
        var check = Service(status, "web-checked");
        Assert.That((string?)check["healthCheck"], Is.EqualTo("arp"));
        Assert.That(check["backends"]!.AsArray().Select(b => ((string?)b!["health"], (bool?)b["live"])), Is.All.EqualTo(("down", false)));
        Assert.That(Strings(status["health"]!["down"]), Is.EqualTo(new[] { "web-checked/h1-web", "web-checked/h2-web" }));
        Assert.That((long)status["health"]!["rounds"]!, Is.GreaterThanOrEqualTo(2), "fall=2: at least two failed rounds");
        foreach (var bridge in new[] { "br-host1", "br-host2" })
        {
            // stopArpWhenAllDown: no bridge answers for 10.0.0.101, and OVS indeed has no responder for it.
            Assert.That((bool?)OnBridge(check, bridge)["arpAnswered"], Is.False);
            Assert.That(_ovs.DumpFlows(bridge).Where(f => f.Contains("arp_tpa=10.0.0.101,", StringComparison.Ordinal)), Is.Empty);
        }

        // h1-web answers: replies enter br-host1 on web1, its health-reply flow sends them to the controller.
        using var stop = new CancellationTokenSource();
        var injector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) InjectArpReplyFromH1();
        });
        try
        {
            JsonNode? s = null;
            bool up = ProcessRunner.WaitUntil(() =>
            {
                s = _run.Status();
                var c = Service(s, "web-checked");
                return (string?)Backend(c, "h1-web")["health"] == "up"
                    && c["bridges"]!.AsArray().All(b => Strings(b!["liveBackends"]).SequenceEqual(["h1-web"]) && (bool)b["arpAnswered"]!)
                    && _ovs.DumpFlows("br-host1").Any(f => f.Contains("arp_tpa=10.0.0.101,", StringComparison.Ordinal));
            }, Wait, TimeSpan.FromMilliseconds(50));
            Assert.That(up, Is.True, $"{s}\n{_run.Process.Output()}");
            Assert.That((string?)Backend(Service(s!, "web-checked"), "h2-web")["health"], Is.EqualTo("down"));
            Assert.That((string?)Backend(Service(s!, "web"), "h1-web")["health"], Is.EqualTo("unchecked"), "web has no check of its own");
            Assert.That(_run.Process.Stdout.Any(l => l.Contains("backend h1-web: UP (arp check)", StringComparison.Ordinal)), Is.True);
        }
        finally
        {
            stop.Cancel();
            injector.Wait(Wait);
        }
        WaitSteady(); // unanswered again: down after two rounds
    }

    [Test]
    public void Only_get_is_served_and_nothing_changes_the_switches()
    {
        WaitSteady();
        var before = (_ovs.DumpFlows("br-host1"), _ovs.DumpGroups("br-host1"));
        foreach (var path in new[] { "/status", "/metrics", "/" })
        {
            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
            {
                using var r = _run.Send(method, path);
                Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed), $"{method} {path}");
                Assert.That(r.Content.Headers.Allow.Concat(r.Headers.TryGetValues("Allow", out var a) ? a : []), Does.Contain("GET"), $"{method} {path}");
            }
        }
        using (var r = _run.Send(HttpMethod.Get, "/no-such-thing")) Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using (var r = _run.Send(HttpMethod.Get, "/"))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(r.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            Assert.That(JsonNode.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult())!["bridges"]!.AsArray().Count, Is.EqualTo(2));
        }
        Assert.That((_ovs.DumpFlows("br-host1"), _ovs.DumpGroups("br-host1")), Is.EqualTo(before));
    }
}
