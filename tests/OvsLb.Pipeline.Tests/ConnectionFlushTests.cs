using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Planning;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// A NAT backend that stops being live gets its connection-tracker entries flushed once the plan without it commits
/// (<see cref="ConnectionFlush"/>): which backends, which zones, and the NXT_CT_FLUSH as OVS itself reads it.
/// </summary>
public sealed class ConnectionFlushTests
{
    private const string Config = """
        {
          "bridges": [ { "name": "br0", "lbMac": "02:aa:00:00:00:01", "snatIp": "10.9.1.1" } ],
          "services": [
            { "name": "web", "vip": "10.9.0.100", "port": 80, "mode": "nat",
              "backends": [ { "name": "b1", "ip": "10.9.0.2", "targetPort": 8080 }, { "name": "b2", "ip": "10.9.0.3" } ] },
            { "name": "dns", "vip": "10.9.0.53", "protocol": "udp", "port": 53, "mode": "fullnat",
              "backends": [ { "name": "d1", "ip": "10.9.2.1" }, { "name": "d2", "ip": "10.9.2.2" } ] },
            { "name": "plain", "vip": "10.9.0.101", "port": 80, "mode": "direct",
              "backends": [ { "name": "p1", "mac": "02:00:00:00:01:01" } ] }
          ]
        }
        """;

    private static Scenario _s = null!;
    private static string _dir = "";

    [OneTimeSetUp]
    public void Load()
    {
        _dir = Directory.CreateTempSubdirectory("ovslb-flush-").FullName;
        File.WriteAllText(Path.Combine(_dir, "config.json"), Config);
        File.WriteAllText(Path.Combine(_dir, "ports.txt"), "br0 1 c1\n");
        _s = Scenario.LoadFrom("flush", _dir);
    }

    /// <summary>The scenario's files go with the tests (they were left in /tmp, one directory per run).</summary>
    [OneTimeTearDown]
    public void RemoveFiles()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static BridgePlan Build(params string[] down) =>
        PipelineBuilder.Build(_s.Config, _s.View(_s.Config.Bridges[0], down: new HashSet<string>(down)));

    [Test]
    public void A_nat_backend_going_down_is_flushed_by_its_reply_address_and_port()
    {
        var flushes = ConnectionFlush.Between(Build(), Build("web/b1"), _s.Config.Options);
        Assert.That(flushes.Select(f => f.ToString()), Is.EqualTo(new[] { "zone 64256, replies from 10.9.0.2:8080/tcp", "zone 64257, replies from 10.9.0.2:8080/tcp" }),
            "the SNAT zone too: a hairpinned connection of the backend has its second entry there");
        Assert.That(flushes.Select(f => f.Backend), Has.All.EqualTo("b1"));
    }

    [Test]
    public void A_fullnat_backend_is_flushed_in_both_zones_and_nothing_else_is()
    {
        var flushes = ConnectionFlush.Between(Build(), Build("dns/d2", "plain/p1"), _s.Config.Options);
        Assert.That(flushes.Select(f => f.ToString()), Is.EqualTo(new[]
        {
            "zone 64256, replies from 10.9.2.2:53/udp",
            "zone 64257, replies from 10.9.2.2:53/udp",
        }), "the direct-mode backend has no connection-tracker entries to flush");
    }

    [Test]
    public void No_change_flushes_nothing_and_a_first_commit_flushes_every_backend_not_live()
    {
        Assert.That(ConnectionFlush.Between(Build("web/b2"), Build("web/b2"), _s.Config.Options), Is.Empty);
        var first = ConnectionFlush.Between(null, Build("web/b2"), _s.Config.Options);
        Assert.That(first.Select(f => f.ToString()), Is.EqualTo(new[] { "zone 64256, replies from 10.9.0.3:80/tcp", "zone 64257, replies from 10.9.0.3:80/tcp" }),
            "b2 may have died while no controller watched: its entries must not outlive it");
    }

    [Test]
    public void The_flush_message_is_what_ovs_reads_as_that_zone_and_reply_tuple()
    {
        var f = ConnectionFlush.Between(Build(), Build("web/b1"), _s.Config.Options)[0];
        string hex = Convert.ToHexString(OfpEncoder.ToArray(f.Message with { Xid = 2 }));
        var ovs = ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "ofp-print", hex]).EnsureSuccess().Stdout.Trim();
        Assert.That(ovs, Is.EqualTo("NXT_CT_FLUSH (OF1.3) (xid=0x2): zone=64256 'ct_nw_src=::,ct_nw_dst=::,ct_tp_src=0,ct_tp_dst=0,ct_nw_proto=6' 'ct_nw_src=10.9.0.2,ct_nw_dst=::,ct_tp_src=8080,ct_tp_dst=0'"));
    }
}
