using System.Text.RegularExpressions;
using OvsLb.Controller.Cli;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb flows</c> and <c>ovslb diff</c> against a real Open vSwitch (dummy datapath): what
/// <c>flows</c> prints is ovs-ofctl syntax that OVS installs and dumps back unchanged; <c>diff</c> finds
/// nothing to change on a bridge the running controller (<c>ovslb run</c>, a separate process) has
/// programmed, lists the flows the datapath learned as not managed, and after hand edits prints each
/// change as ovs-ofctl diff-flows would, with exit code 2.
/// </summary>
[TestFixture, Category("Ovs")]
public class DebugCommandsOvsTests
{
    [Test]
    public void Flows_output_is_installed_by_ovs_ofctl_and_dumped_back_unchanged_for_every_scenario()
    {
        using var ovs = OvsSandbox.Start();
        int n = 0;
        foreach (var scenario in Ovslb.Scenarios)
        {
            foreach (var bridge in Ovslb.Bridges(scenario))
            {
                string br = ovs.AddBridge($"brf{n++}");
                foreach (var p in Ovslb.Ports(scenario).Where(p => p.Bridge == bridge)) ovs.AddDummyPort(br, $"{br}-{p.Name}", (int)p.No);
                string[] common = ["flows", "--config", Ovslb.Config(scenario), "--bridge", bridge, "--ports", Ovslb.PortsArg(scenario, bridge)];
                var flows = Ovslb.Run([.. common, "--plain"]);
                var groups = Ovslb.Run([.. common, "--plain-groups"]);
                Assert.That((flows.Code, groups.Code), Is.EqualTo((0, 0)), flows.Err + groups.Err);
                using var ff = new Ovslb.TempFile(flows.Out, ".txt");
                using var gf = new Ovslb.TempFile(groups.Out, ".txt");
                ovs.Ofctl("add-groups", br, gf.Path);
                ovs.Ofctl("add-flows", br, ff.Path);
                Assert.Multiple(() =>
                {
                    Assert.That(ovs.DumpFlows(br), Is.EqualTo(Ovslb.Lines(flows.Out).Order(StringComparer.Ordinal)), $"{scenario}/{bridge} flows");
                    Assert.That(ovs.DumpGroups(br), Is.EqualTo(Ovslb.Lines(groups.Out).Order(StringComparer.Ordinal)), $"{scenario}/{bridge} groups");
                });
            }
        }
    }

    /// <summary>The translate scenario as an ovslb file: Controller section (listen on a free port) + LoadBalancer section.</summary>
    private static string OvslbFile() =>
        $$"""{ "Controller": { "Listen": [ "127.0.0.1:0" ] }, "LoadBalancer": {{File.ReadAllText(Ovslb.Config("translate"))}} }""";

