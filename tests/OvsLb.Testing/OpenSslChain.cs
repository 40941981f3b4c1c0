namespace OvsLb.Testing;

/// <summary>
/// A two-level certificate authority made with the <c>openssl</c> command line, as an operator whose PKI has an intermediate CA
/// makes one: a self-signed root, an intermediate CA the root issued, and leaf certificates the intermediate issues
/// (<see cref="Issue"/>). Files in a fresh temporary directory, removed by <see cref="Dispose"/>. Keys are 2048-bit RSA, unencrypted
/// PKCS#8 PEM; certificates are valid for two days.
/// </summary>
public sealed class OpenSslChain : IDisposable
{
    private OpenSslChain(string dir) => Dir = dir;

    public string Dir { get; }

    /// <summary>The root CA certificate (PEM): what a peer that trusts "the CA" holds.</summary>
    public string Root => Path.Combine(Dir, "root-cert.pem");

    /// <summary>The intermediate CA certificate (PEM), issued by <see cref="Root"/>.</summary>
    public string Intermediate => Path.Combine(Dir, "int-cert.pem");

    /// <summary>The root followed by the intermediate (PEM): a CA file for a peer that is sent leaf certificates alone, as OVS sends its own.</summary>
    public string RootAndIntermediate => Path.Combine(Dir, "root-and-int.pem");

    /// <summary>The subject of <see cref="Intermediate"/>, as .NET prints it.</summary>
    public const string IntermediateSubject = "CN=ovslb test intermediate CA";

    public static OpenSslChain Create(string prefix = "ch")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-chain-{Guid.NewGuid():N}"[..(prefix.Length + 17)]);
        Directory.CreateDirectory(dir);
        var chain = new OpenSslChain(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
            File.WriteAllText(Path.Combine(dir, "leaf.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
            chain.OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root-privkey.pem", "-out", "root-cert.pem", "-days", "2",
                "-subj", "/CN=ovslb test root CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            chain.Sign("int", "/CN=ovslb test intermediate CA", "root", "ca.ext");
            File.WriteAllText(chain.RootAndIntermediate, File.ReadAllText(chain.Root) + File.ReadAllText(chain.Intermediate));
            return chain;
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    /// <summary>A leaf certificate for <paramref name="name"/> issued by the intermediate: its key, itself, and itself followed by the intermediate.</summary>
    public Leaf Issue(string name)
    {
        Sign(name, $"/CN=ovslb test {name}", "int", "leaf.ext");
        var leaf = new Leaf(Path.Combine(Dir, $"{name}-privkey.pem"), Path.Combine(Dir, $"{name}-cert.pem"), Path.Combine(Dir, $"{name}-chain.pem"));
        File.WriteAllText(leaf.CertificateAndIntermediate, File.ReadAllText(leaf.Certificate) + File.ReadAllText(Intermediate));
        return leaf;
    }

    private void Sign(string name, string subject, string issuer, string extensions)
    {
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{name}-privkey.pem", "-out", $"{name}-req.pem", "-subj", subject);
        OpenSsl("x509", "-req", "-in", $"{name}-req.pem", "-CA", $"{issuer}-cert.pem", "-CAkey", $"{issuer}-privkey.pem", "-CAcreateserial",
            "-out", $"{name}-cert.pem", "-days", "2", "-extfile", extensions);
    }

    private void OpenSsl(params string[] args) =>
        ProcessRunner.Run("openssl", args, timeout: TimeSpan.FromSeconds(60), workingDirectory: Dir).EnsureSuccess();

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A leaf's key, certificate, and certificate followed by the intermediate (a chain file), as files.</summary>
    public sealed record Leaf(string PrivateKey, string Certificate, string CertificateAndIntermediate);
}
