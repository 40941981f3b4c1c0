using System.Net;
using System.Net.Sockets;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb run</c> as a real process: configuration from --config and the command line, a bridge
/// connecting to it, structured log lines with the datapath id, and a SIGTERM shutdown that exits 0
/// and leaves the bridge's flows in place.
/// </summary>
[TestFixture, Category("Ovs")]
public class RunCommandTests
{
    [Test]
    public void Runs_with_a_config_file_serves_a_bridge_and_stops_on_sigterm_leaving_flows()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brrun", 0xd4);
        // Port 0 for both, read back from the log: a port picked free beforehand could be taken by a parallel test first
        // (and the default 127.0.0.1:9100 of the status endpoint by another controller on this machine).
        using var run = OvslbRun.Start(["--Logging:LogLevel:Default=Information", "--Status:Listen=127.0.0.1:0"],
            config: """{ "Controller": { "Listen": [ "127.0.0.1:0" ], "EchoInterval": "00:00:01" } }""");
        int port = run.OpenFlowPort();
        Assert.That(ProcessRunner.WaitUntil(() => run.Lines.Any(l => l.Contains($"Listening for OpenFlow 1.3 switches on 127.0.0.1:{port} with the pipelines transport")), TimeSpan.FromSeconds(20)),
            Is.True, run.Tail());
        ovs.SetController("brrun", $"tcp:127.0.0.1:{port}");
        Assert.That(ProcessRunner.WaitUntil(() => run.Lines.Any(l => l.Contains("Switch 00000000000000d4 (brrun) connected")), TimeSpan.FromSeconds(20)),
            Is.True, run.Tail());
        Assert.That(ProcessRunner.WaitUntil(() => run.Lines.Any(l => l.Contains("DatapathId=00000000000000d4") && l.Contains("Reconciled")), TimeSpan.FromSeconds(10)),
            Is.True, "per-datapath log scope: " + run.Tail());
        // A flow the controller does not own (cookie 0) must survive shutdown. (Added after
        // set-controller: OVS flushes a bridge's flows when it gets its first controller.)
        ovs.Ofctl("add-flow", "brrun", "priority=5,actions=drop");

