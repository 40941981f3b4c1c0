using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// The DotNetty transport (issue 10, selected by Controller:Transport=dotnetty): a real bridge handshakes with and is programmed by a
/// controller on it, our HELLO (xid 1) is the first thing a peer reads, and peers that are not OpenFlow or
/// announce an impossible length are closed at once with the pipelines transport's log lines.
/// </summary>
[TestFixture, Category("Ovs")]
public class DotNettyTransportTests
{
    private const ulong Dpid = 0x5e70;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static RunningController Controller() => new(TestStates.Patch(extraFlows: 3), o => o.HandshakeTimeout = TimeSpan.FromSeconds(3), transport: new DotNettyTransport());

    [Test]
    public async Task A_bridge_handshakes_and_gets_exactly_the_desired_flows()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("smbr0", Dpid);
        await using var c = Controller();
        ovs.SetController("smbr0", c.Target);
        var s = c.WaitReady(Dpid);
        Assert.That(s.BridgeName, Is.EqualTo("smbr0"));
        Assert.That(ovs.DumpFlows("smbr0"), Is.EqualTo(TestStates.Patch(extraFlows: 3).FlowLines()));
        Assert.That(c.Log.WaitFor(Bound, "Switch 0000000000005e70 (smbr0) connected from 127.0.0.1:"), Is.Not.Null);
        Assert.That(s.BundleCommits, Is.EqualTo(1));

        // Requests and replies after the handshake, then a read-back reconcile that finds nothing to change.
        await s.BarrierAsync();
        var again = await s.ReconcileAsync(TestStates.Patch(extraFlows: 3), readBack: true);
        Assert.That(again.Changed, Is.False, again.Diff.ToString());

        // The bridge leaves: logged as over the pipelines transport.
        ovs.Vsctl("del-controller", "smbr0");
        Assert.That(await s.Completion.WaitAsync(Bound), Has.Property("Text").EqualTo("switch closed the connection"));
        Assert.That(c.Log.WaitFor(Bound, "Switch 0000000000005e70 disconnected: switch closed the connection"), Is.Not.Null);
    }

    [Test]
    public async Task Our_hello_comes_first_and_bad_peers_are_closed_at_once_with_the_same_log_lines()
    {
        await using var c = Controller();
        using (var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await peer.ConnectAsync(IPAddress.Loopback, c.Port);
            var hello = new byte[16];
            using var cts = new CancellationTokenSource(Bound);
            int got = 0;
            while (got < hello.Length) got += await peer.ReceiveAsync(hello.AsMemory(got), SocketFlags.None, cts.Token);
            Assert.That(Convert.ToHexString(hello), Is.EqualTo(Convert.ToHexString(OvsLb.OpenFlow.Messages.OfpEncoder.ToArray(HelloMessage.Offering() with { Xid = 1 }))));

            await peer.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);
            Assert.That(c.Log.WaitFor(Bound, $"Connection from {peer.LocalEndPoint} closed before the handshake finished: not an OpenFlow peer: first message type 69"), Is.Not.Null,
                string.Join("\n", c.Log.Lines));
        }
        using (var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            // A HELLO header announcing 4 bytes: refused on its header, no wait for a body.
            await peer.ConnectAsync(IPAddress.Loopback, c.Port);
            await peer.SendAsync(new byte[] { 4, 0, 0, 4, 0, 0, 0, 9 }, SocketFlags.None);
            Assert.That(c.Log.WaitFor(Bound, $"Connection from {peer.LocalEndPoint} closed before the handshake finished: unframeable input: header length 4 is below the 8-byte minimum"), Is.Not.Null,
                string.Join("\n", c.Log.Lines));
        }
        Assert.That(c.Controller.Sessions, Is.Empty);
    }

    [Test]
    public void An_ssl_endpoint_without_its_settings_is_refused_naming_them_not_served_as_plain_tcp()
    {
        var transport = new DotNettyTransport();
        var e = Assert.Throws<ArgumentException>(() => transport.Bind("ssl:127.0.0.1:0", new ControllerOptions()));
        Assert.That(e!.Message, Does.Contain("Controller:Tls:PrivateKey: not set (an ssl: listener needs Controller:Tls:PrivateKey, Controller:Tls:Certificate and Controller:Tls:CaCertificate)"));
    }
}
