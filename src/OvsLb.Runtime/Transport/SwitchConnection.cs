using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Runtime.Transport;

/// <summary>Why a connection ended.</summary>
public sealed record CloseReason(string Text, Exception? Error = null)
{
    public override string ToString() => Error is null ? Text : $"{Text}: {Error.Message}";
}

/// <summary>
/// One connection to a switch over System.IO.Pipelines, the <see cref="IOpenFlowConnection"/> of the
/// "pipelines" transport (TCP, accepted or connected; a Unix domain socket, a bridge's management
/// socket; or any duplex stream, e.g. an in-memory pipe): a receive loop that frames and decodes messages from a
/// <see cref="PipeReader"/> over the socket (we read only as fast as we handle, so the socket's own
/// window is the back-pressure), and a send loop that drains a bounded queue and writes batches.
/// A queue that stays full for <see cref="ControllerOptions.SendStallTimeout"/> (a switch that stopped
/// reading) closes the connection instead of buffering without bound.
/// </summary>
public sealed class SwitchConnection : IOpenFlowConnection
{
    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly Channel<OfpMessage> _outbound;
    private readonly OfpFramer _framer;
    private readonly TimeSpan _stallTimeout;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource<CloseReason> _closeReason = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _queueLimit;
    private long _lastReceiveTicks = Environment.TickCount64;
    private long _queuedBytes;
    private readonly WriteProgress _progress = new();
    private CloseReason? _closing; // set by FlushAndCloseAsync: the reason the connection ends, whatever fails meanwhile

    /// <summary>
    /// Output (bytes, or half the queue limit in messages) beyond which a reply to the peer's own
    /// requests waits instead of queueing: see <see cref="SendReplyAsync"/>.
    /// </summary>
    public const int ReplyBackPressureBytes = 1 << 20;

    /// <summary>
    /// Wraps a connected stream socket (accepted or connected out, TCP or Unix domain); <paramref name="sentAtAccept"/>
    /// is a message already written to it (the HELLO, see <see cref="EarlyHello"/>), counted in <see cref="MessagesOut"/>.
    /// </summary>
    public SwitchConnection(Socket socket, ControllerOptions options, OfpMessage? sentAtAccept = null)
        : this(PrepareSocket(socket), socket, socket.RemoteEndPoint, options, sentAtAccept)
    {
    }

    /// <summary>
    /// Wraps a connected stream that is not a bare socket: an authenticated <see cref="System.Net.Security.SslStream"/>
    /// of an <c>ssl:</c> listener (see <see cref="TlsAccept"/>), which owns the socket under it, or an in-memory duplex pipe
    /// (see <see cref="InMemoryTransport"/>); closing the connection disposes it. <paramref name="peer"/> is the remote
    /// endpoint; <paramref name="sentAtAccept"/> as in the socket constructor.
    /// </summary>
    public SwitchConnection(Stream stream, EndPoint? peer, ControllerOptions options, OfpMessage? sentAtAccept = null)
        : this(stream, null, peer, options, sentAtAccept)
    {
    }

