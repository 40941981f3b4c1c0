using System.Globalization;
using OvsLb.Pipeline.Tests.Live;
using OvsLb.Runtime.Tests;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Active ARP health checks against real OVS and real kernels: the real
/// <see cref="Balancer.LoadBalancer"/> probes each backend by PACKET_OUT out of its port; the backend's
/// kernel answers (or, with <c>arp_ignore=8</c>, stays silent); the reply comes back as the pipeline's one
/// packet-in. A silent backend is marked down after <c>fall</c> failed checks and its buckets — only its
/// buckets — move to the others; when it answers again it rises after <c>rise</c> checks and takes a share
/// back. The switch's own log of what it received shows one GROUP_MOD and no FLOW_MOD each time.
/// (TCP checks, which need the controller host to reach the backend, are in TcpHealthCheckTests.)
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class HealthCheckTests
{
    private const ulong Dpid = 0x9201;
    private const string Vip = "10.32.0.100";
    private static readonly string[] Backends = ["b1", "b2", "b3"];
    private static string Mac(int i) => $"02:00:00:00:32:1{i}";

    /// <summary>
    /// direct: backends 10.32.0.11..13 holding the VIP on lo. portgroup: three servers sharing the VIP as their
    /// own address (the probe asks for it out of one server's port; the bridge's drop of the servers' other ARP
    /// must let their replies to the LB MAC through).
    /// </summary>
    private static string Config(string mode) => mode == "direct"
        ? """
          {
            "options": { "buckets": 64 },
            "bridges": [ { "name": "br-hc", "datapathId": "0x9201", "lbMac": "02:00:00:00:32:fe" } ],
            "services": [ {
              "name": "web", "vip": "10.32.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
              "healthCheck": { "kind": "arp", "interval": "300ms", "timeout": "200ms", "rise": 2, "fall": 3 },
              "backends": [
                { "name": "b1", "ip": "10.32.0.11", "mac": "02:00:00:00:32:11", "port": 2 },
                { "name": "b2", "ip": "10.32.0.12", "mac": "02:00:00:00:32:12", "port": 3 },
                { "name": "b3", "ip": "10.32.0.13", "mac": "02:00:00:00:32:13", "port": 4 } ] } ]
          }
          """
        : """
          {
            "options": { "buckets": 64 },
            "bridges": [ { "name": "br-hc", "datapathId": "0x9201", "lbMac": "02:00:00:00:32:fe", "gateways": [ "10.32.0.1" ] } ],
            "services": [ {
              "name": "cluster", "vip": "10.32.0.100", "protocol": "tcp", "port": 80, "mode": "portgroup",
              "healthCheck": { "kind": "arp", "interval": "300ms", "timeout": "200ms", "rise": 2, "fall": 3 },
              "backends": [
                { "name": "b1", "mac": "02:00:00:00:32:11", "port": 2 },
                { "name": "b2", "mac": "02:00:00:00:32:12", "port": 3 },
                { "name": "b3", "mac": "02:00:00:00:32:13", "port": 4 } ] } ]
          }
          """;

    [TestCase("direct")]
    [TestCase("portgroup")]
    public async Task An_arp_check_takes_a_silent_backend_out_and_back_moving_only_its_buckets(string mode)
    {
        var spec = new TopologySpec().Bridge("br-hc", Dpid);
        for (int i = 1; i <= 3; i++)
        {
            spec.Host(Backends[i - 1], "br-hc", (uint)(i + 1), mode == "direct" ? $"10.32.0.1{i}/24" : Vip + "/24", mac: Mac(i),
                gateway: mode == "direct" ? null : "10.32.0.1");
        }
        using var topo = LbTopology.Start(spec);
        if (mode == "direct") foreach (var b in Backends) topo.Host(b).HoldVip(Vip);
        await using var live = LiveLoadBalancer.Start(topo, Config(mode));
        var session = live.Session("br-hc");
        Assert.That(ProcessRunner.WaitUntil(() => live.Lb.HealthRounds >= 4, TimeSpan.FromSeconds(10)), Is.True, "health checks run");
        var all = live.Buckets("br-hc");
        Assert.That(all.Select(b => b.EthDst).Distinct(), Is.EquivalentTo(new[] { Mac(1), Mac(2), Mac(3) }), "every backend answers its probes and owns buckets");
        Assert.That(live.Log.Lines.Where(l => l.Contains("DOWN", StringComparison.Ordinal)), Is.Empty, "no backend marked down while all answer");

        var witness = new OvsReceivedLog(topo.Ovs);
        int mark = await witness.SyncAsync(session, live.Controller.Target);
        var b2 = topo.Host("b2");
        string restore = b2.Exec("sysctl", "-n", "net.ipv4.conf.eth0.arp_ignore").Stdout.Trim();
        double t0 = TrafficStream.Now();
        b2.Exec("sysctl", "-q", "-w", "net.ipv4.conf.eth0.arp_ignore=8");   // reply to no ARP request at all
        Assert.That(live.WaitForBuckets("br-hc", b => b.All(x => x.EthDst != Mac(2)), TimeSpan.FromSeconds(15)), Is.True,
            "b2's buckets move once it stops answering:\n" + live.LogTail());
        double downAt = live.Log.FirstTime("backend b2: DOWN (arp check)", t0) ?? double.NaN;
        var without = live.Buckets("br-hc");
        int mark2 = await witness.SyncAsync(session, live.Controller.Target);
        var downMods = witness.ModsSince(live.Controller.Target, mark);

        double t1 = TrafficStream.Now();
        b2.Exec("sysctl", "-q", "-w", "net.ipv4.conf.eth0.arp_ignore=" + restore);
        Assert.That(live.WaitForBuckets("br-hc", b => b.Any(x => x.EthDst == Mac(2)), TimeSpan.FromSeconds(15)), Is.True,
            "b2 rises once it answers again:\n" + live.LogTail());
        double upAt = live.Log.FirstTime("backend b2: UP (arp check)", t1) ?? double.NaN;
        var back = live.Buckets("br-hc");
        await witness.SyncAsync(session, live.Controller.Target);
        var upMods = witness.ModsSince(live.Controller.Target, mark2);

        var movedDown = OvsBucket.Changed(all, without);
        var movedUp = OvsBucket.Changed(without, back);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{mode}: b2 silent → DOWN after {(downAt - t0) * 1000:0} ms (fall 3 × 300 ms), {movedDown.Count} of {all.Count} buckets moved; " +
            $"answering again → UP after {(upAt - t1) * 1000:0} ms (rise 2), {movedUp.Count} buckets moved back; mods: down {string.Join(" | ", downMods.Select(m => m.Text[..Math.Min(60, m.Text.Length)]))}; " +
            $"{live.Controller.PacketIns.Count} packet-ins (probe replies)"));
        Assert.Multiple(() =>
        {
            Assert.That(live.Log.Lines, Has.Exactly(1).Contains("backend b2: DOWN (arp check)"));
            Assert.That(live.Log.Lines, Has.Exactly(1).Contains("backend b2: UP (arp check)"));
            Assert.That(movedDown, Is.EqualTo(Enumerable.Range(0, all.Count).Where(i => all[i].EthDst == Mac(2))),
                "exactly the buckets b2 owned changed");
            Assert.That(movedDown.Select(i => without[i].EthDst).Distinct(), Is.SubsetOf(new[] { Mac(1), Mac(3) }));
            Assert.That(movedUp.Select(i => back[i].EthDst).Distinct(), Is.EqualTo(new[] { Mac(2) }), "coming back, only buckets b2 takes change");
            Assert.That(movedUp.Count, Is.InRange(all.Count / 3 - 4, all.Count / 3 + 4), "and it takes about its share");
            // Persistence (the default): the backend's pick flow goes with it, so its connections are picked anew; nothing else changes.
            Assert.That(downMods.Where(m => m.IsFlowMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.Contains("FLOW_MOD DEL_STRICT table:24 "),
                "only the backend's own pick flow changes when a non-master backend goes down");
            Assert.That(downMods.Count(m => m.IsGroupMod), Is.EqualTo(1), string.Join("\n", downMods));
            Assert.That(upMods.Where(m => m.IsFlowMod).Select(m => m.Text), Has.Exactly(1).Items.And.All.Contains("FLOW_MOD ADD table:24 "), "its pick flow comes back");
            Assert.That(upMods.Count(m => m.IsGroupMod), Is.EqualTo(1), string.Join("\n", upMods));
            Assert.That(live.Controller.PacketIns.First.Where(p => p.TableId != LbPipeline.Arp.Id || (p.Cookie >> 40 & 0xff) != (ulong)FlowFeature.Health), Is.Empty,
                "the only packet-ins are probe replies from the health flow");
        });
    }
}
