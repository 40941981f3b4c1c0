using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// The in-memory transport keeps the contract of the TCP one where the session can tell: our HELLO is the
/// first thing the switch reads, a peer that is not OpenFlow is closed at once with the same reason, a
/// switch that hangs up is logged as over TCP, and the pipe ends behave as a socket's do.
/// </summary>
[TestFixture]
public class InMemoryTransportTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static async Task<byte[]> ReadExactlyAsync(Stream s, int count)
    {
        var buf = new byte[count];
        using var cts = new CancellationTokenSource(Bound);
        await s.ReadExactlyAsync(buf, cts.Token);
        return buf;
    }

    [Test]
    public async Task The_first_bytes_a_switch_reads_are_our_hello_with_xid_1_as_over_tcp()
    {
        await using var c = new RunningController(TestStates.Patch(), inMemory: true);
        await using var end = c.Memory!.Connect();
        var expected = OfpEncoder.ToArray(HelloMessage.Offering() with { Xid = 1 });
        Assert.That(Convert.ToHexString(await ReadExactlyAsync(end, expected.Length)), Is.EqualTo(Convert.ToHexString(expected)));
    }

    [Test]
    public async Task A_peer_that_is_not_openflow_is_closed_at_once_and_logged_as_over_tcp()
    {
        await using var c = new RunningController(TestStates.Patch(), inMemory: true);
        await using var end = c.Memory!.Connect();
        end.Write("GET / HTTP/1.1\r\n\r\n"u8);
        var buf = new byte[256];
        using var cts = new CancellationTokenSource(Bound);
        while (await end.ReadAsync(buf, cts.Token) > 0) { } // our HELLO, then the end of the stream
        var line = c.Log.WaitFor(Bound, "closed before the handshake finished", "not an OpenFlow peer: first message type 69 is not OFPT_HELLO");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines));
        Assert.That(line, Does.Contain("memory:127.0.0.1:0#1"));
    }

    [Test]
    public async Task A_switch_that_hangs_up_is_logged_as_disconnected_by_the_switch()
    {
        await using var c = new RunningController(TestStates.Patch(), inMemory: true);
        var fake = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xfa9 });
        var s = c.WaitReady(0xfa9);
        Assert.That(s.Remote, Is.Null, "an in-memory peer has no IP address");
        Assert.That(s.Peer?.ToString(), Does.StartWith("memory:"));
        Assert.That(fake.FlowCount, Is.EqualTo(2));
        await fake.DisposeAsync();
        Assert.That(await s.Completion.WaitAsync(Bound), Has.Property("Text").EqualTo("switch closed the connection"));
        Assert.That(c.Log.WaitFor(Bound, "Switch 0000000000000fa9 disconnected: switch closed the connection"), Is.Not.Null);
        Assert.That(ProcessRunner.WaitUntil(() => c.Controller.Sessions.Count == 0, Bound), Is.True);
    }

    [Test]
    public async Task A_stale_generation_id_leaves_the_instance_standby()
    {
        // The fake checks generation ids as OVS does: a master at generation 5 makes a later request at 3 stale.
        await using var c = new RunningController(TestStates.Patch(), o => { o.Role = ControllerRole.Master; o.GenerationId = 5; }, inMemory: true);
        await using var fake = await c.ConnectFakeAsync(new FakeSwitchOptions { DatapathId = 0xfaa });
        var s = c.WaitReady(0xfaa);
        Assert.That((s.Role, s.State), Is.EqualTo((ControllerRole.Master, SessionState.Ready)));
        await s.NegotiateRoleAsync(ControllerRole.Master, 3);
        Assert.That((s.Role, s.State, s.CanWrite), Is.EqualTo((ControllerRole.Slave, SessionState.Standby, false)));
        Assert.That(c.Log.WaitFor(Bound, "Role Master with generation id 3 is stale"), Is.Not.Null);
    }

    [Test]
    public async Task The_pipe_ends_behave_as_a_socket_does_on_close()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        await a.WriteAsync("abc"u8.ToArray());
        a.Dispose();
        Assert.That(await ReadExactlyAsync(b, 3), Is.EqualTo("abc"u8.ToArray()), "what was written before the close is read");
        Assert.That(await b.ReadAsync(new byte[8]), Is.Zero, "then the end of the stream");
        Assert.ThrowsAsync<IOException>(async () => await b.WriteAsync(new byte[1]), "a write to a closed peer fails");

        // A read waiting when its own end closes returns the end of the stream.
        var (c, d) = DuplexPipeStream.CreatePair();
        var pending = c.ReadAsync(new byte[8]).AsTask();
        c.Dispose();
        Assert.That(await pending.WaitAsync(Bound), Is.Zero);
        Assert.That(await d.ReadAsync(new byte[8]).AsTask().WaitAsync(Bound), Is.Zero, "the peer sees the close");
        d.Dispose();
    }
}
