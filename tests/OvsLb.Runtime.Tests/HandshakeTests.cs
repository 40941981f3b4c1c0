using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>Real ovs-vswitchd bridges connecting to the controller over TCP.</summary>
[TestFixture, Category("Ovs")]
public class HandshakeTests
{
    [Test]
    public async Task Two_bridges_handshake_at_once_and_get_exactly_the_desired_flows()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("bra", 0xa1);
        ovs.AddBridge("brb", 0xb2);
        await using var c = new RunningController(TestStates.Patch());
        ovs.SetController("bra", c.Target);
        ovs.SetController("brb", c.Target);

        var a = c.WaitReady(0xa1);
        var b = c.WaitReady(0xb2);
        Assert.That(a.BridgeName, Is.EqualTo("bra"));
        Assert.That(b.BridgeName, Is.EqualTo("brb"));
        Assert.That(a.Role, Is.EqualTo(OvsLb.OpenFlow.Messages.ControllerRole.Equal));
        var want = TestStates.Patch().FlowLines();
        Assert.That(ovs.DumpFlows("bra"), Is.EqualTo(want));
        Assert.That(ovs.DumpFlows("brb"), Is.EqualTo(want));
        Assert.That(c.Log.WaitFor(TimeSpan.FromSeconds(1), "Switch 00000000000000a1 (bra) connected"), Is.Not.Null);
    }

    [Test]
    public async Task A_bridge_speaking_only_openflow10_is_refused_with_a_clear_log_line()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br10", 0xc3, protocols: "OpenFlow10");
        await using var c = new RunningController(TestStates.Patch());
        ovs.SetController("br10", c.Target);
        var line = c.Log.WaitFor(TimeSpan.FromSeconds(10), "refused: no OpenFlow 1.3");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines));
        Assert.That(line, Does.Contain("OpenFlow 1.0"));
        Assert.That(c.Controller.Sessions, Is.Empty);
    }
}
