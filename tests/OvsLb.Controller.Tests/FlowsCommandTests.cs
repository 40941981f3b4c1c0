using System.Text.RegularExpressions;
using OvsLb.Controller.Cli;
using OvsLb.Pipeline;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb flows</c> from the configuration alone: <c>--plain</c> output equals the golden dumps of every
/// scenario (themselves checked against a real OVS by the pipeline tests and by
/// <see cref="DebugCommandsOvsTests"/>), the annotated output puts each flow under its table's header,
/// named ports need numbers, and <c>--down</c> takes a backend out of its group.
/// </summary>
[TestFixture]
public class FlowsCommandTests
{
    public static IEnumerable<TestCaseData> ScenarioBridges() =>
        Ovslb.Scenarios.SelectMany(s => Ovslb.Bridges(s).Select(b => new TestCaseData(s, b).SetArgDisplayNames(s, b)));

    [TestCaseSource(nameof(ScenarioBridges))]
    public void Plain_output_is_the_golden_dump(string scenario, string bridge)
    {
        var ports = Ovslb.PortsArg(scenario, bridge);
        var flows = Ovslb.Run("flows", "--config", Ovslb.Config(scenario), "--bridge", bridge, "--ports", ports, "--plain");
        var groups = Ovslb.Run("flows", "--config", Ovslb.Config(scenario), "--bridge", bridge, "--ports", ports, "--plain-groups");
        Assert.Multiple(() =>
        {
            Assert.That(flows.Code, Is.Zero, flows.Err);
            Assert.That(flows.Err, Is.Empty, "a golden scenario takes effect without warnings");
            Assert.That(flows.Out, Is.EqualTo(File.ReadAllText(Path.Combine(Ovslb.Dir(scenario), bridge + ".flows.txt"))), $"flows/{scenario}/{bridge}.flows.txt");
            Assert.That(groups.Code, Is.Zero, groups.Err);
            Assert.That(groups.Out, Is.EqualTo(File.ReadAllText(Path.Combine(Ovslb.Dir(scenario), bridge + ".groups.txt"))), $"flows/{scenario}/{bridge}.groups.txt");
        });
    }

    [Test]
    public void Annotated_output_puts_each_flow_under_its_tables_header_and_names_each_groups_service()
    {
        var r = Ovslb.Run("flows", "--config", Ovslb.Config("translate"), "--bridge", "br-lb", "--ports", "uplink0=1");
        Assert.That(r.Code, Is.Zero, r.Err);
        var plain = Ovslb.Lines(Ovslb.Run("flows", "--config", Ovslb.Config("translate"), "--bridge", "br-lb", "--ports", "uplink0=1", "--plain").Out);
        var groups = Ovslb.Lines(Ovslb.Run("flows", "--config", Ovslb.Config("translate"), "--bridge", "br-lb", "--plain-groups").Out);
        int? table = null;
        var seenFlows = new List<string>();
        var headers = new List<int>();
        var groupComments = new List<string>();
        foreach (var line in Ovslb.Lines(r.Out))
        {
            var h = Regex.Match(line, @"^# table=(\d+) (\w+): (.+)$");
            if (h.Success)
            {
                table = int.Parse(h.Groups[1].Value);
                var declared = LbPipeline.ById((byte)table.Value)!;
                Assert.That((h.Groups[2].Value, h.Groups[3].Value), Is.EqualTo((declared.Name, declared.Purpose)), line);
                headers.Add(table.Value);
                continue;
            }
            if (line.StartsWith("# group ", StringComparison.Ordinal)) groupComments.Add(line);
            if (line.StartsWith('#')) continue;
            if (line.StartsWith("group_id=", StringComparison.Ordinal) || line.StartsWith("meter=", StringComparison.Ordinal)) continue;
            var t = Regex.Match(line, @"(?:^|, )table=(\d+),");
            Assert.That(t.Success ? int.Parse(t.Groups[1].Value) : 0, Is.EqualTo(table), $"flow under the wrong header: {line}");
            seenFlows.Add(line);
        }
        Assert.Multiple(() =>
        {
            Assert.That(headers, Is.EqualTo(LbPipeline.Tables.Select(t => (int)t.Id).Order()), "a header for every pipeline table");
            Assert.That(seenFlows, Is.EqualTo(plain), "the same flows as --plain, in the same order");
            Assert.That(Ovslb.Lines(r.Out).Where(l => l.StartsWith("group_id=", StringComparison.Ordinal)), Is.EquivalentTo(groups));
            Assert.That(groupComments, Has.Count.EqualTo(1), "api's select group (dns is UDP: multipath and slot flows, no group)");
            // "# group N: service 'api' (tcp 10.0.0.100:8080, translate), 256 buckets: b1 ×51, b2 ×51, b3 ×154"
            foreach (var c in groupComments)
            {
                var m = Regex.Match(c, @"^# group \d+: service '(\w+)' \((tcp|udp) 10\.0\.0\.100:(\d+), translate\), (\d+) buckets: (.+)$");
                Assert.That(m.Success, c);
                int total = m.Groups[5].Value.Split(", ").Sum(x => int.Parse(x.Split('×')[1]));
                Assert.That(total, Is.EqualTo(int.Parse(m.Groups[4].Value)), "bucket shares add up to the bucket count: " + c);
            }
        });
    }

