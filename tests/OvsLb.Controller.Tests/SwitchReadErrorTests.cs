using System.Net;
using System.Net.Sockets;
using System.Text;
using OvsLb.Controller.Cli;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>--switch</c> targets that do not lead to an OpenFlow 1.3 switch: each is one line naming the target
/// and what went wrong, exit code 1, for a Unix domain socket as for TCP. The peers here are the kernel
/// (no socket file, nothing listening) and byte streams that are not OpenFlow (an SSH banner, silence);
/// a real switch that refuses OpenFlow 1.3 is in <see cref="SwitchReadOvsTests"/>.
/// </summary>
[TestFixture]
public class SwitchReadErrorTests
{
    private static (int Code, string Out, string Err) Diff(string target, string? config = null) =>
        Ovslb.Run("diff", "--config", config ?? Ovslb.Config("translate"), "--switch", target);

    [Test]
    public void A_missing_socket_file_is_named()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ovslb-nothing-{Guid.NewGuid():N}.mgmt");
        var r = Diff("unix:" + path);
        Assert.That((r.Code, r.Err), Is.EqualTo((CommandLine.ExitError, $"ovslb diff: cannot connect to switch unix:{path}: No such file or directory (is ovs-vswitchd running, and is this the bridge's management socket?)\n")));
    }

    [Test]
    public void A_refused_tcp_connection_is_named()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port; // bound, never listening: a connect is refused
            var r = Diff($"tcp:127.0.0.1:{port}");
            Assert.That((r.Code, r.Err), Is.EqualTo((CommandLine.ExitError, $"ovslb diff: cannot connect to switch tcp:127.0.0.1:{port}: Connection refused\n")));
        }
    }

    [Test]
    public void A_peer_that_does_not_speak_openflow_is_named_over_unix_and_tcp()
    {
        byte[] banner = Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.6\r\n");
        using var dir = new TempDir();
        using (var unix = Peer.Listen(new UnixDomainSocketEndPoint(Path.Combine(dir.Path, "br.mgmt")), banner))
        {
            var r = Diff($"unix:{dir.Path}/br.mgmt");
            Assert.That((r.Code, r.Err), Is.EqualTo((CommandLine.ExitError,
                $"ovslb diff: switch unix:{dir.Path}/br.mgmt did not complete the OpenFlow 1.3 handshake: not an OpenFlow peer: first message type 83 is not OFPT_HELLO (first bytes 5353482d322e302d)\n")));
        }
        using (var tcp = Peer.Listen(new IPEndPoint(IPAddress.Loopback, 0), banner))
        {
            var r = Diff($"tcp:127.0.0.1:{tcp.Port}");
            Assert.That(r.Err, Does.StartWith($"ovslb diff: switch tcp:127.0.0.1:{tcp.Port} did not complete the OpenFlow 1.3 handshake: not an OpenFlow peer: "));
        }
    }

    [Test]
    public void A_silent_peer_times_out_after_the_configured_handshake_timeout()
    {
        using var cfg = new Ovslb.TempFile($$"""{ "Controller": { "HandshakeTimeout": "00:00:00.5" }, "LoadBalancer": {{File.ReadAllText(Ovslb.Config("translate"))}} }""");
        using var dir = new TempDir();
        using var silent = Peer.Listen(new UnixDomainSocketEndPoint(Path.Combine(dir.Path, "br.mgmt")), []);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = Diff($"unix:{dir.Path}/br.mgmt", cfg.Path);
        Assert.That((r.Code, r.Err), Is.EqualTo((CommandLine.ExitError,
            $"ovslb diff: switch unix:{dir.Path}/br.mgmt did not complete the OpenFlow 1.3 handshake: handshake not finished within 0.5s (stuck in Hello)\n")));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the Controller section's HandshakeTimeout applies, not the 10 s default");
    }

    [Test]
    public void A_target_of_no_known_form_is_a_usage_error()
    {
        var r = Diff("ssl:127.0.0.1:6653");
        Assert.That((r.Code, r.Err), Is.EqualTo((CommandLine.ExitError, "ovslb diff: --switch: 'ssl:127.0.0.1:6653' is not unix:PATH, tcp:HOST:PORT or a bridge name\n")));
        var port = Diff("tcp:127.0.0.1:http");
        Assert.That(port.Err, Is.EqualTo("ovslb diff: --switch: 'tcp:127.0.0.1:http' is not tcp:HOST:PORT\n"));
    }

    /// <summary>A listener that accepts connections and writes <c>greeting</c> to each, then keeps it open until disposed.</summary>
    private sealed class Peer : IDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _accepted = [];
        private readonly CancellationTokenSource _stop = new();

        private Peer(Socket listener) => _listener = listener;

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static Peer Listen(EndPoint at, byte[] greeting)
        {
            var s = at is UnixDomainSocketEndPoint ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(at);
            s.Listen(4);
            var p = new Peer(s);
            _ = p.AcceptAsync(greeting);
            return p;
        }

        private async Task AcceptAsync(byte[] greeting)
        {
            try
            {
                while (true)
                {
                    var c = await _listener.AcceptAsync(_stop.Token);
                    lock (_accepted) _accepted.Add(c);
                    if (greeting.Length > 0) await c.SendAsync(greeting, SocketFlags.None);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            lock (_accepted) foreach (var c in _accepted) c.Dispose();
            _stop.Dispose();
        }
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("ovslb-sw-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