    private static NetworkStream PrepareSocket(Socket socket)
    {
        // Replies and small requests must not wait for Nagle's timer; a Unix domain socket has no such
        // option (setting it throws), and nothing to delay.
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) socket.NoDelay = true;
        return new NetworkStream(socket, ownsSocket: true);
    }

    private SwitchConnection(Stream stream, Socket? socket, EndPoint? peer, ControllerOptions options, OfpMessage? sentAtAccept)
    {
        _socket = socket;
        _stream = stream;
        // An idle connection holds one receive segment and the send buffer: 16 KiB + 4 KiB (grown on
        // demand) instead of 64 + 64 KiB halves the controller's memory per switch (scale benchmark)
        // without costing packet-in throughput; zero-byte reads would save the segment too but cost
        // ~20% CPU per packet-in (one more syscall per read).
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _outbound = Channel.CreateBounded<OfpMessage>(new BoundedChannelOptions(options.OutboundQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _framer = new OfpFramer(options.MaxMessageLength);
        _stallTimeout = options.SendStallTimeout;
        _queueLimit = options.OutboundQueueLimit;
        Peer = peer;
        if (sentAtAccept is not null) MessagesOut = 1;
    }

    /// <summary>The peer's address: an <see cref="IPEndPoint"/> for TCP, a path for a Unix domain socket (may be empty).</summary>
    public EndPoint? Peer { get; }

    /// <summary>The peer's IP address and port; null on a Unix domain socket.</summary>
    public IPEndPoint? Remote => Peer as IPEndPoint;

    /// <summary>Cancelled when the connection closes for any reason.</summary>
    public CancellationToken Closed => _closed.Token;

    public Task<CloseReason> Completion => _closeReason.Task;

    /// <summary>Milliseconds since the last byte-complete message arrived.</summary>
    public long MillisecondsSinceReceive => Environment.TickCount64 - Interlocked.Read(ref _lastReceiveTicks);

    public long MessagesIn { get; private set; }
    public long MessagesOut { get; private set; }

    /// <summary>Queues a message for sending. Returns false once the connection is closed.</summary>
    public bool Send(OfpMessage message)
    {
        if (_closed.IsCancellationRequested) return false;
        Interlocked.Add(ref _queuedBytes, message.WireLength);
        if (_outbound.Writer.TryWrite(message)) return true;
        _ = SendSlowAsync(message);
        return true;
    }

    /// <summary>Bytes queued or being written and not yet handed to the socket.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    private bool Backlogged => Interlocked.Read(ref _queuedBytes) > ReplyBackPressureBytes || _outbound.Reader.Count >= _queueLimit / 2;

    /// <summary>
    /// Queues a reply to a request the peer sent (ECHO_REPLY, an error for an undecodable message).
    /// Called from the receive loop: while the output is backlogged it waits, so the receive loop stops
    /// reading and TCP pushes back on a peer that floods requests without reading the replies (OVS
    /// does the same: it stops reading a connection with 100 replies unsent). If nothing at all is
    /// written for <see cref="ControllerOptions.SendStallTimeout"/> the connection is closed. Without
    /// this, such a peer could make us queue replies (and tasks) without bound.
    /// </summary>
    public async ValueTask SendReplyAsync(OfpMessage reply)
    {
        if (await _progress.WaitForRoomAsync(() => Backlogged, () => QueuedBytes, _stallTimeout, Close, _closed.Token).ConfigureAwait(false))
            Send(reply);
    }

    private async Task SendSlowAsync(OfpMessage message)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        stall.CancelAfter(_stallTimeout);
        try
        {
            await _outbound.Writer.WriteAsync(message, stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_closed.IsCancellationRequested)
        {
            Close(new CloseReason($"switch stopped reading: outbound queue full for {_stallTimeout.TotalSeconds:0.#}s"));
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <inheritdoc/>
    public Task RunAsync(Func<OfpMessage, ValueTask> handle, Func<OfpProtocolException, ReadOnlyMemory<byte>, ValueTask> onDecodeError) =>
        Task.WhenAll(ReceiveLoopAsync(handle, onDecodeError), SendLoopAsync());

    /// <summary>Reads, frames and decodes messages until the connection closes, handing each to <paramref name="handle"/>.</summary>
    public async Task ReceiveLoopAsync(Func<OfpMessage, ValueTask> handle, Func<OfpProtocolException, ReadOnlyMemory<byte>, ValueTask> onDecodeError)
    {
        bool first = true;
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                var result = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (first && buffer.Length >= 2)
                    {
                        // OpenFlow 1.3.5 §6.3.1: both sides start with OFPT_HELLO (type 0 in every
                        // version). Checking the type byte before waiting for the body closes a peer
                        // speaking something else (HTTP, TLS, random bytes) at once, instead of waiting
                        // up to the handshake timeout for a "body" its first bytes happened to announce.
                        byte type = buffer.Slice(1, 1).FirstSpan[0];
                        if (type != (byte)OfpType.Hello)
                        {
                            var head = buffer.Slice(0, Math.Min(8, buffer.Length)).ToArray();
                            Close(new CloseReason($"not an OpenFlow peer: first message type {type} is not OFPT_HELLO (first bytes {Convert.ToHexString(head).ToLowerInvariant()})"));
                            return;
                        }
                        first = false;
                    }
                    while (_framer.TryReadMessage(ref buffer, out var frame))
                    {
                        Interlocked.Exchange(ref _lastReceiveTicks, Environment.TickCount64);
                        MessagesIn++;
                        // Only PACKET_IN is decoded in place: its handler finishes before the buffer is
                        // released (see ISwitchEvents). Any other message may outlive this loop (a reply
                        // completes a waiting request whose continuation runs later, while this buffer is
                        // reused), and decoded values alias their input, so those decode from a copy.
                        var bytes = frame.IsSingleSegment && frame.FirstSpan[1] == (byte)OfpType.PacketIn ? frame.First : frame.ToArray();
                        OfpMessage message;
                        try
                        {
                            message = OfpDecoder.Decode(bytes);
                        }
                        catch (OfpProtocolException e)
                        {
                            await onDecodeError(e, bytes).ConfigureAwait(false);
                            continue;
                        }
                        await handle(message).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                }
                if (result.IsCompleted)
                {
                    Close(new CloseReason(buffer.IsEmpty ? "switch closed the connection" : $"switch closed the connection mid-message ({buffer.Length} bytes pending)"));
                    return;
                }
            }
        }
        catch (OfpProtocolException e)
        {
            Close(new CloseReason("unframeable input", e));
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close(new CloseReason("receive failed", e));
        }
    }

    /// <summary>Drains the outbound queue, encoding as many queued messages as fit into one write.</summary>
    public async Task SendLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096); // grows with the batches actually sent: an idle connection keeps 4 KiB
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (buffer.WrittenCount < 256 * 1024 && reader.TryRead(out var m))
                {
                    OfpEncoder.Write(m, buffer);
                    MessagesOut++;
                }
                await _stream.WriteAsync(buffer.WrittenMemory, _closed.Token).ConfigureAwait(false);
                Interlocked.Add(ref _queuedBytes, -buffer.WrittenCount);
                _progress.Signal();
                buffer.ResetWrittenCount();
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close(new CloseReason("send failed", e));
        }
    }

    /// <summary>
    /// Sends what is queued (best effort, bounded) and closes with <paramref name="reason"/>. A peer that
    /// closes meanwhile (a switch refusing our version closes right after its HELLO) makes the send fail, but
    /// the connection still ends for <paramref name="reason"/>: that is the one that names the problem.
    /// </summary>
    public async Task FlushAndCloseAsync(CloseReason reason, TimeSpan timeout)
    {
        ClosingFor(reason);
        _outbound.Writer.TryComplete();
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (_outbound.Reader.Count > 0 && Environment.TickCount64 < deadline && !_closed.IsCancellationRequested)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
        Close(reason);
    }

    /// <summary>
    /// Records why the connection is about to end before the last messages are queued: a peer that closes as
    /// soon as it reads them (a switch refusing our version) makes their send fail first, and the connection
    /// must still end for this reason, not for "send failed". The first reason recorded wins.
    /// </summary>
    public void ClosingFor(CloseReason reason) => Interlocked.CompareExchange(ref _closing, reason, null);

    public void Close(CloseReason reason)
    {
        if (!_closeReason.TrySetResult(Volatile.Read(ref _closing) ?? reason)) return;
        _outbound.Writer.TryComplete();
        _closed.Cancel();
        try { _socket?.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _stream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Close(new CloseReason("disposed"));
        await _reader.CompleteAsync().ConfigureAwait(false);
        // _closed is left undisposed: it has no timer to free, and Closed must stay readable once the session has ended
        // (a disposed source's Token throws ObjectDisposedException).
    }
}
