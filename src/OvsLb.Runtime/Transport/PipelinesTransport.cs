using System.Net;
using System.Net.Sockets;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// The "pipelines" transport: TCP listeners whose connections are <see cref="SwitchConnection"/>s
/// (System.IO.Pipelines over the socket). Our HELLO is written on the accepted socket, synchronously,
/// before the connection is built (<see cref="EarlyHello"/>). An <c>ssl:</c> endpoint gets a <see cref="TlsListener"/>:
/// mutual TLS with the <c>Controller:Tls</c> credentials, and the HELLO right after the TLS handshake.
/// </summary>
public sealed class PipelinesTransport : ITransport
{
    public const string TransportName = "pipelines";

    private readonly EarlyHello _earlyHello = new();
    private (TlsSettings Settings, TlsAccept Accept)? _tls; // loaded once for all the ssl: listeners of the same settings

    public string Name => TransportName;

    public ITransportListener Bind(string endpoint, ControllerOptions options)
    {
        var listen = Endpoints.ParseListen(endpoint);
        var ep = listen.Endpoint;
        var tls = listen.Tls ? TlsFor(options.Tls) : null;
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (ep.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = ep.Address.Equals(IPAddress.IPv6Any);
            s.Bind(ep);
            s.Listen(1024);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return tls is null ? new Listener(s, _earlyHello, options) : new TlsListener(s, tls, _earlyHello, options);
    }

    /// <summary>The TLS side of the <c>ssl:</c> listeners: <paramref name="settings"/>' files, read and checked once.</summary>
    private TlsAccept TlsFor(TlsSettings settings)
    {
        if (_tls is { } known && ReferenceEquals(known.Settings, settings)) return known.Accept;
        var accept = new TlsAccept(settings.LoadOrThrow());
        _tls = (settings, accept);
        return accept;
    }

    public Task WarmUpAsync(CancellationToken ct) => _earlyHello.WarmUpAsync(ct);

    private sealed class Listener(Socket socket, EarlyHello earlyHello, ControllerOptions options) : ITransportListener
    {
        public EndPoint LocalEndpoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (!ct.IsCancellationRequested)
            {
                throw new AcceptFailedException(e.Message, e);
            }
            OvsLb.OpenFlow.Messages.HelloMessage hello;
            try
            {
                hello = earlyHello.Send(accepted);
            }
            catch (SocketException e)
            {
                var remote = accepted.RemoteEndPoint;
                accepted.Dispose();
                throw new PeerGoneException(remote, e.Message, e);
            }
            return new AcceptedConnection(new SwitchConnection(accepted, options, sentAtAccept: hello), hello);
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
