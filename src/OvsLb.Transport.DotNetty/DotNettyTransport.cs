using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using DotNetty.Buffers;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime;
using OvsLb.Runtime.Transport;

namespace OvsLb.Transport.DotNetty;

/// <summary>
/// The "dotnetty" transport (issue 10; not the default, selected by <c>Controller:Transport=dotnetty</c>, which
/// <c>ovslb</c> registers): a DotNetty <see cref="ServerBootstrap"/> per listener, one accept loop and
/// a worker event-loop group sized to the machine, and per switch the channel pipeline
/// <see cref="OfpFrameDecoder"/> → IdleStateHandler (the echo keepalive's clock, see <see cref="IIdleEvents"/>) → <see cref="OfpMessageDecoder"/> → <see cref="OfpMessageEncoder"/> →
/// <see cref="DotNettyConnection"/>. Our HELLO (xid 1, as <c>EarlyHello</c> writes it) is written when the
/// channel is initialised, before the session exists. An <c>ssl:</c> listener puts DotNetty.Handlers' TLS handler in front
/// (<see cref="TlsAcceptance"/>): mutual TLS with the <c>Controller:Tls</c> credentials, and the HELLO right after the handshake.
/// </summary>
public sealed class DotNettyTransport : ITransport
{
    public const string TransportName = "dotnetty";

    /// <summary>Outbound bytes beyond which a channel is unwritable (replies wait, the stall watchdog runs), and below which it is writable again.</summary>
    public const int WriteHighWaterMark = 1 << 20, WriteLowWaterMark = 256 * 1024;

    /// <summary>The longest each step of a listener's shutdown is waited for (closing the channels, stopping the event loops).</summary>
    public static readonly TimeSpan ShutdownStep = TimeSpan.FromSeconds(2);

    private (TlsSettings Settings, TlsCredentials Credentials)? _tls; // loaded once for all the ssl: listeners of the same settings

    public string Name => TransportName;

    /// <summary>Binds a listener: plain TCP (<c>ADDRESS:PORT</c> or <c>tcp:ADDRESS:PORT</c>), or mutual TLS (<c>ssl:ADDRESS:PORT</c>).</summary>
    public ITransportListener Bind(string endpoint, ControllerOptions options)
    {
        var listen = Endpoints.ParseListen(endpoint);
        return Listener.Start(listen.Endpoint, options, listen.Tls ? TlsFor(options.Tls) : null);
    }

    /// <summary>The credentials of the <c>ssl:</c> listeners: <paramref name="settings"/>' files, read and checked once.</summary>
    private TlsCredentials TlsFor(TlsSettings settings)
    {
        if (_tls is { } known && ReferenceEquals(known.Settings, settings)) return known.Credentials;
        var credentials = settings.LoadOrThrow();
        _tls = (settings, credentials);
        return credentials;
    }

    /// <summary>Nothing to warm up yet: the first switch pays for the pipeline's first use (see README's HELLO timing).</summary>
    public Task WarmUpAsync(CancellationToken ct) => Task.CompletedTask;

    private sealed class Listener : ITransportListener
    {
        private readonly MultithreadEventLoopGroup _boss = new(1);
        private readonly MultithreadEventLoopGroup _workers = new(Environment.ProcessorCount);
        private readonly Channel<Outcome> _incoming = Channel.CreateUnbounded<Outcome>();
        private readonly ConcurrentDictionary<IChannel, byte> _children = new();
        private TlsCredentials? _tls;
        private IChannel? _server;

        /// <summary>One accepted peer: its greeted connection, or why it was refused.</summary>
        private readonly record struct Outcome(AcceptedConnection? Accepted, Exception? Error);

        public EndPoint LocalEndpoint => _server!.LocalAddress;

        public string? TlsCaCertificate => _tls?.CaPath;

