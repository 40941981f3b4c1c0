using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;
using OvsLb.Transport.DotNetty;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// <c>ssl:</c> listeners with real OVS and certificates made by <c>ovs-pki</c>: a bridge set up with <c>ovs-vsctl set-ssl</c>
/// connects over <c>ssl:</c> and is programmed; a switch certificate from another CA, a pinned certificate that does not
/// match, a peer without a certificate and a plain-TCP OpenFlow peer are refused and logged; OVS refuses a controller
/// certificate its CA did not issue. Run on each transport: the log lines and bounds are the same.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName), Category("Ovs")]
public class TlsTests(string transport)
{
    private static readonly TimeSpan Handshake = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private OvsPki _pki = null!;
    private OvsPki _otherPki = null!;
    private OvsPki.Credentials _controller = null!;
    private OvsPki.Credentials _switch = null!;
    private OvsPki.Credentials _otherSwitch = null!;
    private OvsPki.Credentials _foreignSwitch = null!;

    [OneTimeSetUp]
    public void MakeCertificates()
    {
        var clock = Stopwatch.StartNew();
        _pki = OvsPki.Init();
        _controller = _pki.Issue("ctl", "controller");
        _switch = _pki.Issue("sw", "switch");
        _otherSwitch = _pki.Issue("sw2", "switch");
        _otherPki = OvsPki.Init();
        _foreignSwitch = _otherPki.Issue("rogue", "switch");
        TestContext.Out.WriteLine($"ovs-pki: two PKIs and four certificates in {clock.ElapsedMilliseconds} ms");
    }

    [OneTimeTearDown]
    public void RemoveCertificates()
    {
        _pki?.Dispose();
        _otherPki?.Dispose();
    }

    /// <summary>A controller with one <c>ssl:</c> listener on loopback, with ovs-pki's controller certificate and switch CA.</summary>
    private RunningController StartController(Action<ControllerOptions>? more = null) => new(TestStates.Patch(), o =>
    {
        o.Listen = ["ssl:127.0.0.1:0"];
        o.HandshakeTimeout = Handshake;
        o.Tls = new TlsSettings { PrivateKey = _controller.PrivateKey, Certificate = _controller.Certificate, CaCertificate = _pki.SwitchCa };
        more?.Invoke(o);
    }, transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);

    private static string SslTarget(RunningController c) => $"ssl:127.0.0.1:{c.Port}";

    [Test]
    public async Task A_bridge_with_set_ssl_connects_over_ssl_and_is_programmed()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", 0x7151);
        // Pinned too (the switch's certificate file): the pin that matches lets the switch in.
        await using var c = StartController(o =>
        {
            o.Tls.SwitchCertificate = _switch.Certificate;
            o.EchoInterval = TimeSpan.FromMilliseconds(500);
        });
        Assert.That(c.Log.WaitFor(Bound, "Listening for OpenFlow 1.3 switches on 127.0.0.1:", $"with the {transport} transport (ssl: switch certificates must be issued by", _pki.SwitchCa), Is.Not.Null);
        ovs.SetSsl(_switch.PrivateKey, _switch.Certificate, _pki.ControllerCa);
        var clock = Stopwatch.StartNew();
        ovs.SetController("br0", SslTarget(c));