    [Test]
    public void Diff_is_empty_on_a_bridge_the_controller_programmed_and_shows_each_hand_edit()
    {
        using var cfg = new Ovslb.TempFile(OvslbFile());
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br-lb", 0xa1);
        ovs.AddDummyPort("br-lb", "uplink0", 1);
        string target = "unix:" + ovs.MgmtSocket("br-lb");
        string[] diffArgs = ["diff", "--config", cfg.Path, "--switch", target];
        string learnedActions = "";

        // Before the controller: everything is missing.
        var empty = Ovslb.Run(diffArgs);
        var desiredFlows = Ovslb.Lines(Ovslb.Run("flows", "--config", cfg.Path, "--bridge", "br-lb", "--ports", "uplink0=1", "--plain").Out);
        var desiredGroups = Ovslb.Lines(Ovslb.Run("flows", "--config", cfg.Path, "--bridge", "br-lb", "--plain-groups").Out);
        // The meters, from the annotated listing (the renew meter of table 25: this file has a TCP service with persistence).
        var desiredMeters = Ovslb.Lines(Ovslb.Run("flows", "--config", cfg.Path, "--bridge", "br-lb", "--ports", "uplink0=1").Out).Where(l => l.StartsWith("meter=", StringComparison.Ordinal)).ToList();
        Assert.That(desiredMeters, Is.EqualTo(new[] { "meter=2 pktps burst stats bands= type=drop rate=1000 burst_size=1000" }));
        Assert.That(empty.Code, Is.EqualTo(DiffCommand.ExitDiffers), empty.Out + empty.Err);
        Assert.That(Changes(empty.Out), Is.EquivalentTo(desiredFlows.Concat(desiredGroups).Concat(desiredMeters).Select(l => "+" + l)));

        using (var controller = OvslbRun.Start(["--config", cfg.Path, "--Status:Listen=127.0.0.1:0"]))
        {
            try
            {
                ovs.SetController("br-lb", $"tcp:127.0.0.1:{controller.OpenFlowPort()}");
                (int Code, string Out, string Err) r = default;
                Assert.That(ProcessRunner.WaitUntil(() => (r = Ovslb.Run(diffArgs)).Code == 0, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)), Is.True,
                    "the controller's state and ovslb diff's desired state agree:\n" + r.Out + r.Err);
                Assert.That(r.Out, Does.Contain($"# desired {desiredFlows.Length} flows, {desiredGroups.Length} groups; installed and managed {desiredFlows.Length} flows, {desiredGroups.Length} groups\n"));
                Assert.That(r.Out, Does.Contain("# no difference: the switch holds exactly the desired flows and groups\n"));

                // The gateway's ARP makes the datapath learn a next hop: not managed, not a difference.
                ovs.Appctl("netdev-dummy/receive", "uplink0",
                    "in_port(1),eth(src=02:00:00:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.1,op=1,sha=02:00:00:00:00:01,tha=00:00:00:00:00:00)");
                Assert.That(ProcessRunner.WaitUntil(() => ovs.DumpFlows("br-lb").Any(f => f.StartsWith("cookie=0x4c42ff", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)), Is.True);
                r = Ovslb.Run(diffArgs);
                Assert.That(r.Code, Is.Zero, r.Out);
                var learned = ovs.DumpFlows("br-lb").Single(f => f.StartsWith("cookie=0x4c42ff", StringComparison.Ordinal));
                learnedActions = learned[(learned.IndexOf(" actions=", StringComparison.Ordinal) + 9)..];
                Assert.That(r.Out, Does.Contain("# not managed (left alone by the controller): 1 learned (cookie feature 0xff), 0 with another cookie, 0 groups outside the owned id range\n " + learned + "\n"));
            }
            finally
            {
                controller.Stop(TimeSpan.FromSeconds(15)); // a clean shutdown leaves its flows; disposing kills it if it did not stop
            }
        }

        // Hand edits with the controller gone (it leaves its flows in place).
        string deleted = desiredFlows.Single(f => f.Contains("table=30, priority=0 ", StringComparison.Ordinal));
        string changedBefore = desiredFlows.Single(f => f.Contains("table=20, priority=0 ", StringComparison.Ordinal));
        ovs.Ofctl("del-flows", "--strict", "br-lb", "table=30,priority=0");
        ovs.Ofctl("mod-flows", "--strict", "br-lb", "table=20,priority=0,actions=NORMAL");
        ovs.Ofctl("add-flow", "br-lb", "cookie=0x4c42030000000001,table=20,priority=200,tcp,nw_dst=10.0.0.200,tp_dst=80,actions=drop");
        ovs.Ofctl("add-flow", "br-lb", "priority=5,actions=drop");
        var group = Regex.Match(desiredGroups[0], @"^group_id=(\d+)").Groups[1].Value;
        ovs.Ofctl("mod-group", "br-lb", $"group_id={group},type=select,bucket=actions=drop");
        ovs.Ofctl("add-group", "br-lb", "group_id=7,type=select,bucket=actions=drop");
        var installed = ovs.DumpFlows("br-lb");
        var d = Ovslb.Run(diffArgs);
        Assert.That(d.Code, Is.EqualTo(DiffCommand.ExitDiffers), d.Out + d.Err);
        Assert.Multiple(() =>
        {
            Assert.That(Changes(d.Out), Is.EquivalentTo(new[]
            {
                "+" + deleted,
                "-" + installed.Single(f => f.Contains("table=20, priority=0 ", StringComparison.Ordinal)),
                "+" + changedBefore,
                "-" + installed.Single(f => f.Contains("nw_dst=10.0.0.200", StringComparison.Ordinal)),
                "-" + ovs.DumpGroups("br-lb").Single(g => g.StartsWith($"group_id={group},", StringComparison.Ordinal)),
                "+" + desiredGroups[0],
            }));
            Assert.That(d.Out, Does.Contain("# 1 flows to delete, 2 to add or change, 1 groups to add or change, 0 to delete\n"));
            Assert.That(d.Out, Does.Contain("# not managed (left alone by the controller): 1 learned (cookie feature 0xff), 1 with another cookie, 1 groups outside the owned id range\n"));
            Assert.That(d.Out, Does.Contain("\n priority=5 actions=drop\n"));
            Assert.That(d.Out, Does.Contain("\n group_id=7,type=select,bucket=actions=drop\n"));
        });

        // ovs-ofctl diff-flows (flows only, its own text layout) finds the same flow changes, plus the
        // flows ovslb lists as not managed.
        using (var desiredFile = new Ovslb.TempFile(string.Join("\n", desiredFlows) + "\n", ".txt"))
        {
            var ofctl = ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "diff-flows", target, desiredFile.Path], ovs.Env);
            Assert.That(ofctl.ExitCode, Is.EqualTo(2), ofctl.Stderr);
            var theirs = Ovslb.Lines(ofctl.Stdout).Select(Gist).ToList();
            var ours = Changes(d.Out).Where(l => !l[1..].StartsWith("group_id=", StringComparison.Ordinal)).Select(Gist).ToList();
            var unmanaged = new[] { "-|0|5|0x0|drop", "-|50|100|0x4c42ff000a000001|" + learnedActions };
            Assert.That(theirs, Is.EquivalentTo(ours.Concat(unmanaged)), ofctl.Stdout);
        }

        // Errors: a switch that is not there, a bridge the configuration maps elsewhere.
        var gone = Ovslb.Run("diff", "--config", cfg.Path, "--switch", "unix:" + Path.Combine(ovs.Dir, "nothing.mgmt"));
        Assert.That(gone.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(gone.Err, Does.StartWith($"ovslb diff: cannot connect to switch unix:{ovs.Dir}/nothing.mgmt: "));
        var wrong = Ovslb.Run([.. diffArgs, "--bridge", "br-other"]);
        Assert.That((wrong.Code, wrong.Err), Is.EqualTo((CommandLine.ExitError, $"ovslb diff: the switch at {target} (datapath 00000000000000a1, bridge 'br-lb') is bridge 'br-lb' of {cfg.Path}, not 'br-other'\n")));
    }

    /// <summary>A diff line's sign, table, priority, cookie and actions (ovs-ofctl diff-flows and ovslb diff lay flows out differently).</summary>
    private static string Gist(string line)
    {
        string Field(string name, string dflt) => Regex.Match(line, $@"\b{name}=(\w+)") is { Success: true } m ? m.Groups[1].Value : dflt;
        return $"{line[0]}|{Field("table", "0")}|{Field("priority", "32768")}|{Field("cookie", "0x0")}|{line[(line.IndexOf(" actions=", StringComparison.Ordinal) + 9)..]}";
    }

    /// <summary>The diff's +/- lines.</summary>
    private static IEnumerable<string> Changes(string output) => Ovslb.Lines(output).Where(l => l[0] is '+' or '-');
}
