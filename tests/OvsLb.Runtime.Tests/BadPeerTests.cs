using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.Transport.DotNetty;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Misbehaving TCP peers hitting the controller while a real bridge is connected and Ready: the
/// controller keeps serving the bridge (a desired-state change is still applied within a bound),
/// logs each bad peer with its address and closes it: at once for input that is not OpenFlow, after
/// the handshake timeout for silent or stalled peers, after the send-stall timeout for a peer that
/// floods requests and never reads the replies. Run on each transport: the log lines and bounds are the same.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName), Category("Ovs")]
public class BadPeerTests(string transport)
{
    private const ulong Dpid = 0xbad0;
    private static readonly TimeSpan Handshake = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A controller with a short handshake timeout and a bridge connected to it, Ready.</summary>
    private (RunningController C, SwitchSession S) Start(OvsSandbox ovs, Action<ControllerOptions>? more = null)
    {
        ovs.AddBridge("br0", Dpid);
        var c = new RunningController(TestStates.Patch(), o =>
        {
            o.HandshakeTimeout = Handshake;
            more?.Invoke(o);
        }, transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);
        ovs.SetController("br0", c.Target);
        return (c, c.WaitReady(Dpid));
    }

    private static Socket Connect(RunningController c)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(IPAddress.Loopback, c.Port);
        return s;
    }

    /// <summary>Reads until the controller closes the connection; returns when, or null if it stays open past the limit.</summary>
    internal static async Task<TimeSpan?> ClosedAfterAsync(Socket s, Stopwatch since, TimeSpan limit)
    {
        var buf = new byte[4096];
        using var cts = new CancellationTokenSource(limit);
        try
        {
            while (await s.ReceiveAsync(buf, SocketFlags.None, cts.Token) > 0) { }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException)
        {
        }
        return since.Elapsed;
    }

    /// <summary>The switch is still served: a desired-state change reaches it within the bound.</summary>
    private static async Task AssertStillServedAsync(OvsSandbox ovs, RunningController c, SwitchSession s, int extraFlows)
    {
        var want = TestStates.Patch(extraFlows: extraFlows);
        var sw = Stopwatch.StartNew();
        await ReconcileTests.SetAndWaitAsync(c, s, want);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(want.FlowLines()));
        TestContext.Out.WriteLine($"desired-state change applied to the real bridge in {sw.ElapsedMilliseconds} ms while bad peers were connected");
        Assert.That(c.Controller.Sessions[Dpid], Is.SameAs(s), "the real bridge had to reconnect");
        Assert.That(s.Completion.IsCompleted, Is.False);
    }

    private static string ClosedLine(RunningController c, Socket peer) =>
        c.Log.WaitFor(Bound, $"Connection from {peer.LocalEndPoint} closed before the handshake finished") ?? $"(no log line for {peer.LocalEndPoint})";

    [Test]
    public async Task Garbage_silent_and_stalled_peers_are_closed_and_logged_while_the_bridge_is_served()
    {
        using var ovs = OvsSandbox.Start();
        var (c, s) = Start(ovs);
        await using var _ = c;

        var clock = Stopwatch.StartNew();
        using var http = Connect(c);         // (a) another protocol
        http.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        using var tiny = Connect(c);         // (a) a header whose length is below 8: unframeable
        tiny.Send([0x04, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
        using var silent = Connect(c);       // (b) connects and never says HELLO
        using var stalled = Connect(c);      // (c) a HELLO header announcing 65535 bytes, then nothing
        stalled.Send([0x04, 0x00, 0xff, 0xff, 0, 0, 0, 1, 0, 1]);

        var watches = new[] { http, tiny, silent, stalled }.Select(p => ClosedAfterAsync(p, clock, Handshake + Slack)).ToArray();

        await AssertStillServedAsync(ovs, c, s, extraFlows: 5);

        var closed = await Task.WhenAll(watches);
        var (httpClosed, tinyClosed, silentClosed, stalledClosed) = (closed[0], closed[1], closed[2], closed[3]);
        TestContext.Out.WriteLine($"closed after: http {httpClosed?.TotalMilliseconds:0} ms, unframeable {tinyClosed?.TotalMilliseconds:0} ms, silent {silentClosed?.TotalMilliseconds:0} ms, stalled {stalledClosed?.TotalMilliseconds:0} ms (handshake timeout {Handshake.TotalMilliseconds:0} ms)");
        // Not OpenFlow: closed on the first bytes, well before the handshake timeout.
        Assert.That(httpClosed, Is.Not.Null.And.LessThan(Handshake));
        Assert.That(tinyClosed, Is.Not.Null.And.LessThan(Handshake));
        // Silent / stalled: closed by the handshake timeout, not before and not much after.
        Assert.That(silentClosed, Is.Not.Null.And.GreaterThanOrEqualTo(Handshake - TimeSpan.FromMilliseconds(100)).And.LessThan(Handshake + Slack));
        Assert.That(stalledClosed, Is.Not.Null.And.GreaterThanOrEqualTo(Handshake - TimeSpan.FromMilliseconds(100)).And.LessThan(Handshake + Slack));

        // Each one logged with its address and why.
        var lines = new[] { ClosedLine(c, http), ClosedLine(c, tiny), ClosedLine(c, silent), ClosedLine(c, stalled) };
        TestContext.Out.WriteLine(string.Join("\n", lines));
        Assert.That(lines[0], Does.Contain("not an OpenFlow peer: first message type 69 is not OFPT_HELLO"));
        Assert.That(lines[1], Does.Contain("unframeable input").And.Contain("below the 8-byte minimum"));
        Assert.That(lines[2], Does.Contain("handshake not finished within 2s (stuck in Hello)"));
        Assert.That(lines[3], Does.Contain("handshake not finished within 2s (stuck in Hello)"));
        await AssertStillServedAsync(ovs, c, s, extraFlows: 7);
    }

    [Test]
    public async Task A_thousand_idle_connections_are_closed_after_the_handshake_timeout_while_the_bridge_is_served()
    {
        // Every loopback connection costs this process two descriptors (our client end and the
        // accepted end). .NET raises the soft RLIMIT_NOFILE to the hard limit at start-up; stay
        // well under it and say so when fewer than 1,000 fit.
        long limit = OpenFileLimit();
        int open = Directory.GetFiles("/proc/self/fd").Length;
        int n = (int)Math.Min(1000, (limit - open - 256) / 2);
        TestContext.Out.WriteLine($"open files: limit {limit}, in use {open}; opening {n} idle connections{(n < 1000 ? " (fewer than 1,000: the fd limit does not allow more)" : "")}");
        Assert.That(n, Is.GreaterThan(100), "the file descriptor limit is too low for this test");

        using var ovs = OvsSandbox.Start();
        var (c, s) = Start(ovs);
        await using var _ = c;
        long memBefore = GC.GetTotalMemory(forceFullCollection: true);
        var peers = new List<Socket>(n);
        var clock = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < n; i++) peers.Add(Connect(c));
            var connected = clock.Elapsed;
            await AssertStillServedAsync(ovs, c, s, extraFlows: 5);
            long memDuring = GC.GetTotalMemory(forceFullCollection: true);

            var closed = await Task.WhenAll(peers.Select(p => ClosedAfterAsync(p, clock, Handshake + connected + Slack + Slack)));
            var last = closed.Max();
            TestContext.Out.WriteLine($"{n} connections opened in {connected.TotalMilliseconds:0} ms; all closed by {last?.TotalMilliseconds:0} ms " +
                $"(handshake timeout {Handshake.TotalMilliseconds:0} ms); live managed heap +{(memDuring - memBefore) / 1024} KiB while they were open ({(memDuring - memBefore) / n / 1024} KiB each)");
            Assert.That(closed, Has.None.Null, "some idle connections were never closed");
            Assert.That(last, Is.LessThan(connected + Handshake + Slack));

            // Every one logged with its address.
            Assert.That(ProcessRunner.WaitUntil(() => CountClosedLines(c) >= n, Bound), Is.True);
            var logged = c.Log.Lines.Where(l => l.Contains("closed before the handshake finished", StringComparison.Ordinal)).ToList();
            foreach (var p in peers.Take(20).Concat(peers.TakeLast(20)))
            {
                Assert.That(logged, Has.Some.Contains($"Connection from {p.LocalEndPoint} closed before the handshake finished: handshake failed in state Hello"));
            }
            await AssertStillServedAsync(ovs, c, s, extraFlows: 9);
        }
        finally
        {
            foreach (var p in peers) p.Dispose();
        }
    }

    private static int CountClosedLines(RunningController c) => c.Log.Lines.Count(l => l.Contains("closed before the handshake finished", StringComparison.Ordinal));

    private static long OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? 1 << 20 : long.Parse(soft);
    }

    [Test]
    public async Task A_peer_that_floods_echo_requests_and_never_reads_is_throttled_and_closed()
    {
        using var ovs = OvsSandbox.Start();
        var stall = TimeSpan.FromSeconds(1);
        // A long handshake timeout here, so that it is the send stall that closes the flooder.
        var (c, s) = Start(ovs, o => { o.HandshakeTimeout = TimeSpan.FromSeconds(20); o.SendStallTimeout = stall; });
        await using var _ = c;
        using var peer = Connect(c);
        peer.SendTimeout = 20_000;
        peer.Send(OfpEncoder.ToArray(HelloMessage.Offering(1)));

        // First, replies are right: 64 echo requests with distinct payloads in one write, each answered with its own payload.
        var payload = (uint xid) => Enumerable.Range(0, 1024).Select(i => (byte)(xid * 7 + i)).ToArray();
        var batch = new List<byte>();
        for (uint x = 100; x < 164; x++) batch.AddRange(OfpEncoder.ToArray(new EchoMessage(false, payload(x)) { Xid = x }));
        peer.Send(batch.ToArray());
        var replies = ReadEchoReplies(peer, 64, Bound);
        Assert.That(replies.Keys, Is.EquivalentTo(Enumerable.Range(100, 64).Select(x => (uint)x)));
        Assert.That(replies.All(r => r.Value.SequenceEqual(payload(r.Key))), Is.True, "an echo reply carried another request's payload");

        // Then flood: 4 KiB echo requests as fast as possible, never reading a reply.
        long memBefore = GC.GetTotalMemory(forceFullCollection: true);
        long peak = memBefore;
        var clock = Stopwatch.StartNew();
        var chunk = new List<byte>();
        for (uint x = 0; x < 64; x++) chunk.AddRange(OfpEncoder.ToArray(new EchoMessage(false, new byte[4096]) { Xid = 1000 + x }));
        var bytes = chunk.ToArray();
        long sent = 0;
        var flood = Task.Run(() =>
        {
            try
            {
                while (clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    peer.Send(bytes);
                    sent += bytes.Length;
                    peak = Math.Max(peak, GC.GetTotalMemory(false));
                }
            }
            catch (SocketException)
            {
            }
            return clock.Elapsed;
        });
        // While the flooder is being throttled, the bridge is served.
        await AssertStillServedAsync(ovs, c, s, extraFlows: 4);
        var ended = await flood.WaitAsync(TimeSpan.FromSeconds(40));
        TestContext.Out.WriteLine($"flooder got {sent / 1024 / 1024} MiB of echo requests accepted before its connection was reset after {ended.TotalMilliseconds:0} ms " +
            $"(send stall timeout {stall.TotalMilliseconds:0} ms); managed heap peak +{(peak - memBefore) / 1024 / 1024} MiB");
        Assert.That(ended, Is.LessThan(TimeSpan.FromSeconds(15)), "the flooding peer was not closed");
        // Throttled by TCP: what it could push is socket buffers plus our 1 MiB reply backlog, and
        // our heap did not grow with it (without back-pressure: hundreds of MiB in the same time).
        Assert.That(sent, Is.LessThan(64L << 20), "the controller kept reading a peer that does not read its replies");
        Assert.That(peak - memBefore, Is.LessThan(64L << 20), "replies to the flood were buffered without bound");
        var line = ClosedLine(c, peer);
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain("peer stopped reading"));
        await AssertStillServedAsync(ovs, c, s, extraFlows: 6);
    }

    /// <summary>Reads until <paramref name="count"/> ECHO_REPLYs arrived (other messages skipped); payloads by xid.</summary>
    private static Dictionary<uint, byte[]> ReadEchoReplies(Socket s, int count, TimeSpan limit)
    {
        var got = new Dictionary<uint, byte[]>();
        var buf = new List<byte>();
        var chunk = new byte[65536];
        s.ReceiveTimeout = (int)limit.TotalMilliseconds;
        while (got.Count < count)
        {
            while (buf.Count >= 8 && buf.Count >= BinaryPrimitives.ReadUInt16BigEndian([buf[2], buf[3]]))
            {
                int len = BinaryPrimitives.ReadUInt16BigEndian([buf[2], buf[3]]);
                var msg = buf.GetRange(0, len).ToArray();
                buf.RemoveRange(0, len);
                if (msg[1] == (byte)OfpType.EchoReply) got[BinaryPrimitives.ReadUInt32BigEndian(msg.AsSpan(4))] = msg[8..];
            }
            if (got.Count >= count) break;
            int n = s.Receive(chunk);
            if (n == 0) throw new EndOfStreamException("controller closed the connection");
            buf.AddRange(chunk.AsSpan(0, n).ToArray());
        }
        return got;
    }
}
