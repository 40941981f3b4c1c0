using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.Testing;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// <see cref="PortDescription.IsUp"/> against what a real ovs-vswitchd sends when a veth port goes
/// down: OVS 3.1 first clears only the LIVE state bit (one PORT_STATUS with config 0, state 0), then
/// sends LINK_DOWN. Every PORT_STATUS from the first on must read as down, and the port as up again
/// once it is back. The bridge uses the userspace datapath inside a private network namespace.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public class PortLivenessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private NetNamespace _ns = null!;
    private OvsSandbox _ovs = null!;
    private OfTestConnection _of = null!;

    [OneTimeSetUp]
    public void Start()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        _ns = NetNamespace.Create("ovslb-pl-" + id);
        _ovs = OvsSandbox.Start(dummy: false, netns: _ns.Name);
        _ovs.AddBridge("brpl", datapathId: 0x91);
        _ns.Ip("link", "add", "plv0", "type", "veth", "peer", "name", "plv0p");
        _ns.Ip("link", "set", "plv0", "up");
        _ns.Ip("link", "set", "plv0p", "up");
        _ovs.Vsctl("add-port", "brpl", "plv0", "--", "set", "interface", "plv0", "ofport_request=1");
        _of = OfTestConnection.ConnectUnix(_ovs.MgmtSocket("brpl"));
        // A service connection gets asynchronous messages only once it sets a miss_send_len (connmgr.c).
        _of.SendWithBarrier([SwitchConfig.Set(0xffff, _of.NextXid())]);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _of?.Dispose();
        _ovs?.Dispose();
        _ns?.Dispose();
    }

    private PortDescription Port1() =>
        ((PortDescReply)_of.Request(new EmptyMultipartRequest(MultipartType.PortDesc) with { Xid = _of.NextXid() })).Entries.Single(p => p.PortNo == 1);

    /// <summary>Waits until port 1 is up in PORT_DESC, then drops whatever PORT_STATUS came before.</summary>
    private void WaitUntilUp()
    {
        Assert.That(ProcessRunner.WaitUntil(() => Port1().IsUp, Wait, TimeSpan.FromMilliseconds(50)), Is.True, $"port 1 not up: {Port1()}");
        while (_of.Receive(TimeSpan.FromMilliseconds(300)) is not null)
        {
        }
    }

    /// <summary>The PORT_STATUS messages for port 1 until one matching <paramref name="last"/> (inclusive).</summary>
    private List<PortDescription> PortStatusUntil(Func<PortDescription, bool> last)
    {
        var seen = new List<PortDescription>();
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (_of.Receive(deadline - DateTime.UtcNow) is not PortStatus { Desc.PortNo: 1 } ps) continue;
            seen.Add(ps.Desc);
            TestContext.Out.WriteLine($"PORT_STATUS {ps.Reason}: config {ps.Desc.Config}, state {ps.Desc.State} -> {(ps.Desc.IsUp ? "up" : "down")}");
            if (last(ps.Desc)) return seen;
        }
        Assert.Fail($"no matching PORT_STATUS within {Wait.TotalSeconds} s; got {seen.Count}");
        return seen;
    }

    [TestCase("plv0", TestName = "A_port_set_down_reads_down_in_every_port_status_LIVE_first")]
    [TestCase("plv0p", TestName = "A_port_whose_peer_goes_down_reads_down_in_every_port_status_LIVE_first")]
    public void Every_port_status_after_a_link_down_reads_down(string device)
    {
        WaitUntilUp();
        Assert.That(Port1().State & PortState.Live, Is.EqualTo(PortState.Live), "OVS marks a usable port LIVE");

        _ns.Ip("link", "set", device, "down");
        try
        {
            var seen = PortStatusUntil(d => (d.State & PortState.LinkDown) != 0);

            // The case the old reading got wrong: link not (yet) down, port not disabled, only LIVE gone.
            Assert.That(seen.Count, Is.GreaterThanOrEqualTo(2), "OVS sends LIVE's clearing before LINK_DOWN");
            Assert.That((seen[0].Config & PortConfig.PortDown, seen[0].State), Is.EqualTo((PortConfig.None, PortState.None)), "first PORT_STATUS: only LIVE cleared");
            Assert.That(seen.Select(d => d.IsUp), Is.All.False);
            Assert.That(Port1().IsUp, Is.False);
        }
        finally
        {
            _ns.Ip("link", "set", device, "up");
        }
        var back = PortStatusUntil(d => d.IsUp);
        Assert.That(back[^1].State & PortState.Live, Is.EqualTo(PortState.Live));
        Assert.That(Port1().IsUp, Is.True);
    }
}
