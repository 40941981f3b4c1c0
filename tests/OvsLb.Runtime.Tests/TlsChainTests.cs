using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Certificate chains on <c>ssl:</c> listeners, with a root CA and an intermediate made by <c>openssl</c> (<see cref="OpenSslChain"/>):
/// a controller certificate the intermediate issued is presented with the intermediate (<c>Controller:Tls:Certificate</c> is the
/// certificate followed by it), so a peer trusting the root alone accepts it; and a switch certificate the intermediate issued is
/// accepted when <c>Controller:Tls:CaCertificate</c> holds the root and the intermediate, since OVS sends its own certificate only.
/// Run on each transport: both present the same chain and apply the same check.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName), Category("Ovs")]
public class TlsChainTests(string transport)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private OpenSslChain _chain = null!;
    private OpenSslChain.Leaf _controller = null!;
    private OpenSslChain.Leaf _switch = null!;

    [OneTimeSetUp]
    public void MakeCertificates()
    {
        var clock = Stopwatch.StartNew();
        _chain = OpenSslChain.Create();
        _controller = _chain.Issue("controller");
        _switch = _chain.Issue("switch");
        TestContext.Out.WriteLine($"openssl: root, intermediate and two leaves in {clock.ElapsedMilliseconds} ms");
    }

    [OneTimeTearDown]
    public void RemoveCertificates() => _chain?.Dispose();

    private RunningController StartController(string caCertificate) => new(TestStates.Patch(), o =>
    {
        o.Listen = ["ssl:127.0.0.1:0"];
        o.HandshakeTimeout = TimeSpan.FromSeconds(3);
        o.Tls = new TlsSettings { PrivateKey = _controller.PrivateKey, Certificate = _controller.CertificateAndIntermediate, CaCertificate = caCertificate };
    }, transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);

    [Test]
    public async Task The_controller_presents_its_certificate_with_the_intermediate_on_every_connection()
    {
        await using var c = StartController(_chain.Root);
        var root = X509Certificate2.CreateFromPem(File.ReadAllText(_chain.Root));
        var intermediate = X509Certificate2.CreateFromPem(File.ReadAllText(_chain.Intermediate));
        using var me = X509Certificate2.CreateFromPemFile(_switch.Certificate, _switch.PrivateKey);
        // Twice from one client: the second connection would resume the first's TLS session (.NET clients cache it per target
        // host), in which the controller would see the switch's certificate without the intermediate it sent, and refuse it.
        for (int connection = 1; connection <= 2; connection++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, c.Port);
            string[] sent = [];
            string? rootOnly = null;
            await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "ovslb",
                ClientCertificateContext = SslStreamCertificateContext.Create(me, [intermediate], offline: true),
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    // What the controller sent besides its certificate, and whether a peer trusting only the root accepts it.
                    var extra = chain!.ChainPolicy.ExtraStore;
                    sent = [.. extra.Select(x => x.Subject)];
                    using var verify = new X509Chain();
                    verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    verify.ChainPolicy.CustomTrustStore.Add(root);
                    verify.ChainPolicy.ExtraStore.AddRange(extra);
                    verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    verify.ChainPolicy.DisableCertificateDownloads = true;
                    bool ok = verify.Build(X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData()));
                    rootOnly = ok ? "valid" : string.Join(", ", verify.ChainStatus.Select(s => s.Status));
                    return true;
                },
            });
            TestContext.Out.WriteLine($"connection {connection}: sent with the certificate: [{string.Join("; ", sent)}]; with the root alone: {rootOnly}");
            Assert.That(sent, Does.Contain(OpenSslChain.IntermediateSubject), $"connection {connection}: the intermediate was not sent");
            Assert.That(rootOnly, Is.EqualTo("valid"));

            // The switch (its intermediate sent along) is accepted: our HELLO follows the handshake.
            var hello = new byte[8];
            using var cts = new CancellationTokenSource(Bound);
            int got = 0;
            while (got < hello.Length)
            {
                int n = await ssl.ReadAsync(hello.AsMemory(got), cts.Token);
                Assert.That(n, Is.Not.Zero, $"connection {connection} closed before our HELLO; log:\n{string.Join("\n", c.Log.Lines.TakeLast(10))}");
                got += n;
            }
            Assert.That(hello[1], Is.EqualTo((byte)OfpType.Hello));
        }
    }

    [Test]
    public async Task A_bridge_trusting_the_root_alone_connects_with_a_switch_certificate_from_the_intermediate()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brch", 0x7c01);
        await using var c = StartController(_chain.RootAndIntermediate);
        // OVS trusts the root only, and sends its own certificate only (no intermediate).
        ovs.SetSsl(_switch.PrivateKey, _switch.Certificate, _chain.Root);
        ovs.SetController("brch", $"ssl:127.0.0.1:{c.Port}");

        var s = c.WaitReady(0x7c01);
        Assert.That(ovs.DumpFlows("brch"), Is.EqualTo(TestStates.Patch().FlowLines()));
        Assert.That(ProcessRunner.WaitUntil(() => ovs.ControllerConnected("brch"), Bound), Is.True, "OVS does not report the ssl: controller connected");
        Assert.That(c.Log.WaitFor(Bound, "TLS from", "switch certificate 'CN=ovslb test switch'"), Is.Not.Null);
        Assert.That(s.BridgeName, Is.EqualTo("brch"));
    }

    [Test]
    public async Task Without_the_intermediate_in_the_ca_file_the_switch_is_refused_naming_its_issuer()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brch", 0x7c02);
        await using var c = StartController(_chain.Root);
        ovs.SetSsl(_switch.PrivateKey, _switch.Certificate, _chain.Root);
        ovs.SetController("brch", $"ssl:127.0.0.1:{c.Port}");

        var line = c.Log.WaitFor(Bound, "closed before the handshake finished", "TLS: switch certificate 'CN=ovslb test switch' is not issued by Controller:Tls:CaCertificate",
            $"its issuer: '{OpenSslChain.IntermediateSubject}'");
        Assert.That(line, Is.Not.Null, string.Join("\n", c.Log.Lines.TakeLast(10)));
        TestContext.Out.WriteLine(line);
        Assert.That(c.Controller.Sessions, Is.Empty);
    }
}
