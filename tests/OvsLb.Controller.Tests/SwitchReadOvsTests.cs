using System.Net;
using System.Net.Sockets;
using OvsLb.Controller.Cli;
using OvsLb.Runtime;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>--switch</c> reads a real Open vSwitch through the controller's own session machinery, over the
/// bridge's management socket (<c>unix:</c>) and over a passive controller listener (<c>tcp:</c>, OVS's
/// <c>ptcp:</c>): datapath id, ports, and flows and groups exactly as <c>ovs-ofctl dump-flows</c> /
/// <c>dump-groups</c> list them, with enough flows that OVS splits the reply into several multipart parts.
/// A bridge that does not allow OpenFlow 1.3 is refused with the fix named.
/// </summary>
[TestFixture, Category("Ovs")]
public class SwitchReadOvsTests
{
    [Test]
    public async Task Unix_and_tcp_targets_read_what_ovs_ofctl_dumps()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br-rd", 0xb1);
        ovs.AddDummyPort("br-rd", "rd-p1", 1);
        ovs.AddDummyPort("br-rd", "rd-p2", 2);
        // ~2000 flows: OVS's flow stats reply is several MORE-flagged parts (at most 64 KiB each).
        var flows = Enumerable.Range(0, 2000).Select(i => $"table=0,priority={100 + i % 7},cookie=0x{i:x},ip,nw_dst=10.{i / 250}.{i % 250}.1,actions=output:{1 + i % 2}")
            .Append("table=3,priority=0,actions=drop");
        using var flowFile = new Ovslb.TempFile(string.Join("\n", flows) + "\n", ".txt");
        ovs.Ofctl("add-flows", "br-rd", flowFile.Path);
        ovs.Ofctl("add-group", "br-rd", "group_id=7,type=select,bucket=weight:100,actions=output:1,bucket=weight:100,actions=output:2");
        ovs.Ofctl("add-group", "br-rd", "group_id=268435456,type=all,bucket=actions=output:2");
        // Port 0: OVS binds a port of its own and logs it (a port picked free here could be taken by a parallel test first).
        ovs.SetController("br-rd", "ptcp:0:127.0.0.1");
        int port = ovs.PassiveControllerPort("br-rd", "ptcp:0:127.0.0.1", TimeSpan.FromSeconds(10));
        Assert.That(ProcessRunner.WaitUntil(() => Listening(port), TimeSpan.FromSeconds(10)), "ovs-vswitchd listens on the ptcp port");

        var expectedFlows = ovs.DumpFlows("br-rd");
        var expectedGroups = ovs.DumpGroups("br-rd");
        Assert.That(expectedFlows, Has.Count.EqualTo(2001));
        foreach (var target in new[] { "unix:" + ovs.MgmtSocket("br-rd"), $"tcp:127.0.0.1:{port}" })
        {
            var s = await SwitchSnapshot.ReadAsync(target, state: true, new ControllerOptions());
            Assert.Multiple(() =>
            {
                Assert.That(s.DatapathId, Is.EqualTo(0xb1UL), target);
                Assert.That(s.Ports.Values.Select(p => (p.PortNo, p.Name)).Order(), Is.EqualTo(new[] { (1u, "rd-p1"), (2u, "rd-p2"), (0xfffffffeu, "br-rd") }), target);
                Assert.That(s.Installed.FlowLines(), Is.EqualTo(expectedFlows), target);
                Assert.That(s.Installed.GroupLines(), Is.EqualTo(expectedGroups), target);
            });
        }
        // A bare bridge name is its management socket in $OVS_RUNDIR, as ovs-ofctl resolves it.
        string? rundir = Environment.GetEnvironmentVariable("OVS_RUNDIR");
        Environment.SetEnvironmentVariable("OVS_RUNDIR", ovs.Dir);
        try
        {
            var portsOnly = await SwitchSnapshot.ReadAsync("br-rd", state: false, new ControllerOptions());
            Assert.That((portsOnly.DatapathId, portsOnly.Ports.Count, portsOnly.Installed.Flows.Count), Is.EqualTo((0xb1UL, 3, 0)), "without state only FEATURES and PORT_DESC are read");
        }
        finally
        {
            Environment.SetEnvironmentVariable("OVS_RUNDIR", rundir);
        }
    }

    [Test]
    public void A_bridge_without_openflow_13_is_refused_with_the_fix_named()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br-10", 0xc1, protocols: "OpenFlow10");
        string target = "unix:" + ovs.MgmtSocket("br-10");
        var r = Ovslb.Run("diff", "--config", Ovslb.Config("translate"), "--switch", target);
        Assert.That((r.Code, r.Err), Is.EqualTo((CommandLine.ExitError,
            $"ovslb diff: switch {target} did not complete the OpenFlow 1.3 handshake: refused: no OpenFlow 1.3 (OpenFlow 1.0); set it with: ovs-vsctl set bridge BRIDGE protocols=OpenFlow13\n")));
    }

    private static bool Listening(int port)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
