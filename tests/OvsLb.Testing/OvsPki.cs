using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OvsLb.Testing;

/// <summary>
/// A private public-key infrastructure made by Open vSwitch's own <c>ovs-pki</c> (openvswitch-common), as an operator
/// makes one (<c>man ovs-pki</c>): <c>init</c> creates a controller CA and a switch CA under <see cref="Dir"/><c>/pki</c>,
/// and <see cref="Issue"/> runs <c>req+sign</c> for a controller or a switch. <see cref="Dispose"/> removes the directory.
/// </summary>
public sealed class OvsPki : IDisposable
{
    private OvsPki(string dir) => Dir = dir;

    public string Dir { get; }
    private string PkiDir => Path.Combine(Dir, "pki");

    /// <summary>The CA that issues controller certificates: what a switch's <c>set-ssl</c> trusts.</summary>
    public string ControllerCa => Path.Combine(PkiDir, "controllerca", "cacert.pem");

    /// <summary>The CA that issues switch certificates: what the controller's <c>Controller:Tls:CaCertificate</c> trusts.</summary>
    public string SwitchCa => Path.Combine(PkiDir, "switchca", "cacert.pem");

    /// <summary><c>ovs-pki --dir=DIR/pki init</c> in a fresh temporary directory (~1.5 s: two 2048-bit RSA CAs).</summary>
    public static OvsPki Init(string prefix = "tl")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-pki-{Guid.NewGuid():N}"[..(prefix.Length + 15)]);
        Directory.CreateDirectory(dir);
        var pki = new OvsPki(dir);
        try
        {
            pki.Run("init");
            return pki;
        }
        catch
        {
            pki.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>ovs-pki req+sign NAME TYPE</c> (<paramref name="type"/> <c>controller</c> or <c>switch</c>), run in <see cref="Dir"/> as an
    /// operator runs it: writes <c>NAME-privkey.pem</c>, <c>NAME-req.pem</c> and <c>NAME-cert.pem</c> there.
    /// </summary>
    public Credentials Issue(string name, string type)
    {
        Run("req+sign", name, type);
        return new Credentials(Path.Combine(Dir, $"{name}-privkey.pem"), Path.Combine(Dir, $"{name}-cert.pem"));
    }

    private void Run(params string[] args) =>
        ProcessRunner.Run("ovs-pki", [$"--dir={PkiDir}", $"--log={Path.Combine(Dir, "ovs-pki.log")}", .. args], timeout: TimeSpan.FromSeconds(60), workingDirectory: Dir).EnsureSuccess();

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A private key and its certificate, as files.</summary>
    public sealed record Credentials(string PrivateKey, string Certificate)
    {
        /// <summary>The certificate's subject, as .NET prints it ("CN=sw id:..., OU=..., O=Open vSwitch, ...").</summary>
        public string Subject => Load().Subject;

        /// <summary>SHA-256 of the certificate (DER), lower-case hex: the form <c>Controller:Tls:SwitchCertificate</c> takes.</summary>
        public string Sha256 => Convert.ToHexString(SHA256.HashData(Load().RawData)).ToLowerInvariant();

        private X509Certificate2 Load() => X509Certificate2.CreateFromPem(File.ReadAllText(Certificate));
    }
}