        var s = c.WaitReady(0x7151);
        TestContext.Out.WriteLine($"set-controller ssl: to Ready in {clock.ElapsedMilliseconds} ms");
        Assert.That(s.BridgeName, Is.EqualTo("br0"));
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(TestStates.Patch().FlowLines()));
        Assert.That(ProcessRunner.WaitUntil(() => ovs.ControllerConnected("br0"), Bound), Is.True, "OVS does not report the ssl: controller connected");
        var tls = c.Log.WaitFor(Bound, "TLS from", $"switch certificate '{_switch.Subject}'");
        TestContext.Out.WriteLine(tls);
        Assert.That(tls, Does.Contain("Tls12").Or.Contain("Tls13"));
        Assert.That(c.Log.WaitFor(Bound, "Switch 0000000000007151 (br0) connected"), Is.Not.Null);

        // A desired-state change reaches the bridge over the same TLS connection.
        var want = TestStates.Patch(extraFlows: 3);
        await ReconcileTests.SetAndWaitAsync(c, s, want);
        Assert.That(ovs.DumpFlows("br0"), Is.EqualTo(want.FlowLines()));
        Assert.That(c.Controller.Sessions[0x7151], Is.SameAs(s));

        // Keepalive as over TCP: on the idle bridge, echo requests and their replies go through TLS and the session stays.
        long sent = s.MessagesOut, received = s.MessagesIn;
        Assert.That(ProcessRunner.WaitUntil(() => s.MessagesOut >= sent + 3 && s.MessagesIn >= received + 3, Bound), Is.True,
            $"expected 3 echo exchanges; out {s.MessagesOut - sent}, in {s.MessagesIn - received}");
        Assert.That(s.Completion.IsCompleted, Is.False);
        Assert.That(c.Controller.Sessions[0x7151], Is.SameAs(s));
    }

    [Test]
    public async Task A_switch_whose_certificate_another_ca_issued_is_refused_and_logged_with_its_subject()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", 0x7152);
        await using var c = StartController();
        // The switch trusts our controller CA, but its own certificate is from another PKI.
        ovs.SetSsl(_foreignSwitch.PrivateKey, _foreignSwitch.Certificate, _pki.ControllerCa);
        ovs.SetController("br0", SslTarget(c));

        var line = c.Log.WaitFor(Bound, "closed before the handshake finished", $"TLS: switch certificate '{_foreignSwitch.Subject}' is not issued by Controller:Tls:CaCertificate");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines));
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain("Connection from 127.0.0.1:").And.Contain(_pki.SwitchCa));
        Assert.That(c.Controller.Sessions, Is.Empty);
        Assert.That(ovs.ControllerConnected("br0"), Is.False);
    }

    [Test]
    public async Task A_switch_that_is_not_the_pinned_one_is_refused()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", 0x7153);
        // Same CA, but only sw2's certificate is allowed (its SHA-256 fingerprint).
        await using var c = StartController(o => o.Tls.SwitchCertificate = _otherSwitch.Sha256);
        ovs.SetSsl(_switch.PrivateKey, _switch.Certificate, _pki.ControllerCa);
        ovs.SetController("br0", SslTarget(c));

        var line = c.Log.WaitFor(Bound, "closed before the handshake finished", $"TLS: switch certificate '{_switch.Subject}'", "is not the one pinned by Controller:Tls:SwitchCertificate");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines));
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain(_switch.Sha256));
        Assert.That(c.Controller.Sessions, Is.Empty);
    }

    [Test]
    public async Task The_switch_refuses_a_controller_certificate_its_ca_did_not_issue()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", 0x7154);
        await using var c = StartController();
        // The switch's certificate is good for us, but it trusts another PKI's controller CA.
        ovs.SetSsl(_switch.PrivateKey, _switch.Certificate, _otherPki.ControllerCa);
        ovs.SetController("br0", SslTarget(c));

        var ours = c.Log.WaitFor(Bound, "closed before the handshake finished", "TLS handshake failed", "alert unknown ca",
            $"(the switch refused our certificate '{_controller.Subject}': the CA certificate of its set-ssl must be the one that issued it");
        Assert.That(ours, Is.Not.Null, string.Join("\n", c.Log.Lines));
        TestContext.Out.WriteLine(ours);
        string ovsLog = Path.Combine(ovs.Dir, "ovs-vswitchd.log");
        string? refusal = null;
        Assert.That(ProcessRunner.WaitUntil(() => (refusal = File.ReadLines(ovsLog).FirstOrDefault(l => l.Contains("certificate verify failed", StringComparison.Ordinal))) is not null, Bound),
            Is.True, "ovs-vswitchd.log does not say it refused the controller's certificate:\n" + File.ReadAllText(ovsLog));
        TestContext.Out.WriteLine($"ovs-vswitchd: {refusal}");
        Assert.That(c.Controller.Sessions, Is.Empty);
    }

    [Test]
    public async Task A_peer_without_certificate_plain_openflow_and_a_silent_peer_are_closed_and_logged()
    {
        await using var c = StartController();
        var clock = Stopwatch.StartNew();

        // No certificate: a TLS client that offers none.
        using var bare = Connect(c);
        var bareClosed = TlsClientClosedAfterAsync(bare, clientCertificate: null, clock);

        // Plain OpenFlow on the ssl: port: a switch whose target says tcp: sends its HELLO first.
        using var plain = Connect(c);
        plain.Send(OfpEncoder.ToArray(HelloMessage.Offering(7)));
        var plainClosed = ClosedAfterAsync(plain, clock, Handshake + Slack);

        // Connects and says nothing: the handshake timeout closes it.
        using var silent = Connect(c);
        var silentClosed = ClosedAfterAsync(silent, clock, Handshake + Slack);

        var (noCert, plainAt, silentAt) = (await bareClosed, await plainClosed, await silentClosed);
        TestContext.Out.WriteLine($"closed after: no certificate {noCert?.TotalMilliseconds:0} ms, plain OpenFlow {plainAt?.TotalMilliseconds:0} ms, silent {silentAt?.TotalMilliseconds:0} ms (handshake timeout {Handshake.TotalMilliseconds:0} ms)");
        Assert.That(noCert, Is.Not.Null.And.LessThan(Handshake));
        Assert.That(plainAt, Is.Not.Null.And.LessThan(Handshake));
        Assert.That(silentAt, Is.Not.Null.And.GreaterThanOrEqualTo(Handshake - TimeSpan.FromMilliseconds(100)).And.LessThan(Handshake + Slack));

        var lines = new[] { ClosedLine(c, bare), ClosedLine(c, plain), ClosedLine(c, silent) };
        TestContext.Out.WriteLine(string.Join("\n", lines));
        Assert.That(lines[0], Does.Contain("TLS: the peer sent no certificate"));
        Assert.That(lines[1], Does.Contain("not a TLS peer: plain OpenFlow on an ssl: listener (first bytes 04000010").And.Contain("is the switch's target tcp: instead of ssl:?"));
        Assert.That(lines[2], Does.Contain("TLS handshake not finished within 2s"));
        Assert.That(c.Controller.Sessions, Is.Empty);
    }

    [Test]
    public async Task A_tls_peer_with_a_switch_certificate_gets_our_hello_right_after_the_handshake()
    {
        await using var c = StartController();
        using var peer = Connect(c);
        using var cert = X509Certificate2.CreateFromPemFile(_switch.Certificate, _switch.PrivateKey);
        await using var ssl = new SslStream(new NetworkStream(peer), leaveInnerStreamOpen: true);
        using var timeout = new CancellationTokenSource(Bound);
        await ssl.AuthenticateAsClientAsync(ClientOptions(cert), timeout.Token);
        // Nothing sent by us: the controller's HELLO comes on its own, as on plain TCP.
        var hello = new byte[8];
        await ssl.ReadExactlyAsync(hello, timeout.Token);
        TestContext.Out.WriteLine($"{ssl.SslProtocol} {ssl.NegotiatedCipherSuite}: first record {Convert.ToHexString(hello)}");
        Assert.That(hello[..4], Is.EqualTo(new byte[] { 0x04, 0x00, 0x00, 0x10 }), "OFPT_HELLO, OpenFlow 1.3, 16 bytes");
    }

    [Test]
    public async Task A_silent_peer_does_not_hold_up_the_next_one()
    {
        await using var c = StartController();
        // Connected first, and silent: its handshake waits for the timeout on a task of its own.
        using var silent = Connect(c);
        var silentClosed = ClosedAfterAsync(silent, Stopwatch.StartNew(), Handshake + Slack);
        var clock = Stopwatch.StartNew();
        using var peer = Connect(c);
        using var cert = X509Certificate2.CreateFromPemFile(_switch.Certificate, _switch.PrivateKey);
        await using var ssl = new SslStream(new NetworkStream(peer), leaveInnerStreamOpen: true);
        using var timeout = new CancellationTokenSource(Bound);
        await ssl.AuthenticateAsClientAsync(ClientOptions(cert), timeout.Token);
        var hello = new byte[8];
        await ssl.ReadExactlyAsync(hello, timeout.Token);
        var greetedAfter = clock.Elapsed;
        TestContext.Out.WriteLine($"second peer greeted after {greetedAfter.TotalMilliseconds:0} ms while the first stays silent (handshake timeout {Handshake.TotalMilliseconds:0} ms)");
        Assert.That(hello[..4], Is.EqualTo(new byte[] { 0x04, 0x00, 0x00, 0x10 }));
        Assert.That(greetedAfter, Is.LessThan(Handshake));
        Assert.That(silentClosed.IsCompleted, Is.False, "the silent peer was closed before the second was greeted");
        Assert.That(await silentClosed, Is.Not.Null);
        Assert.That(ClosedLine(c, silent), Does.Contain("TLS handshake not finished within 2s"));
    }

    private static SslClientAuthenticationOptions ClientOptions(X509Certificate2? cert) => new()
    {
        TargetHost = "ovslb",
        ClientCertificates = cert is null ? null : new X509CertificateCollection { cert },
        // The controller's certificate is not what this test checks (OVS does, above).
        RemoteCertificateValidationCallback = (_, _, _, _) => true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private static Socket Connect(RunningController c)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(IPAddress.Loopback, c.Port);
        return s;
    }

    /// <summary>A TLS client on <paramref name="socket"/>; when the controller has closed it (the handshake refused, or the first read ending), or null.</summary>
    private static async Task<TimeSpan?> TlsClientClosedAfterAsync(Socket socket, X509Certificate2? clientCertificate, Stopwatch since)
    {
        using var timeout = new CancellationTokenSource(Handshake + Slack);
        await using var ssl = new SslStream(new NetworkStream(socket), leaveInnerStreamOpen: true);
        try
        {
            // With TLS 1.3 the client finishes before the server has read its (empty) certificate: the refusal comes on the first read.
            await ssl.AuthenticateAsClientAsync(ClientOptions(clientCertificate), timeout.Token);
            var buf = new byte[64];
            while (await ssl.ReadAsync(buf, timeout.Token) > 0) Assert.Fail("the controller sent data to a peer it must refuse");
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
        }
        return since.Elapsed;
    }

    private static Task<TimeSpan?> ClosedAfterAsync(Socket s, Stopwatch since, TimeSpan limit) => BadPeerTests.ClosedAfterAsync(s, since, limit);

    private static string ClosedLine(RunningController c, Socket peer) =>
        c.Log.WaitFor(Bound, $"Connection from {peer.LocalEndPoint} closed before the handshake finished") ?? $"(no log line for {peer.LocalEndPoint})";
}