        int? exit = run.Stop(TimeSpan.FromSeconds(15));
        Assert.That(exit, Is.Not.Null, "ovslb run did not stop on SIGTERM");
        Assert.That(exit, Is.Zero, run.Tail());
        Assert.That(ovs.DumpFlows("brrun"), Is.EqualTo(new[] { "priority=5 actions=drop" }));
    }

    [TestCase("pipelines"), TestCase("dotnetty")]
    public void Runs_an_ssl_listener_set_on_the_command_line_and_serves_a_bridge_over_tls(string transport)
    {
        // README's commands: ovs-pki init, req+sign for the controller and a switch, the Controller:Tls settings, set-ssl, set-controller ssl:.
        using var pki = OvsPki.Init();
        var ctl = pki.Issue("ctl", "controller");
        var sw = pki.Issue("sw1", "switch");
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brtls", 0xd7);
        using var run = OvslbRun.Start(["--Logging:LogLevel:Default=Information", "--Status:Enabled=false",
            "--Controller:Listen:0=ssl:127.0.0.1:0", $"--Controller:Tls:PrivateKey={ctl.PrivateKey}", $"--Controller:Tls:Certificate={ctl.Certificate}",
            $"--Controller:Tls:CaCertificate={pki.SwitchCa}", $"--Controller:Transport={transport}"]);
        int port = run.OpenFlowPort();
        Assert.That(run.Lines.Any(l => l.Contains($"on 127.0.0.1:{port} with the {transport} transport (ssl: switch certificates must be issued by {pki.SwitchCa})")), Is.True, run.Tail());
        ovs.SetSsl(sw.PrivateKey, sw.Certificate, pki.ControllerCa);
        ovs.SetController("brtls", $"ssl:127.0.0.1:{port}");
        Assert.That(ProcessRunner.WaitUntil(() => run.Lines.Any(l => l.Contains("DatapathId=00000000000000d7") && l.Contains("Reconciled")), TimeSpan.FromSeconds(20)),
            Is.True, run.Tail());
        // OVS writes its connection status to the database a few seconds later.
        Assert.That(ProcessRunner.WaitUntil(() => ovs.ControllerConnected("brtls"), TimeSpan.FromSeconds(20)), Is.True, "OVS does not report the ssl: controller connected");
        Assert.That(run.Stop(TimeSpan.FromSeconds(15)), Is.Zero, run.Tail());

        // An ssl: listener without its settings stops the controller, naming them.
        var r = OvslbRun.RunToExit("--Controller:Listen:0=ssl:127.0.0.1:0", "--Status:Enabled=false", $"--Controller:Transport={transport}");
        Assert.That(r.ExitCode, Is.EqualTo(64), r.Stderr);
        Assert.That(r.Stderr, Does.Not.Contain("internal error"));
        Assert.That(r.Stderr, Does.Contain("Controller:Tls:PrivateKey: not set (an ssl: listener needs Controller:Tls:PrivateKey, Controller:Tls:Certificate and Controller:Tls:CaCertificate)"));
    }

    [TestCase("pipelines"), TestCase("dotnetty")]
    public async Task Stops_within_seconds_on_sigterm_while_peers_sit_in_the_tls_and_openflow_handshakes(string transport)
    {
        // Shutdown never waits on a peer: one peer stopped in the middle of its ClientHello record, one that never sent a byte,
        // and one that finished TLS but never says HELLO (a session waiting in state Hello). SIGTERM with all three still there.
        using var pki = OvsPki.Init("dx2");
        var ctl = pki.Issue("ctl", "controller");
        var sw = pki.Issue("sw1", "switch");
        using var run = OvslbRun.Start(["--Logging:LogLevel:Default=Information", "--Logging:LogLevel:OvsLb.Controller=Debug", "--Status:Enabled=false", "--Controller:HandshakeTimeout=00:01:00",
            "--Controller:Listen:0=ssl:127.0.0.1:0", $"--Controller:Tls:PrivateKey={ctl.PrivateKey}", $"--Controller:Tls:Certificate={ctl.Certificate}",
            $"--Controller:Tls:CaCertificate={pki.SwitchCa}", $"--Controller:Transport={transport}"]);
        int port = run.OpenFlowPort();
        using var midRecord = new TcpClient();
        await midRecord.ConnectAsync(IPAddress.Loopback, port);
        await midRecord.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00 }); // a 512-byte handshake record, 2 bytes of it
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, port);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        using var me = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(sw.Certificate, sw.PrivateKey);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "ovslb", ClientCertificates = [me], RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        // Our HELLO follows the handshake; the session exists once the accept loop has logged the TLS line (just before it starts it).
        var hello = new byte[8];
        await tls.ReadExactlyAsync(hello).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        int tlsPort = ((IPEndPoint)tcp.Client.LocalEndPoint!).Port;
        Assert.That(ProcessRunner.WaitUntil(() => run.Lines.Any(l => l.Contains($"TLS from 127.0.0.1:{tlsPort}:")), TimeSpan.FromSeconds(20)), Is.True, run.Tail());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        int? exit = run.Stop(TimeSpan.FromSeconds(15));
        TestContext.Out.WriteLine($"{transport}: exit {exit?.ToString() ?? "none"} {clock.ElapsedMilliseconds} ms after SIGTERM");
        Assert.That(exit, Is.Zero, run.Tail());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), run.Tail());
        Assert.That(run.Lines.Any(l => l.Contains($"Connection from 127.0.0.1:{tlsPort} closed before the handshake finished: controller stopping")), Is.True, run.Tail());
        Assert.That(run.Lines.Any(l => l.Contains("Controller stopped; switch flows left in place")), Is.True, run.Tail());
    }

    [Test]
    public void Runs_on_the_dotnetty_transport_when_the_setting_names_it_and_serves_a_bridge()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brdn", 0xd9);
        using var run = OvslbRun.Start(["--Logging:LogLevel:Default=Information", "--Status:Enabled=false",
            "--Controller:Listen:0=127.0.0.1:0", "--Controller:Transport=dotnetty"]);
        int port = run.OpenFlowPort();
        Assert.That(run.Lines.Any(l => l.Contains($"Listening for OpenFlow 1.3 switches on 127.0.0.1:{port} with the dotnetty transport")), Is.True, run.Tail());
        ovs.SetController("brdn", $"tcp:127.0.0.1:{port}");
        Assert.That(ProcessRunner.WaitUntil(() => run.Lines.Any(l => l.Contains("DatapathId=00000000000000d9") && l.Contains("Reconciled")), TimeSpan.FromSeconds(20)),
            Is.True, run.Tail());
        Assert.That(ProcessRunner.WaitUntil(() => ovs.ControllerConnected("brdn"), TimeSpan.FromSeconds(20)), Is.True, "OVS does not report the controller connected");
        Assert.That(run.Stop(TimeSpan.FromSeconds(15)), Is.Zero, run.Tail());

        // A name no transport has stops the controller with the settings error, listing the known ones.
        var r = OvslbRun.RunToExit("--Controller:Listen:0=127.0.0.1:0", "--Controller:Transport=carrier-pigeon", "--Status:Enabled=false");
        Assert.That(r.ExitCode, Is.EqualTo(64), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("Controller:Transport: 'carrier-pigeon' is not one of dotnetty, pipelines"));
    }

    [Test]
    public void Bad_settings_stop_the_controller_with_a_message_naming_them()
    {
        var r = OvslbRun.RunToExit("--Controller:Listen:0=not-an-endpoint", "--Controller:EchoInterval=00:00:00.001");
        string err = r.Stderr + r.Stdout;
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(err, Does.Contain("Controller:Listen: 'not-an-endpoint' is not ADDRESS:PORT"));
        Assert.That(err, Does.Contain("Controller:EchoInterval"));
    }

    [Test]
    public void A_missing_config_file_is_named()
    {
        var r = OvslbRun.RunToExit("--config", "/nonexistent/ovslb.json");
        Assert.That(r.ExitCode, Is.EqualTo(64));
        Assert.That(r.Stderr, Does.Contain("/nonexistent/ovslb.json"));
    }
}
