using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DotNetty.Codecs;
using DotNetty.Common.Concurrency;
using DotNetty.Handlers.Timeout;
using DotNetty.Transport.Channels;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime;
using OvsLb.Runtime.Transport;

namespace OvsLb.Transport.DotNetty;

/// <summary>
/// The last handler of a switch channel and the <see cref="IOpenFlowConnection"/> the session uses. Decoded
/// frames are queued to the session's receive loop (<see cref="RunAsync"/>), which handles one at a time;
/// while more than <see cref="ReadPauseBytes"/> wait, the channel stops reading (auto-read off), so TCP
/// pushes back on the switch as with the pipelines transport. Output goes through the channel's outbound
/// buffer; its high water mark makes the channel unwritable, which holds back replies to the switch's own
/// requests (<see cref="SendReplyAsync"/>); an outbound queue that stays full (<see cref="ControllerOptions.OutboundQueueLimit"/>
/// messages or <see cref="OutboundLimitBytes"/>) with no write completing for <see cref="ControllerOptions.SendStallTimeout"/> is closed.
/// </summary>
public sealed class DotNettyConnection : ChannelHandlerAdapter, IOpenFlowConnection, IIdleEvents
{
    /// <summary>Decoded bytes waiting for the session beyond which the channel stops reading.</summary>
    public const int ReadPauseBytes = 64 * 1024;

    private readonly IChannel _channel;
    private readonly OfpFrameDecoder _frames;
    private readonly Channel<InboundFrame> _inbound = Channel.CreateUnbounded<InboundFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource<CloseReason> _closeReason = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan _stallTimeout;
    private readonly int _queueLimit;
    private long _lastReceiveTicks = Environment.TickCount64, _lastWriteTicks = Environment.TickCount64;
    private long _queuedBytes, _queuedMessages, _inboundBytes, _messagesIn, _messagesOut;
    private readonly ConcurrentQueue<OfpMessage> _outbound = new();
    private readonly Action _drain, _resumeReading;
    private int _drainScheduled, _watchdog;
    private readonly WriteProgress _progress = new();
    private CloseReason? _closing;
    private Action<bool>? _onIdle;

