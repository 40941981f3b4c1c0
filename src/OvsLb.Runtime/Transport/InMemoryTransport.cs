using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// A transport without sockets, for tests whose subject is the session and not the wire (handshake
/// states, reconciliation, roles, the directory of switches): <see cref="Connect"/> gives the switch's end
/// of a duplex in-memory pipe (<see cref="DuplexPipeStream"/>), and the listener accepts the controller's
/// end as a <see cref="SwitchConnection"/>, greeted with our HELLO like a TCP connection. What crosses it
/// is real OpenFlow bytes, encoded and framed by the project's codec on both sides.
/// <para>Not selectable by <see cref="ControllerOptions.Transport"/>: a test hands it to <see cref="SwitchServer"/>.</para>
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private readonly EarlyHello _earlyHello = new();
    private readonly ConcurrentDictionary<string, Listener> _listeners = new();
    private int _connections;

    public string Name => "memory";

    /// <summary>Listens under <paramref name="endpoint"/>, any name (a <c>Controller:Listen</c> entry works as one).</summary>
    public ITransportListener Bind(string endpoint, ControllerOptions options)
    {
        var listener = new Listener(this, new InMemoryEndPoint(endpoint), options);
        if (!_listeners.TryAdd(endpoint, listener)) throw new SocketException((int)SocketError.AddressAlreadyInUse);
        return listener;
    }

    public Task WarmUpAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Connects to the listener bound as <paramref name="endpoint"/> (the only one when null) and returns the
    /// switch's end: write the switch's messages to it, read the controller's. The controller accepts the
    /// other end and writes its HELLO at once; a refused connection throws <see cref="SocketException"/>.
    /// </summary>
    public Stream Connect(string? endpoint = null)
    {
        var listener = endpoint is null ? _listeners.Values.SingleOrDefault() : _listeners.GetValueOrDefault(endpoint);
        if (listener is null) throw new SocketException((int)SocketError.ConnectionRefused);
        var (controllerEnd, switchEnd) = DuplexPipeStream.CreatePair();
        var peer = new InMemoryEndPoint($"{listener.Local.Name}#{Interlocked.Increment(ref _connections)}");
        if (!listener.Incoming.Writer.TryWrite((controllerEnd, peer))) throw new SocketException((int)SocketError.ConnectionRefused);
        return switchEnd;
    }

    private sealed class Listener(InMemoryTransport transport, InMemoryEndPoint local, ControllerOptions options) : ITransportListener
    {
        public Channel<(DuplexPipeStream End, InMemoryEndPoint Peer)> Incoming { get; } = Channel.CreateUnbounded<(DuplexPipeStream, InMemoryEndPoint)>();

        public InMemoryEndPoint Local => local;

        public EndPoint LocalEndpoint => local;

        public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct)
        {
            (DuplexPipeStream end, InMemoryEndPoint peer) incoming;
            try
            {
                incoming = await Incoming.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new ObjectDisposedException("listener closed", e);
            }
            OvsLb.OpenFlow.Messages.HelloMessage hello;
            try
            {
                hello = transport._earlyHello.Send(incoming.end);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                incoming.end.Dispose();
                throw new PeerGoneException(incoming.peer, e.Message, e);
            }
            return new AcceptedConnection(new SwitchConnection(incoming.end, incoming.peer, options, sentAtAccept: hello), hello);
        }

        public ValueTask DisposeAsync()
        {
            transport._listeners.TryRemove(new KeyValuePair<string, Listener>(local.Name, this));
            Incoming.Writer.TryComplete();
            while (Incoming.Reader.TryRead(out var pending)) pending.End.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>The address of an end of an <see cref="InMemoryTransport"/> connection; prints as <c>memory:NAME</c>.</summary>
public sealed class InMemoryEndPoint(string name) : EndPoint
{
    public string Name { get; } = name;
    public override AddressFamily AddressFamily => AddressFamily.Unspecified;
    public override string ToString() => $"memory:{Name}";
}
