using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Listen syntax and the <c>Controller:Tls</c> files, checked at start: each problem names the setting and the file,
/// with ovs-pki's own files as the good case.
/// </summary>
[TestFixture]
public class TlsSettingsTests
{
    private OvsPki _pki = null!;
    private OvsPki.Credentials _controller = null!;
    private OvsPki.Credentials _switch = null!;

    [OneTimeSetUp]
    public void MakeCertificates()
    {
        _pki = OvsPki.Init();
        _controller = _pki.Issue("ctl", "controller");
        _switch = _pki.Issue("sw", "switch");
    }

    [OneTimeTearDown]
    public void RemoveCertificates() => _pki?.Dispose();

    private ControllerOptions Ssl(Action<TlsSettings>? change = null)
    {
        var o = new ControllerOptions
        {
            Listen = ["ssl:127.0.0.1:6653"],
            Tls = new TlsSettings { PrivateKey = _controller.PrivateKey, Certificate = _controller.Certificate, CaCertificate = _pki.SwitchCa },
        };
        change?.Invoke(o.Tls);
        return o;
    }

    [Test]
    public void Listen_addresses_take_tcp_and_ssl_prefixes()
    {
        Assert.That(Endpoints.ParseListen("ssl:0.0.0.0:6653"), Is.EqualTo(new ListenEndpoint(Endpoints.Parse("0.0.0.0:6653"), Tls: true)));
        Assert.That(Endpoints.ParseListen("tcp:[::1]:6653"), Is.EqualTo(new ListenEndpoint(Endpoints.Parse("[::1]:6653"), Tls: false)));
        Assert.That(Endpoints.ParseListen("127.0.0.1:6653").Tls, Is.False);
        Assert.That(Endpoints.ParseListen("ssl:[::]:6653").ToString(), Is.EqualTo("ssl:[::]:6653"));
        Assert.That(new ControllerOptions { Listen = ["ssl:nowhere", "udp:127.0.0.1:1"] }.Validate(), Is.EqualTo(new[]
        {
            "Controller:Listen: 'ssl:nowhere' is not ADDRESS:PORT, tcp:ADDRESS:PORT or ssl:ADDRESS:PORT",
            "Controller:Listen: 'udp:127.0.0.1:1' is not ADDRESS:PORT, tcp:ADDRESS:PORT or ssl:ADDRESS:PORT",
        }));
    }

    [Test]
    public void Ovs_pki_files_are_accepted()
    {
        Assert.That(Ssl().Validate(), Is.Empty);
        Assert.That(Ssl(t => t.SwitchCertificate = _switch.Certificate).Validate(), Is.Empty);
        Assert.That(Ssl(t => t.SwitchCertificate = string.Join(':', _switch.Sha256.Chunk(2).Select(c => new string(c)))).Validate(), Is.Empty, "fingerprint with colons");
    }

    [Test]
    public void An_ssl_listener_without_tls_settings_is_an_error()
    {
        var errors = new ControllerOptions { Listen = ["tcp:127.0.0.1:6653", "ssl:127.0.0.1:6654"] }.Validate();
        Assert.That(errors, Is.EqualTo(new[] { "PrivateKey", "Certificate", "CaCertificate" }.Select(k =>
            $"Controller:Tls:{k}: not set (an ssl: listener needs Controller:Tls:PrivateKey, Controller:Tls:Certificate and Controller:Tls:CaCertificate)")));
        Assert.Throws<ArgumentException>(() => _ = new SwitchServer(new ControllerOptions { Listen = ["ssl:127.0.0.1:0"] }, new StaticDesiredState(TestStates.Patch())));
    }

    [Test]
    public void Missing_unreadable_and_mismatched_files_name_the_setting_and_the_file()
    {
        var missing = Path.Combine(_pki.Dir, "nope.pem");
        Assert.That(Ssl(t => t.Certificate = missing).Validate(), Is.EqualTo(new[] { $"Controller:Tls:Certificate: cannot read '{missing}': Could not find file '{missing}'." }));
        Assert.That(Ssl(t => t.PrivateKey = _switch.PrivateKey).Validate().Single(),
            Does.StartWith($"Controller:Tls:PrivateKey: '{_switch.PrivateKey}' is not the private key of Controller:Tls:Certificate '{_controller.Certificate}' (").And.Contain("CN=ctl id:"));
        Assert.That(Ssl(t => t.CaCertificate = _controller.PrivateKey).Validate(),
            Is.EqualTo(new[] { $"Controller:Tls:CaCertificate: '{_controller.PrivateKey}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)" }));
        Assert.That(Ssl(t => t.PrivateKey = _controller.Certificate).Validate().Single(),
            Does.StartWith($"Controller:Tls:PrivateKey: '{_controller.Certificate}' holds no RSA private key in PEM"));
        Assert.That(Ssl(t => t.SwitchCertificate = "0123").Validate().Single(), Does.StartWith("Controller:Tls:SwitchCertificate: cannot read '0123'"));
        // Given without an ssl: listener, the files are still checked.
        Assert.That(new ControllerOptions { Tls = new TlsSettings { CaCertificate = missing } }.Validate(), Has.Some.StartWith("Controller:Tls:PrivateKey: not set"));
    }
}
