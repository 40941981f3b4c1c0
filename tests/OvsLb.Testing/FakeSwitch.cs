using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Testing;

/// <summary>Identity and size of a <see cref="FakeSwitch"/>.</summary>
public sealed record FakeSwitchOptions
{
    public required ulong DatapathId { get; init; }

    /// <summary>Name of the LOCAL port (OVS names it after the bridge); default "fake" + dpid in hex.</summary>
    public string? BridgeName { get; init; }

    /// <summary>Ports 1..N (named p1..pN, up), besides LOCAL.</summary>
    public int Ports { get; init; } = 2;

    public byte Tables { get; init; } = 254;

    /// <summary>Largest multipart reply part; longer flow/group dumps are split with the MORE flag.</summary>
    public int MaxReplyPart { get; init; } = 60_000;
}

/// <summary>
/// An in-process OpenFlow 1.3 switch (the switch side of the protocol) over TCP or an in-memory
/// connection (<see cref="Over"/>), for controller tests
/// and load generators: HELLO, FEATURES_REPLY with its datapath id, SET_CONFIG/GET_CONFIG, PORT_DESC
/// and DESC replies, ROLE_REQUEST (with OVS's stale generation id check), ECHO and BARRIER replies,
/// FLOW and GROUP_DESC dumps from its own <see cref="FakeFlowTable"/> (split with MORE when large),
/// FLOW_MOD and GROUP_MOD applied to that table, and ONF bundles (open, add, close, commit applied
/// atomically and in order, discard). PACKET_OUT and anything else are handed to
/// <see cref="PacketOutHandler"/> / <see cref="OtherMessageHandler"/>.
/// Messages are decoded from a private copy of their bytes (the table keeps them), except PACKET_OUT
/// whose data aliases the receive buffer until the handler returns.
/// </summary>
public sealed partial class FakeSwitch : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly OfpFramer _framer = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _helloSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _featuresAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource> _echoes = new();
    private readonly object _tableLock = new();
    private FakeFlowTable _table = new();
    private readonly List<PortDescription> _ports;
    private Task _loops = Task.CompletedTask;
    private uint _xid = 0x7000_0000;
    private ulong? _lastGeneration;
    private long _messagesIn, _messagesOut, _packetOuts, _flowMods, _groupMods, _commits, _errorsSent;

    private FakeSwitch(Socket socket, FakeSwitchOptions options) : this(new NetworkStream(socket, ownsSocket: true), options)
    {
        _socket = socket;
        _socket.NoDelay = true;
    }

    private FakeSwitch(Stream stream, FakeSwitchOptions options)
    {
        Options = options;
        _stream = stream;
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true));
        var mac = 0x02_00_00_00_00_00UL | (options.DatapathId & 0xff_ffff_ffff);
        _ports = [.. Enumerable.Range(1, options.Ports).Select(i => Port((uint)i, $"p{i}", mac + (ulong)i)),
            Port(OfctlFormat.Ports.Local, options.BridgeName ?? $"fake{options.DatapathId:x}", mac)];
    }

    private static PortDescription Port(uint no, string name, ulong mac) => new()
    {
        PortNo = no, Name = name, HwAddr = mac, State = PortState.Live,
        Curr = PortFeatures.F10GbFd | PortFeatures.Copper, CurrSpeed = 10_000_000, MaxSpeed = 10_000_000,
    };

    public FakeSwitchOptions Options { get; }
    public ulong DatapathId => Options.DatapathId;
    public IReadOnlyList<PortDescription> Ports => _ports;

    /// <summary>Called on the receive loop for each PACKET_OUT; its data is valid only during the call.</summary>
    public Action<FakeSwitch, PacketOut>? PacketOutHandler { get; set; }

    /// <summary>Called first on the receive loop for every message; returning true skips the fake's own handling.</summary>
    public Func<FakeSwitch, OfpMessage, bool>? Intercept { get; set; }

    /// <summary>Called on the receive loop for messages the fake does not handle itself.</summary>
    public Action<FakeSwitch, OfpMessage>? OtherMessageHandler { get; set; }

    public HelloMessage? PeerHello { get; private set; }
    public ushort MissSendLength { get; private set; } = 128;
    public ControllerRole Role { get; private set; } = ControllerRole.Equal;

    /// <summary>Completes when the controller's HELLO has arrived.</summary>
    public Task HelloReceived => _helloSeen.Task;

    /// <summary>Completes once the controller's FEATURES_REQUEST has been answered.</summary>
    public Task FeaturesAnswered => _featuresAnswered.Task;

    public CancellationToken Closed => _closed.Token;
    public Task Completion => _loops;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);
    public long MessagesOut => Interlocked.Read(ref _messagesOut);
    public long PacketOutsReceived => Interlocked.Read(ref _packetOuts);
    public long FlowModsReceived => Interlocked.Read(ref _flowMods);
    public long GroupModsReceived => Interlocked.Read(ref _groupMods);
    public long BundlesCommitted => Interlocked.Read(ref _commits);
    public long ErrorsSent => Interlocked.Read(ref _errorsSent);

    /// <summary>Connects to a controller, sends HELLO and starts answering; returns once the TCP connection is up.</summary>
    public static async Task<FakeSwitch> ConnectAsync(IPEndPoint controller, FakeSwitchOptions options, CancellationToken ct = default)
    {
        var socket = new Socket(controller.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(controller, ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new FakeSwitch(socket, options).Start();
    }

    /// <summary>
    /// The same over a connected duplex stream, e.g. the switch's end of an in-memory connection
    /// (<see cref="OvsLb.Runtime.Transport.InMemoryTransport.Connect"/>): sends HELLO and starts answering.
    /// </summary>
    public static FakeSwitch Over(Stream stream, FakeSwitchOptions options) => new FakeSwitch(stream, options).Start();

    private FakeSwitch Start()
    {
        Send(HelloMessage.Offering(NextXid()));
        _loops = Task.WhenAll(ReceiveLoopAsync(), SendLoopAsync());
        return this;
    }

    public uint NextXid() => Interlocked.Increment(ref _xid);

    /// <summary>The flows installed now (a snapshot).</summary>
    public IReadOnlyList<FlowStatsEntry> Flows
    {
        get { lock (_tableLock) return _table.Flows.ToList(); }
    }

    public IReadOnlyList<GroupDescEntry> Groups
    {
        get { lock (_tableLock) return _table.Groups.ToList(); }
    }

    public int FlowCount
    {
        get { lock (_tableLock) return _table.FlowCount; }
    }

    /// <summary>Queues a message (xid 0 gets a fresh one).</summary>
    public void Send(OfpMessage m)
    {
        if (m.Xid == 0) m = m with { Xid = NextXid() };
        SendRaw(OfpEncoder.ToArray(m));
    }

    /// <summary>Queues an encoded message as is (the array must not be changed afterwards).</summary>
    public void SendRaw(byte[] message)
    {
        if (_outbound.Writer.TryWrite(message)) Interlocked.Increment(ref _messagesOut);
    }

    /// <summary>Sends ECHO_REQUEST and waits for the reply: everything sent before has been read by the peer.</summary>
    public async Task EchoAsync(TimeSpan timeout)
    {
        uint xid = NextXid();
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _echoes[xid] = tcs;
        Send(new EchoMessage(false, Bytes.Empty) { Xid = xid });
        try
        {
            await tcs.Task.WaitAsync(timeout, _closed.Token).ConfigureAwait(false);
        }
        finally
        {
            _echoes.TryRemove(xid, out _);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (_framer.TryReadMessage(ref buffer, out var frame))
                {
                    Interlocked.Increment(ref _messagesIn);
                    // PACKET_OUT (type 13) is decoded in place; everything else from a copy it may keep.
                    bool packetOut = frame.FirstSpan.Length > 1 ? frame.FirstSpan[1] == (byte)OfpType.PacketOut : frame.Slice(1, 1).FirstSpan[0] == (byte)OfpType.PacketOut;
                    var bytes = packetOut && frame.IsSingleSegment ? frame.First : frame.ToArray();
                    Handle(OfpDecoder.Decode(bytes), bytes);
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or OfpProtocolException)
        {
        }
        finally
        {
            Close();
            await _reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync()
    {
        var batch = new ArrayBufferWriter<byte>(16 * 1024);
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (batch.WrittenCount < 64 * 1024 && reader.TryRead(out var m)) batch.Write(m);
                await _stream.WriteAsync(batch.WrittenMemory, _closed.Token).ConfigureAwait(false);
                batch.ResetWrittenCount();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Closes the connection (the controller sees the switch go away).</summary>
    public void Close()
    {
        if (_closed.IsCancellationRequested) return;
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
        _outbound.Writer.TryComplete();
        try { _socket?.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _stream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        await _loops.ConfigureAwait(false);
        _closed.Dispose();
    }

    public override string ToString() => $"fake switch {DatapathId:x16}";
}
