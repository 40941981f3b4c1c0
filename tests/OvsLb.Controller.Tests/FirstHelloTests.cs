using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OvsLb.OpenFlow.Messages;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// The controller's OFPT_HELLO goes out as a connection is accepted, before anything reads it, so the first
/// connection to a freshly started <c>ovslb run</c> gets it within a few milliseconds. It matters because
/// Open vSwitch does not poll a controller connection until the HELLO exchange is done (ofproto/connmgr.c:
/// <c>ofservice_wait()</c> waits for nothing on an active connection): a HELLO later than the wakeups that
/// follow the connect is read on ovs-vswitchd's next periodic timer, up to ~500 ms later (see EarlyHello in
/// src/OvsLb.Runtime). Two tests are measurements that print their figures (README.md, "What the controller
/// does") with sanity bounds; runs: <c>OVSLB_CONNECT_RUNS</c> (default 3).
/// </summary>
[TestFixture, Category("Ovs")]
public partial class FirstHelloTests
{
    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("OVSLB_CONNECT_RUNS"), out int n) && n > 0 ? n : 3;

    private static string[] Args => ["--Controller:Listen:0=127.0.0.1:0", "--Status:Listen=127.0.0.1:0",
        "--Logging:LogLevel:Default=Information", "--Logging:Console:FormatterOptions:UseUtcTimestamp=true"];

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string Figures(List<double> xs) =>
        $"median {Median(xs):0.0} ms, min {xs.Min():0.0}, max {xs.Max():0.0} (n={xs.Count}): {string.Join(", ", xs.Select(x => x.ToString("0.0", CultureInfo.InvariantCulture)))}";

    /// <summary>
    /// Mininet's <c>RemoteController</c> checks a controller with <c>echo A | telnet -e A IP PORT</c> and decodes
    /// what telnet prints as UTF-8: the HELLO every connection gets at accept must be plain bytes (all below
    /// 0x80), or the topology crashes with UnicodeDecodeError. 16 connections to one controller: with a random
    /// xid per connection (the earlier code) nearly every run has a byte of 0x80 or more.
    /// </summary>
    [Test]
    public void The_hello_sent_at_accept_is_plain_bytes_that_text_probes_like_mininets_can_decode()
    {
        using var run = OvslbRun.Start(Args);
        int port = run.OpenFlowPort();
        var seen = new List<string>();
        for (int i = 0; i < 16; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, port);
            var bytes = ReadMessage(client, TimeSpan.FromSeconds(10));
            Assert.That(OfpDecoder.Decode(bytes), Is.TypeOf<HelloMessage>());
            seen.Add(Convert.ToHexString(bytes));
            Assert.That(bytes, Is.All.LessThan((byte)0x80), $"HELLO {Convert.ToHexString(bytes)} has a byte a UTF-8 decoder rejects on its own");
            Assert.DoesNotThrow(() => new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes));
        }
        Assert.That(run.Stop(TimeSpan.FromSeconds(15)), Is.Zero, run.Tail());
        TestContext.Out.WriteLine($"HELLOs at accept: {string.Join(", ", seen.Distinct())}");
    }

    [Test]
    public void A_raw_tcp_client_of_a_freshly_started_controller_gets_hello_within_milliseconds()
    {
        var ms = new List<double>();
        for (int i = 0; i < Math.Max(Runs, 3); i++)
        {
            using var run = OvslbRun.Start(Args);
            int port = run.OpenFlowPort();
            // Connect as soon as the controller says it listens: the start-up warm-up may still be running.
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var sw = Stopwatch.StartNew();
            client.Connect(IPAddress.Loopback, port);
            var bytes = ReadMessage(client, TimeSpan.FromSeconds(10));
            ms.Add(sw.Elapsed.TotalMilliseconds);

            var hello = OfpDecoder.Decode(bytes) as HelloMessage;
            Assert.That(hello, Is.Not.Null, $"first message is {Convert.ToHexString(bytes)}, not OFPT_HELLO");
            Assert.That(hello!.Supports(OfpMessage.Version13), Is.True);
            Assert.That(hello.Supports(0x01) || hello.Supports(0x02) || hello.Supports(0x03), Is.False, "offers only OpenFlow 1.3");
            Assert.That(hello.Xid, Is.Not.Zero);
            Assert.That(run.Stop(TimeSpan.FromSeconds(15)), Is.Zero, run.Tail());
        }
        TestContext.Out.WriteLine($"connect -> controller's HELLO received, fresh `ovslb run` each time: {Figures(ms)}");
        // A sanity bound only (measured: median 1-6 ms on a loaded 2-core machine; 22-137 ms when the session
        // sent the HELLO; figures in README.md). What proves the HELLO goes out at accept, whatever the
        // machine's load, is the HTTP-first test below.
        Assert.That(Median(ms), Is.LessThan(1000), Figures(ms));
    }

    [Test]
    public void Hello_goes_out_at_accept_even_to_a_peer_that_speaks_first_and_not_openflow()
    {
        // The HELLO is written before anything reads the connection: a peer whose first bytes are already
        // waiting (and get it closed) still receives it. When the session sent it, such a peer got nothing.
        using var run = OvslbRun.Start(Args);
        int port = run.OpenFlowPort();
        for (int i = 0; i < 3; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, port);
            client.Send("GET / HTTP/1.0\r\n\r\n"u8);
            var hello = OfpDecoder.Decode(ReadMessage(client, TimeSpan.FromSeconds(10)));
            Assert.That(hello, Is.TypeOf<HelloMessage>());
            Assert.That(client.Receive(new byte[64]), Is.Zero, "closed after the HELLO");
            run.WaitFor($"Connection from {Regex.Escape(client.LocalEndPoint!.ToString()!)} closed before the handshake finished: not an OpenFlow peer", 0, TimeSpan.FromSeconds(10));
        }
    }

    [Test]
    public void A_bridge_connecting_to_a_freshly_started_controller_is_identified_and_ready_promptly()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brhello", 0x4e11);
        ovs.Appctl("vlog/set", "vconn:file:dbg", "rconn:file:dbg");
        // The first run binds port 0 and logs the port it got; the later runs listen on that same port, which the bridge's
        // target names (the restart case measures the bridge reconnecting to it). No port is picked "free" beforehand, which a
        // parallel test could take before the controller binds it.
        string? target = null;
        string[] args = Args;
        var cold = new List<Connect>();
        var warm = new List<Connect>();
        var restart = new List<Connect>();
        for (int i = 0; i < Runs; i++)
        {
            using (var run = OvslbRun.Start(args))
            {
                int port = run.OpenFlowPort();
                if (target is null)
                {
                    target = $"tcp:127.0.0.1:{port}";
                    args = [.. Args.Skip(1).Prepend("--Controller:Listen:0=" + target[4..])];
                }
                string to = target;
                cold.Add(Measure(ovs, run, () => ovs.SetController("brhello", to)));
                ovs.Vsctl("del-controller", "brhello");
                warm.Add(Measure(ovs, run, () => ovs.SetController("brhello", to)));
                Assert.That(run.Stop(TimeSpan.FromSeconds(15)), Is.Zero, run.Tail());
            }
            // The bridge keeps the controller and reconnects by itself (max_backoff 1 s) to a new process.
            using (var run = OvslbRun.Start(args))
            {
                restart.Add(Measure(ovs, run, () => { }));
                ovs.Vsctl("del-controller", "brhello");
                Assert.That(run.Stop(TimeSpan.FromSeconds(15)), Is.Zero, run.Tail());
            }
        }
        foreach (var (name, xs) in new[] { ("cold: set-controller to a fresh ovslb run", cold), ("warm: the next set-controller", warm),
                                           ("restart: the bridge reconnecting to a fresh ovslb run", restart) })
        {
            TestContext.Out.WriteLine($"{name}:");
            TestContext.Out.WriteLine($"  OVS connects -> OVS reads our HELLO:  {Figures([.. xs.Select(c => c.HelloRead)])}");
            TestContext.Out.WriteLine($"  OVS connects -> FEATURES_REPLY sent:  {Figures([.. xs.Select(c => c.FeaturesReply)])}");
            TestContext.Out.WriteLine($"  OVS connects -> Ready (reconciled):   {Figures([.. xs.Select(c => c.Ready)])}");
        }
        // A sanity bound only: the figures are printed, and vary with OVS's own wakeups (see the class comment).
        Assert.That(cold.Concat(warm).Concat(restart).Select(c => c.Ready), Is.All.LessThan(3000));
    }

    /// <summary>Milliseconds from OVS's connection attempt (rconn "entering CONNECTING") to: OVS reading our HELLO, OVS sending FEATURES_REPLY, the controller logging "Reconciled".</summary>
    private sealed record Connect(double HelloRead, double FeaturesReply, double Ready);

    /// <summary>Runs <paramref name="connect"/>, waits until the bridge is reconciled and measures its connection from the OVS log (vconn at dbg).</summary>
    private static Connect Measure(OvsSandbox ovs, OvslbRun run, Action connect)
    {
        string ovsLog = Path.Combine(ovs.Dir, "ovs-vswitchd.log");
        int ovsFrom = File.ReadAllLines(ovsLog).Length;
        int from = run.Lines.Count;
        connect();
        string ready = run.WaitFor("DatapathId=0000000000004e11.*Reconciled", from, TimeSpan.FromSeconds(20));
        var lines = File.ReadAllLines(ovsLog).Skip(ovsFrom).Select(l => OvsLogLine().Match(l)).Where(m => m.Success).ToList();

        int Index(string pattern, int after = 0) => lines.FindIndex(after, m => Regex.IsMatch(m.Groups[2].Value, pattern)) is int i and >= 0
            ? i : throw new InvalidOperationException($"no OVS log line /{pattern}/ in:\n{string.Join("\n", lines)}");
        DateTime At(int i) => DateTime.Parse(lines[i].Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        int hello = Index(@"vconn.*received: OFPT_HELLO");
        // The attempt that succeeded: the last one before it (a reconnecting bridge was refused before).
        int connecting = lines.FindLastIndex(hello, m => m.Groups[2].Value.Contains("entering CONNECTING", StringComparison.Ordinal));
        Assert.That(connecting, Is.GreaterThanOrEqualTo(0), "no 'entering CONNECTING' line before OVS received our HELLO");
        var t0 = At(connecting);
        // ovslb's console timestamps: UTC time of day (HH:mm:ss.fff).
        var readyAt = t0.Date + TimeSpan.ParseExact(ready[..12], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
        if (readyAt < t0.AddHours(-12)) readyAt = readyAt.AddDays(1); // midnight in between
        return new((At(hello) - t0).TotalMilliseconds, (At(Index(@"vconn.*sent \(Success\): OFPT_FEATURES_REPLY", hello)) - t0).TotalMilliseconds, (readyAt - t0).TotalMilliseconds);
    }

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z\|\d+\|(.*)$")]
    private static partial Regex OvsLogLine();

    /// <summary>Reads one whole OpenFlow message (header length) from <paramref name="s"/>.</summary>
    private static byte[] ReadMessage(Socket s, TimeSpan timeout)
    {
        s.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        var header = ReadExactly(s, 8);
        int length = header[2] << 8 | header[3];
        return [.. header, .. ReadExactly(s, length - 8)];
    }

    private static byte[] ReadExactly(Socket s, int n)
    {
        var buffer = new byte[n];
        for (int got = 0; got < n;)
        {
            int r = s.Receive(buffer, got, n - got, SocketFlags.None);
            if (r == 0) throw new IOException($"connection closed after {got} of {n} bytes");
            got += r;
        }
        return buffer;
    }
}