    public DotNettyConnection(IChannel channel, OfpFrameDecoder frames, ControllerOptions options, OfpMessage? sentAtAccept = null)
    {
        _channel = channel;
        ReaderIdleTime = options.EchoInterval;
        _frames = frames;
        _stallTimeout = options.SendStallTimeout;
        _queueLimit = options.OutboundQueueLimit;
        Peer = channel.RemoteAddress is IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped ? new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port) : channel.RemoteAddress;
        _drain = Drain;
        _resumeReading = ResumeReading;
        if (sentAtAccept is not null) _messagesOut = 1;
    }

    public EndPoint? Peer { get; }
    public CancellationToken Closed => _closed.Token;
    public Task<CloseReason> Completion => _closeReason.Task;
    public long MillisecondsSinceReceive => Environment.TickCount64 - Interlocked.Read(ref _lastReceiveTicks);
    public long MessagesIn => Interlocked.Read(ref _messagesIn);
    public long MessagesOut => Interlocked.Read(ref _messagesOut);
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>The pipeline's <see cref="IdleStateHandler"/> (<see cref="NewIdleHandler"/>) drives the session's echo keepalive.</summary>
    public IIdleEvents Idle => this;

    /// <summary><see cref="ControllerOptions.EchoInterval"/>: the reader-idle time of the channel's <see cref="IdleStateHandler"/>.</summary>
    public TimeSpan ReaderIdleTime { get; }

    /// <summary>Reader-idle events seen on this channel (delivered or not): the keepalive tests' proof that the handler drives it.</summary>
    public long IdleEvents => Interlocked.Read(ref _idleEvents);

    private long _idleEvents;

    /// <summary>
    /// The handler that times the keepalive, for the pipeline right after the frame decoder: there, a "read" is a complete
    /// OpenFlow message, as for <see cref="MillisecondsSinceReceive"/>, and bytes of a message still arriving do not count.
    /// </summary>
    public IdleStateHandler NewIdleHandler() => new(ReaderIdleTime, TimeSpan.Zero, TimeSpan.Zero);

    void IIdleEvents.Start(Action<bool> onIdle) => Volatile.Write(ref _onIdle, onIdle);

    /// <summary>Output bytes not yet written beyond which the connection counts as stalled, whatever the message count.</summary>
    public const int OutboundLimitBytes = 16 << 20;

    /// <summary>
    /// Replies wait while the channel is unwritable (its outbound buffer crossed the high water mark and has
    /// not drained to the low one) or half the message limit is queued, as the pipelines transport's do.
    /// </summary>
    private bool Backlogged => !_channel.IsWritable || QueuedBytes > SwitchConnection.ReplyBackPressureBytes || Interlocked.Read(ref _queuedMessages) >= _queueLimit / 2;

    /// <summary>The outbound queue is full: as many messages as the pipelines transport's bounded queue holds, or <see cref="OutboundLimitBytes"/>.</summary>
    private bool Full => Interlocked.Read(ref _queuedMessages) >= _queueLimit || QueuedBytes >= OutboundLimitBytes;

    // ---- inbound (event loop) ----

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        if (message is not InboundFrame frame) return;
        Interlocked.Exchange(ref _lastReceiveTicks, Environment.TickCount64);
        Interlocked.Increment(ref _messagesIn);
        if (!_inbound.Writer.TryWrite(frame))
        {
            frame.Owner?.Release();
            return;
        }
        if (Interlocked.Add(ref _inboundBytes, frame.Bytes.Length) > ReadPauseBytes) _channel.Configuration.AutoRead = false;
    }

    /// <summary>
    /// On the event loop, after the session's queue fell to half of <see cref="ReadPauseBytes"/>: reading resumes if it was paused.
    /// The session asks for it on every such fall, whatever it sees of auto-read: the pause is decided on the event loop
    /// (<see cref="ChannelRead"/>) and may land just after the session drained the queue; deciding the resume there too, after it,
    /// means a pause never outlives the backlog that caused it (a channel paused with nothing queued never read again: a flooding
    /// peer then sat unread until the handshake's request timed out, and no send stall was ever seen).
    /// </summary>
    private void ResumeReading()
    {
        if (Interlocked.Read(ref _inboundBytes) <= ReadPauseBytes / 2 && !_channel.Configuration.AutoRead) _channel.Configuration.AutoRead = true;
    }

    /// <summary>Runs <paramref name="action"/> on the channel's event loop; nothing once the loop has shut down (the channel is gone with it).</summary>
    private void OnEventLoop(Action action)
    {
        try
        {
            _channel.EventLoop.Execute(action);
        }
        catch (RejectedExecutionException)
        {
        }
    }

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        int pending = _frames.PendingAtClose;
        Close(new CloseReason(pending == 0 ? "switch closed the connection" : $"switch closed the connection mid-message ({pending} bytes pending)"));
        base.ChannelInactive(context);
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        var inner = exception is DecoderException { InnerException: { } e } ? e : exception;
        Close(inner switch
        {
            NotOpenFlowPeerException n => new CloseReason(n.Message),
            OfpProtocolException p => new CloseReason("unframeable input", p),
            _ when FromTls(inner) => new CloseReason($"TLS failed ({inner.GetType().Name} in {inner.TargetSite?.DeclaringType?.Name})", inner),
            _ => new CloseReason("receive failed", inner),
        });
    }

    /// <summary>A failure of DotNetty.Handlers' TLS handler (or of the SslStream under it), not of the socket or of our handlers.</summary>
    private static bool FromTls(Exception e) =>
        e.TargetSite?.DeclaringType?.Namespace is { } ns && (ns.StartsWith("DotNetty.Handlers.Tls", StringComparison.Ordinal) || ns == "System.Net.Security");

    /// <summary>The idle handler's reader-idle events, on the event loop, go to the session's keepalive once it has started.</summary>
    public override void UserEventTriggered(IChannelHandlerContext context, object evt)
    {
        if (evt is IdleStateEvent { State: IdleState.ReaderIdle } idle)
        {
            Interlocked.Increment(ref _idleEvents);
            if (!_closed.IsCancellationRequested) Volatile.Read(ref _onIdle)?.Invoke(idle.First);
            return;
        }
        base.UserEventTriggered(context, evt);
    }

    public override void ChannelWritabilityChanged(IChannelHandlerContext context)
    {
        // Writable again: replies waiting for the backlog to drain may go.
        if (_channel.IsWritable) _progress.Signal();
        base.ChannelWritabilityChanged(context);
    }

    // ---- the session's side ----

    public async Task RunAsync(Func<OfpMessage, ValueTask> handle, Func<OfpProtocolException, ReadOnlyMemory<byte>, ValueTask> onDecodeError)
    {
        var reader = _inbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (!_closed.IsCancellationRequested && reader.TryRead(out var frame))
                {
                    try
                    {
                        if (frame.Message is { } m) await handle(m).ConfigureAwait(false);
                        else await onDecodeError(frame.Error!, frame.Bytes).ConfigureAwait(false);
                    }
                    finally
                    {
                        frame.Owner?.Release();
                        long left = Interlocked.Add(ref _inboundBytes, -frame.Bytes.Length);
                        if (left <= ReadPauseBytes / 2 && left + frame.Bytes.Length > ReadPauseBytes / 2) OnEventLoop(_resumeReading);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        finally
        {
            while (reader.TryRead(out var left)) left.Owner?.Release();
        }
    }

    public bool Send(OfpMessage message)
    {
        if (_closed.IsCancellationRequested) return false;
        Interlocked.Add(ref _queuedBytes, message.WireLength);
        Interlocked.Increment(ref _queuedMessages);
        _outbound.Enqueue(message);
        // One event-loop task writes whatever was queued meanwhile and flushes once: the batching the
        // pipelines send loop does. The flag is cleared before draining, so a message queued during a
        // drain schedules the next one.
        if (Interlocked.Exchange(ref _drainScheduled, 1) == 0) _channel.EventLoop.Execute(_drain);
        if (Full) StartStallWatchdog();
        return true;
    }

    /// <summary>On the event loop: writes the queued messages, flushes, and accounts for them when the last write completes.</summary>
    private void Drain()
    {
        Volatile.Write(ref _drainScheduled, 0);
        int count = 0, bytes = 0;
        Task? last = null;
        while (_outbound.TryDequeue(out var m))
        {
            count++;
            bytes += m.WireLength;
            last = _channel.WriteAsync(m);
        }
        if (last is null) return;
        _channel.Flush();
        last.ContinueWith(static (t, state) =>
        {
            var (connection, count, bytes) = ((DotNettyConnection, int, int))state!;
            connection.Written(t, count, bytes);
        }, (this, count, bytes), TaskScheduler.Default);
    }

    private void Written(Task write, int count, int bytes)
    {
        Interlocked.Add(ref _queuedBytes, -bytes);
        Interlocked.Add(ref _queuedMessages, -count);
        if (write.IsCompletedSuccessfully)
        {
            Interlocked.Add(ref _messagesOut, count);
            Interlocked.Exchange(ref _lastWriteTicks, Environment.TickCount64);
            _progress.Signal();
        }
        else
        {
            Close(new CloseReason("send failed", write.Exception?.GetBaseException()));
        }
    }

    public async ValueTask SendReplyAsync(OfpMessage reply)
    {
        if (await _progress.WaitForRoomAsync(() => Backlogged, () => QueuedBytes, _stallTimeout, Close, _closed.Token).ConfigureAwait(false))
            Send(reply);
    }

    /// <summary>Closes the connection once the outbound queue has stayed <see cref="Full"/> with nothing written for the stall timeout.</summary>
    private void StartStallWatchdog()
    {
        if (Interlocked.Exchange(ref _watchdog, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                while (!_closed.IsCancellationRequested && Full)
                {
                    if (Environment.TickCount64 - Interlocked.Read(ref _lastWriteTicks) >= (long)_stallTimeout.TotalMilliseconds)
                    {
                        Close(new CloseReason($"switch stopped reading: outbound queue full for {_stallTimeout.TotalSeconds:0.#}s"));
                        return;
                    }
                    await Task.Delay(TimeSpan.FromTicks(Math.Max(_stallTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond)), _closed.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Volatile.Write(ref _watchdog, 0);
            }
        });
    }

    public async Task FlushAndCloseAsync(CloseReason reason, TimeSpan timeout)
    {
        ClosingFor(reason);
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Interlocked.Read(ref _queuedMessages) > 0 && Environment.TickCount64 < deadline && !_closed.IsCancellationRequested)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
        Close(reason);
    }

    public void ClosingFor(CloseReason reason) => Interlocked.CompareExchange(ref _closing, reason, null);

    public void Close(CloseReason reason)
    {
        if (!_closeReason.TrySetResult(Volatile.Read(ref _closing) ?? reason)) return;
        _closed.Cancel();
        _inbound.Writer.TryComplete();
        _ = _channel.CloseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Close(new CloseReason("disposed"));
        try
        {
            // Bounded: a close that never completes (its event loop stopped first) must not hold the session, nor shutdown.
            await _channel.CloseCompletion.WaitAsync(DotNettyTransport.ShutdownStep).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or ClosedChannelException or TimeoutException)
        {
        }
        // _closed is left undisposed: it has no timer to free, and Closed must stay readable once the session has ended
        // (a disposed source's Token throws ObjectDisposedException).
    }
}
