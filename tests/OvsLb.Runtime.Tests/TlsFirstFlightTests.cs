using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// A TLS 1.3 switch whose last handshake flight (certificate, certificate verify, Finished) and first OpenFlow message reach the
/// controller in one TCP segment, as when OVS writes its HELLO right after its Finished (a TLS 1.3 client may) and the controller
/// reads both at once, which a loaded machine makes likely. DotNetty.Handlers' TlsHandler 0.7.6 can fail on such a read with a
/// NullReferenceException (see <c>TlsAcceptance.NewRecordSplitter</c>); the dotnetty transport now hands it one record per read
/// until the handshake is done. Here the segment is made on purpose, ten times per fixture: each time the session reads the
/// HELLO and asks for the features. Run on each transport.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName), Category("Ovs")]
public class TlsFirstFlightTests(string transport)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private OvsPki _pki = null!;
    private OvsPki.Credentials _controller = null!;
    private OvsPki.Credentials _switch = null!;

    [OneTimeSetUp]
    public void MakeCertificates()
    {
        _pki = OvsPki.Init("dx2");
        _controller = _pki.Issue("ctl", "controller");
        _switch = _pki.Issue("sw", "switch");
    }

    [OneTimeTearDown]
    public void RemoveCertificates() => _pki?.Dispose();

    [Test]
    public async Task A_hello_in_the_same_segment_as_the_tls_finished_is_read_and_the_handshake_goes_on()
    {
        await using var c = new RunningController(TestStates.Patch(), o =>
        {
            o.Listen = ["ssl:127.0.0.1:0"];
            o.HandshakeTimeout = TimeSpan.FromSeconds(5);
            o.Tls = new TlsSettings { PrivateKey = _controller.PrivateKey, Certificate = _controller.Certificate, CaCertificate = _pki.SwitchCa };
        }, transport: transport == DotNettyTransport.TransportName ? new DotNettyTransport() : null);
        using var me = X509Certificate2.CreateFromPemFile(_switch.Certificate, _switch.PrivateKey);
        for (int attempt = 1; attempt <= 10; attempt++)
        {
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, c.Port);
            var held = new HeldWrites(tcp.GetStream());
            await using var ssl = new SslStream(held, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "ovslb",
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificates = [me],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            // TLS 1.3: the client has finished once its Finished is written (still held here); the HELLO follows it in one segment.
            await ssl.WriteAsync(OfpEncoder.ToArray(HelloMessage.Offering(7)));
            await held.ReleaseAsync();

            // Our HELLO, then FEATURES_REQUEST: the session read the switch's HELLO.
            using var cts = new CancellationTokenSource(Bound);
            var types = new List<OfpType>();
            try
            {
                while (!types.Contains(OfpType.FeaturesRequest)) types.Add(await ReadTypeAsync(ssl, cts.Token));
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException)
            {
                Assert.Fail($"attempt {attempt}: no FEATURES_REQUEST after [{string.Join(", ", types)}] ({e.Message}); log:\n{string.Join("\n", c.Log.Lines.TakeLast(10))}");
            }
            Assert.That(types[0], Is.EqualTo(OfpType.Hello));
        }
        Assert.That(c.Log.Lines.Where(l => l.Contains("receive failed")), Is.Empty);
    }

    private static async Task<OfpType> ReadTypeAsync(Stream s, CancellationToken ct)
    {
        var header = new byte[8];
        await s.ReadExactlyAsync(header, ct);
        int length = header[2] << 8 | header[3];
        if (length > 8) await s.ReadExactlyAsync(new byte[length - 8], ct);
        return (OfpType)header[1];
    }

    /// <summary>
    /// The client's socket stream, holding its writes until it reads (a handshake round trip) or <see cref="ReleaseAsync"/>: what the
    /// client writes between two reads leaves in one send.
    /// </summary>
    private sealed class HeldWrites(NetworkStream inner) : Stream
    {
        private readonly MemoryStream _held = new();

        public async Task ReleaseAsync()
        {
            if (_held.Length == 0) return;
            await inner.WriteAsync(_held.GetBuffer().AsMemory(0, (int)_held.Length));
            _held.SetLength(0);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            await ReleaseAsync();
            return await inner.ReadAsync(buffer, ct);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            _held.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override void Write(byte[] buffer, int offset, int count) => _held.Write(buffer, offset, count);
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
