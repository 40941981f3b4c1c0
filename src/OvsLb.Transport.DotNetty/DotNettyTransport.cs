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
/// The "dotnetty" transport (issue 10; a spike, not the default, not yet selectable by
/// <c>Controller:Transport</c>): a DotNetty <see cref="ServerBootstrap"/> per listener, one accept loop and
/// a worker event-loop group sized to the machine, and per switch the channel pipeline
/// <see cref="OfpFrameDecoder"/> → <see cref="OfpMessageDecoder"/> → <see cref="OfpMessageEncoder"/> →
/// <see cref="DotNettyConnection"/>. Our HELLO (xid 1, as <c>EarlyHello</c> writes it) is written when the
/// channel is initialised, before the session exists.
/// </summary>
public sealed class DotNettyTransport : ITransport
{
    public const string TransportName = "dotnetty";

    /// <summary>Outbound bytes beyond which a channel is unwritable (replies wait, the stall watchdog runs), and below which it is writable again.</summary>
    public const int WriteHighWaterMark = 1 << 20, WriteLowWaterMark = 256 * 1024;

    public string Name => TransportName;

    /// <summary>
    /// Binds a plain TCP listener (<c>ADDRESS:PORT</c> or <c>tcp:ADDRESS:PORT</c>). An <c>ssl:</c> endpoint is refused with
    /// <see cref="NotSupportedException"/>: TLS on this transport is future work, and serving plain TCP where the
    /// configuration asks for mutual TLS would drop the switches' authentication without a word.
    /// </summary>
    public ITransportListener Bind(string endpoint, ControllerOptions options)
    {
        var listen = Endpoints.ParseListen(endpoint);
        if (listen.Tls)
        {
            throw new NotSupportedException($"Controller:Listen: '{endpoint}': the {TransportName} transport has no TLS yet (future work); " +
                $"ssl: listeners need the {PipelinesTransport.TransportName} transport");
        }
        return Listener.Start(listen.Endpoint, options);
    }

    /// <summary>Nothing to warm up yet: the first switch pays for the pipeline's first use (see README's HELLO timing).</summary>
    public Task WarmUpAsync(CancellationToken ct) => Task.CompletedTask;

    private sealed class Listener : ITransportListener
    {
        private readonly MultithreadEventLoopGroup _boss = new(1);
        private readonly MultithreadEventLoopGroup _workers = new(Environment.ProcessorCount);
        private readonly Channel<AcceptedConnection> _incoming = Channel.CreateUnbounded<AcceptedConnection>();
        private IChannel? _server;

        public EndPoint LocalEndpoint => _server!.LocalAddress;

        public static Listener Start(IPEndPoint endpoint, ControllerOptions options)
        {
            var l = new Listener();
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
            var frames = new OfpFrameDecoder(options.MaxMessageLength);
            var hello = HelloMessage.Offering() with { Xid = 1 };
            var connection = new DotNettyConnection(channel, frames, options, sentAtAccept: hello);
            channel.Pipeline.AddLast("frames", frames);
            channel.Pipeline.AddLast("decoder", new OfpMessageDecoder());
            channel.Pipeline.AddLast("encoder", new OfpMessageEncoder());
            channel.Pipeline.AddLast("session", connection);
            // The HELLO leaves before the session is built, as the pipelines transport's EarlyHello does.
            _ = channel.WriteAndFlushAsync(hello);
            if (!_incoming.Writer.TryWrite(new AcceptedConnection(connection, hello))) _ = channel.CloseAsync();
        }

        public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct)
        {
            try
            {
                return await _incoming.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new ObjectDisposedException("listener closed", e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _incoming.Writer.TryComplete();
            if (_server is { } s) await s.CloseAsync().ConfigureAwait(false);
            while (_incoming.Reader.TryRead(out var pending)) await pending.Connection.DisposeAsync().ConfigureAwait(false);
            // Accepted channels are closed by their sessions (the server stops them); the loops end once they are idle.
            var quiet = TimeSpan.Zero;
            await Task.WhenAll(_boss.ShutdownGracefullyAsync(quiet, TimeSpan.FromSeconds(2)), _workers.ShutdownGracefullyAsync(quiet, TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        }
    }
}
