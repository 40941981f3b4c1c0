using System.Globalization;
using OvsLb.Runtime.Tests;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Active TCP health checks: a TCP connect from the controller host to each backend's
/// <c>ip:port</c>. The controller host here is the switch namespace, running the real <c>ovslb run</c>
/// process, with a leg on the bridge (its LOCAL port, 10.33.0.254/24), so every check is a real connection
/// through OVS to the backend's kernel, which counts it. A backend whose server stops (connection refused)
/// is marked down after <c>fall</c> checks, its buckets — only its — move, clients stop reaching it; when the
/// server is back it rises after <c>rise</c> checks and takes its share again.
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class TcpHealthCheckTests
{
    private const ulong Dpid = 0x9301;
    private const string Vip = "10.33.0.100";
    private static readonly string[] Backends = ["b1", "b2", "b3"];
    private static string Mac(int i) => $"02:00:00:00:33:1{i}";

    private const string Config = """
        {
          "options": { "buckets": 64 },
          "bridges": [ { "name": "br-tc", "datapathId": "0x9301", "lbMac": "02:00:00:00:33:fe" } ],
          "services": [ {
            "name": "web", "vip": "10.33.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
            "healthCheck": { "kind": "tcp", "interval": "300ms", "timeout": "200ms", "rise": 2, "fall": 3 },
            "backends": [
              { "name": "b1", "ip": "10.33.0.11", "mac": "02:00:00:00:33:11", "port": 2 },
              { "name": "b2", "ip": "10.33.0.12", "mac": "02:00:00:00:33:12", "port": 3 },
              { "name": "b3", "ip": "10.33.0.13", "mac": "02:00:00:00:33:13", "port": 4 } ] } ]
        }
        """;

    [Test]
    public void A_tcp_check_from_the_controller_host_takes_a_refusing_backend_out_and_back()
    {
        var spec = new TopologySpec().Bridge("br-tc", Dpid).Host("client", "br-tc", 1, "10.33.0.2/24");
        for (int i = 1; i <= 3; i++) spec.Host(Backends[i - 1], "br-tc", (uint)(i + 1), $"10.33.0.1{i}/24", mac: Mac(i));
        using var topo = LbTopology.Start(spec);
        // The controller host's leg on the bridge: the LOCAL port (a tap device in the switch namespace).
        topo.Switch.Ip("addr", "add", "10.33.0.254/24", "dev", "br-tc");
        topo.Switch.Ip("link", "set", "br-tc", "up");
        topo.Switch.Exec("python3", TrafficTools.Script("txcsum_off.py"), "br-tc");
        var servers = new Dictionary<string, TrafficServer>();
        foreach (var b in Backends)
        {
            topo.Host(b).HoldVip(Vip);
            servers[b] = topo.Host(b).StartServer(80);
        }
        var b2 = topo.Host("b2");
        long opensBefore = TcpPassiveOpens(b2);
        using var ovslb = OvslbRun.Start(topo, Config);
        var witness = new OvsReceivedLog(topo.Ovs);
        Assert.That(ProcessRunner.WaitUntil(() => TcpPassiveOpens(b2) >= opensBefore + 4, TimeSpan.FromSeconds(10)), Is.True,
            "the checks are real connections through the bridge to the backend's kernel:\n" + ovslb.Tail());
        var client = topo.Host("client");
        var all = Buckets(topo);
        var before = client.RunClient(new TrafficRequest(Vip, 80) { Count = 150 });

        int mark = witness.Received(OvslbRun.TopologyTarget).Count;
        int lines = ovslb.Lines.Count;
        double t0 = TrafficStream.Now();
        servers["b2"].Dispose();   // nothing listens on b2:80 any more: connects are refused
        string down = ovslb.WaitFor("backend b2: DOWN \\(tcp check\\)", lines, TimeSpan.FromSeconds(15));
        double downAt = TrafficStream.Now();
        ovslb.WaitFor("Reconciled", ovslb.Lines.ToList().IndexOf(down), TimeSpan.FromSeconds(10));
        Assert.That(ProcessRunner.WaitUntil(() => Buckets(topo).All(b => b.EthDst != Mac(2)), TimeSpan.FromSeconds(10)), Is.True, ovslb.Tail());
        var without = Buckets(topo);
        var downMods = witness.ModsSince(OvslbRun.TopologyTarget, mark);
        var during = client.RunClient(new TrafficRequest(Vip, 80) { Count = 150 });

        mark = witness.Received(OvslbRun.TopologyTarget).Count;
        lines = ovslb.Lines.Count;
        double t1 = TrafficStream.Now();
        servers["b2"] = b2.StartServer(80);
        string up = ovslb.WaitFor("backend b2: UP \\(tcp check\\)", lines, TimeSpan.FromSeconds(15));
        double upAt = TrafficStream.Now();
        ovslb.WaitFor("Reconciled", ovslb.Lines.ToList().IndexOf(up), TimeSpan.FromSeconds(10));
        Assert.That(ProcessRunner.WaitUntil(() => Buckets(topo).Any(b => b.EthDst == Mac(2)), TimeSpan.FromSeconds(10)), Is.True, ovslb.Tail());
        var back = Buckets(topo);
        var upMods = witness.ModsSince(OvslbRun.TopologyTarget, mark);
        var after = client.RunClient(new TrafficRequest(Vip, 80) { Count = 150 });

        var movedDown = OvsBucket.Changed(all, without);
        var movedUp = OvsBucket.Changed(without, back);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"b2 refusing → DOWN logged within {(downAt - t0) * 1000:0} ms (fall 3 × 300 ms), {movedDown.Count} of {all.Count} buckets moved; " +
            $"listening again → UP within {(upAt - t1) * 1000:0} ms (rise 2), {movedUp.Count} moved\n{before.Summary()}\n{during.Summary()}\n{after.Summary()}"));
        Assert.Multiple(() =>
        {
            Assert.That(before.Failures + during.Failures + after.Failures, Is.Zero);
            Assert.That(before.Tally.Keys, Is.EquivalentTo(Backends));
            Assert.That(during.Tally.Keys, Is.EquivalentTo(new[] { "b1", "b3" }), "no client is sent to the backend that refuses");
            Assert.That(after.Tally.Keys, Is.EquivalentTo(Backends), "it gets clients again once it is up");
            Assert.That(movedDown, Is.EqualTo(Enumerable.Range(0, all.Count).Where(i => all[i].EthDst == Mac(2))), "exactly b2's buckets changed");
            Assert.That(movedUp.Select(i => back[i].EthDst).Distinct(), Is.EqualTo(new[] { Mac(2) }), "coming back, only the buckets b2 takes change");
            Assert.That(downMods.Where(m => m.IsFlowMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.Contains("FLOW_MOD DEL_STRICT table:24 "), string.Join("\n", downMods));
            Assert.That(downMods.Count(m => m.IsGroupMod), Is.EqualTo(1), string.Join("\n", downMods));
            Assert.That(upMods.Where(m => m.IsFlowMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.Contains("FLOW_MOD ADD table:24 "), string.Join("\n", upMods));
            Assert.That(upMods.Count(m => m.IsGroupMod), Is.EqualTo(1), string.Join("\n", upMods));
        });
    }

    private static IReadOnlyList<OvsBucket> Buckets(LbTopology topo) => OvsBucket.Dump(topo.Ovs, "br-tc");

    /// <summary>The backend kernel's own count of accepted TCP connections.</summary>
    private static long TcpPassiveOpens(TopologyHost h) => h.SnmpCounter("Tcp", "PassiveOpens");
}