    private const string NamedPorts = """
        {
          "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
          "services": [ { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
            "backends": [ { "name": "a", "mac": "02:00:00:00:00:0a", "port": "veth-a" },
                          { "name": "b", "mac": "02:00:00:00:00:0b", "port": "veth-b" },
                          { "name": "c", "mac": "02:00:00:00:00:0c", "port": 9 } ] } ]
        }
        """;

    [Test]
    public void A_named_port_needs_a_number_and_the_error_names_it()
    {
        using var f = new Ovslb.TempFile(NamedPorts);
        var missing = Ovslb.Run("flows", "--config", f.Path, "--bridge", "br0", "--ports", "veth-a=3");
        Assert.Multiple(() =>
        {
            Assert.That(missing.Code, Is.EqualTo(CommandLine.ExitError));
            Assert.That(missing.Out, Is.Empty);
            Assert.That(missing.Err, Does.Contain("port 'veth-b' (service 'web' backend 'b') has no number"));
            Assert.That(missing.Err, Does.Contain("--ports veth-b=N"));
            Assert.That(missing.Err, Does.Not.Contain("'veth-a'"));
        });
        var ok = Ovslb.Run("flows", "--config", f.Path, "--bridge", "br0", "--ports", "veth-a=3,veth-b=4", "--plain-groups");
        Assert.That(ok.Code, Is.Zero, ok.Err);
        // Buckets name the backend in reg1 (persistence, the default) and keep its port as watch_port.
        var outputs = Regex.Matches(ok.Out, @"watch_port:(\d+)").Select(m => m.Groups[1].Value).Distinct().Order();
        Assert.That(outputs, Is.EqualTo(new[] { "3", "4", "9" }), "the named ports got the numbers given, the numbered one kept its own");
    }

    [Test]
    public void Down_backends_leave_the_group_and_others_keep_their_buckets()
    {
        using var f = new Ovslb.TempFile(NamedPorts);
        var all = Buckets(Ovslb.Run("flows", "--config", f.Path, "--bridge", "br0", "--ports", "veth-a=3,veth-b=4", "--plain-groups").Out);
        var down = Buckets(Ovslb.Run("flows", "--config", f.Path, "--bridge", "br0", "--ports", "veth-a=3,veth-b=4", "--down", "web/b", "--plain-groups").Out);
        Assert.Multiple(() =>
        {
            Assert.That(all.Distinct().Order(), Is.EqualTo(new[] { "3", "4", "9" }));
            Assert.That(down.Distinct().Order(), Is.EqualTo(new[] { "3", "9" }));
            Assert.That(Enumerable.Range(0, all.Count).Where(i => all[i] != "4").All(i => down[i] == all[i]), Is.True,
                "buckets of the backends still up stay where they were (Maglev)");
        });
        var bad = Ovslb.Run("flows", "--config", f.Path, "--bridge", "br0", "--ports", "veth-a=3,veth-b=4", "--down", "web/zz");
        Assert.That((bad.Code, bad.Err), Is.EqualTo((CommandLine.ExitError, "ovslb flows: --down web/zz: no such backend (expected SERVICE/BACKEND, one of: web/a, web/b, web/c)\n")));
    }

    private static List<string> Buckets(string groups) => Regex.Matches(groups, @"watch_port:(\d+)").Select(m => m.Groups[1].Value).ToList();

    [Test]
    public void Usage_mistakes_are_named()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Ovslb.Run("flows", "--bridge", "br-lb").Err, Is.EqualTo("ovslb flows: --config FILE is required\n"));
            Assert.That(Ovslb.Run("flows", "--config", Ovslb.Config("direct")).Err, Is.EqualTo("ovslb flows: --bridge NAME is required\n"));
            Assert.That(Ovslb.Run("flows", "--config", Ovslb.Config("direct"), "--bridge", "br-x").Err,
                Is.EqualTo("ovslb flows: bridge 'br-x' is not in " + Ovslb.Config("direct") + " (bridges: br-lb)\n"));
            Assert.That(Ovslb.Run("flows", "--config", Ovslb.Config("direct"), "--bridge", "br-lb", "--ports", "uplink").Err,
                Is.EqualTo("ovslb flows: --ports: 'uplink' is not NAME=NUMBER (an OpenFlow port number, e.g. uplink=1)\n"));
            Assert.That(Ovslb.Run("flows", "--config", Ovslb.Config("direct"), "--bridge", "br-lb", "--color").Code, Is.EqualTo(CommandLine.ExitUsage));
            Assert.That(Ovslb.Run("flows", "--config", "/nonexistent.json", "--bridge", "br-lb").Err,
                Is.EqualTo("ovslb flows: configuration file '/nonexistent.json' does not exist\n"));
            Assert.That(Ovslb.Run("diff", "--config", Ovslb.Config("direct")), Is.EqualTo((CommandLine.ExitError, "",
                "ovslb diff: --switch unix:/var/run/openvswitch/BRIDGE.mgmt | tcp:HOST:PORT | BRIDGE is required\n")));
            Assert.That(Ovslb.Run("which", "--config", Ovslb.Config("direct"), "--switch", "br-lb", "--ports", "uplink=1", "tcp", "1.2.3.4:5", "10.0.0.100:80").Err,
                Is.EqualTo("ovslb which: --ports is not used with --switch: the switch's own port numbers are\n"));
            Assert.That(Ovslb.Run("which", "--config", Ovslb.Config("direct"), "--bridge", "br-lb", "tcp", "1.2.3.4", "10.0.0.100:80").Err,
                Is.EqualTo("ovslb which: '1.2.3.4' is not IPV4:PORT\n"));
        });
    }
}
