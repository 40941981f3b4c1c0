using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// An <c>ssl:</c> listener of the "pipelines" transport. Its own accept loop (started by the first <see cref="AcceptAsync"/>)
/// hands every accepted socket to a task of its own that runs the TLS handshake (<see cref="TlsAccept"/>, bounded by
/// <see cref="ControllerOptions.HandshakeTimeout"/>) and writes our HELLO right after it; finished connections, and the
/// refusals of peers whose handshake failed, queue in a channel that <see cref="AcceptAsync"/> reads. Why: a handshake
/// takes round trips, and a slow or silent peer holds its task until the timeout; none of it may hold up the next accept.
/// </summary>
internal sealed class TlsListener : ITransportListener
{
    private readonly Socket _socket;
    private readonly TlsAccept _tls;
    private readonly EarlyHello _earlyHello;
    private readonly ControllerOptions _options;
    private readonly Channel<Outcome> _ready = Channel.CreateUnbounded<Outcome>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();
    private readonly Lock _gate = new();
    private Task? _acceptLoop;

    /// <summary>One accepted peer: its greeted connection, or why it was refused (or why accepting failed).</summary>
    private readonly record struct Outcome(AcceptedConnection? Accepted, Exception? Error);

    public TlsListener(Socket socket, TlsAccept tls, EarlyHello earlyHello, ControllerOptions options)
    {
        _socket = socket;
        _tls = tls;
        _earlyHello = earlyHello;
        _options = options;
        LocalEndpoint = socket.LocalEndPoint!;
    }

    public EndPoint LocalEndpoint { get; }

    public string? TlsCaCertificate => _tls.CaPath;

    public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        lock (_gate)
        {
            _acceptLoop ??= Task.Run(AcceptLoopAsync, CancellationToken.None);
        }
        Outcome next;
        try
        {
            next = await _ready.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException("listener closed", e);
        }
        return next.Accepted ?? throw next.Error!;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                _ready.Writer.TryWrite(new Outcome(null, new AcceptFailedException(e.Message, e)));
                continue;
            }
            var handshake = HandshakeAsync(socket);
            _handshakes.TryAdd(handshake, 0);
            _ = handshake.ContinueWith(t => _handshakes.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    /// <summary>The TLS handshake and our HELLO for one peer; queues the connection, or the refusal with why. Never throws.</summary>
    private async Task HandshakeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint;
        try
        {
            var greeted = await _tls.AcceptAsync(socket, _earlyHello, _options.HandshakeTimeout, _stop.Token).ConfigureAwait(false);
            var stream = greeted.Stream;
            var session = new TlsSession(stream.SslProtocol, stream.NegotiatedCipherSuite, stream.RemoteCertificate?.Subject, greeted.HandshakeMilliseconds);
            var conn = new SwitchConnection(stream, remote, _options, sentAtAccept: greeted.Hello);
            // Refused once the listener is closed: nobody will accept it.
            if (!_ready.Writer.TryWrite(new Outcome(new AcceptedConnection(conn, greeted.Hello, session), null))) await conn.DisposeAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (TlsRefusedException e)
        {
            _ready.Writer.TryWrite(new Outcome(null, new PeerRefusedException(remote, e.Message, e)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _socket.Dispose();
        // Handshakes end at once when cancelled (TlsAccept closes their sockets); the bound is only a safeguard.
        Task? loop;
        lock (_gate) loop = _acceptLoop;
        var running = _handshakes.Keys.Append(loop ?? Task.CompletedTask);
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out var pending))
        {
            if (pending.Accepted is { } a) await a.Connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