        public static Listener Start(IPEndPoint endpoint, ControllerOptions options, TlsCredentials? tls)
        {
            var l = new Listener { _tls = tls };
            try
            {
                var bootstrap = new ServerBootstrap()
                    .Group(l._boss, l._workers)
                    .ChannelFactory(() => new TcpServerSocketChannel(endpoint.AddressFamily))
                    .Option(ChannelOption.SoBacklog, 1024)
                    .Option(ChannelOption.SoReuseaddr, true)
                    .ChildOption(ChannelOption.TcpNodelay, true)
                    .ChildOption(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
                    .ChildOption(ChannelOption.WriteBufferHighWaterMark, WriteHighWaterMark)
                    .ChildOption(ChannelOption.WriteBufferLowWaterMark, WriteLowWaterMark)
                    .ChildHandler(new ActionChannelInitializer<ISocketChannel>(ch => l.Accept(ch, options)));
                l._server = bootstrap.BindAsync(endpoint).GetAwaiter().GetResult();
                return l;
            }
            catch
            {
                l.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
        }

        private void Accept(ISocketChannel channel, ControllerOptions options)
        {
            // Every accepted channel, greeted or still in its TLS handshake, until it closes: the ones shutdown closes itself.
            _children.TryAdd(channel, 0);
            channel.CloseCompletion.ContinueWith(static (_, state) =>
            {
                var (children, ch) = ((ConcurrentDictionary<IChannel, byte>, IChannel))state!;
                children.TryRemove(ch, out byte _);
            }, (_children, (IChannel)channel), TaskScheduler.Default);
            var frames = new OfpFrameDecoder(options.MaxMessageLength);
            var hello = HelloMessage.Offering() with { Xid = 1 };
            var connection = new DotNettyConnection(channel, frames, options, sentAtAccept: hello);
            channel.Pipeline.AddLast("frames", frames);
            channel.Pipeline.AddLast("idle", connection.NewIdleHandler());
            channel.Pipeline.AddLast("decoder", new OfpMessageDecoder());
            channel.Pipeline.AddLast("encoder", new OfpMessageEncoder());
            channel.Pipeline.AddLast("session", connection);
            if (_tls is { } credentials)
            {
                // The HELLO leaves right after the TLS handshake; a peer refused in it is reported instead.
                _ = new TlsAcceptance(channel, credentials, connection, hello, options.HandshakeTimeout, (accepted, refused) =>
                {
                    if (!_incoming.Writer.TryWrite(new Outcome(accepted, refused))) _ = channel.CloseAsync();
                });
                return;
            }
            // The HELLO leaves before the session is built, as the pipelines transport's EarlyHello does.
            _ = channel.WriteAndFlushAsync(hello);
            if (!_incoming.Writer.TryWrite(new Outcome(new AcceptedConnection(connection, hello), null))) _ = channel.CloseAsync();
        }

        public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct)
        {
            try
            {
                var next = await _incoming.Reader.ReadAsync(ct).ConfigureAwait(false);
                return next.Accepted ?? throw next.Error!;
            }
            catch (ChannelClosedException e)
            {
                throw new ObjectDisposedException("listener closed", e);
            }
        }

        /// <summary>
        /// Stops listening and closes every channel still open, greeted or not (a peer in its TLS handshake has no session to
        /// close it), then stops the event loops. Each wait is bounded (<see cref="ShutdownStep"/>): shutdown never waits on a
        /// peer, whatever state its handshake is in.
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            _incoming.Writer.TryComplete();
            if (_server is { } s) await Bounded(s.CloseAsync()).ConfigureAwait(false);
            while (_incoming.Reader.TryRead(out var pending))
            {
                pending.Accepted?.Connection.Close(new CloseReason("controller stopping"));
            }
            var open = _children.Keys.ToList();
            foreach (var child in open) _ = CloseQuietly(child);
            await Bounded(Task.WhenAll(open.Select(c => c.CloseCompletion))).ConfigureAwait(false);
            var quiet = TimeSpan.Zero;
            await Bounded(Task.WhenAll(_boss.ShutdownGracefullyAsync(quiet, ShutdownStep), _workers.ShutdownGracefullyAsync(quiet, ShutdownStep))).ConfigureAwait(false);
        }

        private static async Task CloseQuietly(IChannel channel)
        {
            try
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Closed already, or its event loop is gone: either way nothing is left to close.
            }
        }

        /// <summary>Waits for <paramref name="step"/> at most <see cref="ShutdownStep"/>, whatever it ends with.</summary>
        private static async Task Bounded(Task step)
        {
            try
            {
                await step.WaitAsync(ShutdownStep).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A close that failed or a loop that does not stop in time is not waited for: its threads are background ones.
            }
        }
    }
}
