using System.Collections.Frozen;
using System.Net;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Runtime.Transport;
using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>
/// One switch, from TCP accept (or our own outbound connection, <see cref="ConnectAsync"/>) to close: the
/// OpenFlow 1.3 handshake, keepalive, request/reply matching by xid, role, reconciliation of the desired
/// state, and dispatch of asynchronous messages. See <see cref="SessionState"/> for the state machine.
/// </summary>
public sealed partial class SwitchSession : ISwitchHandle
{
    private readonly IOpenFlowConnection _conn;
    private readonly ControllerOptions _options;
    private readonly ISwitchRoles _roles;
    private readonly ILogger _log;
    private readonly ISwitchEvents _events;
    private readonly ControllerMetrics _metrics;
    private readonly PendingRequests _pending;
    private readonly HelloMessage _sentHello;
    private readonly TaskCompletionSource<HelloMessage> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<uint, PortDescription> _ports = [];
    private LogScope? _scope;

    /// <summary>
    /// A session for a connection on which <paramref name="sentHello"/>, our OFPT_HELLO, was already written (see <see cref="EarlyHello"/>).
    /// A <paramref name="readOnly"/> session (a tool reading the switch) neither configures the switch nor asks for a role, and never writes.
    /// </summary>
    internal SwitchSession(IOpenFlowConnection conn, HelloMessage sentHello, ControllerOptions options, ILogger log, ISwitchEvents events, ControllerMetrics metrics, bool readOnly = false,
        ISwitchRoles? roles = null)
    {
        ReadOnly = readOnly;
        _roles = roles ?? new FixedRoles(options);
        _conn = conn;
        _sentHello = sentHello;
        _pending = new PendingRequests(lastXid: sentHello.Xid);
        _options = options;
        _log = new ScopedLogger(log, () => DatapathId == 0 ? null : _scope ??= new LogScope("DatapathId", DatapathIdText));
        _events = events;
        _metrics = metrics;
        Ownership = options.Ownership;
    }

    public SessionState State { get; private set; } = SessionState.Hello;
    public ulong DatapathId { get; private set { field = value; DatapathIdText = value.ToString("x16"); } }

    /// <summary>
    /// <see cref="DatapathId"/> as OVS prints it (16 hex digits), formatted once when the handshake sets it:
    /// the metrics tag every message in and out with it, and formatting it there allocated a string per message.
    /// </summary>
    public string DatapathIdText { get; private set; } = "0000000000000000";
    public FeaturesReply? Features { get; private set; }
    public IPEndPoint? Remote => _conn.Remote;

    /// <summary>The peer's address: <see cref="Remote"/> over TCP, the socket's path over a Unix domain socket.</summary>
    public EndPoint? Peer => _conn.Peer;

    /// <summary>A session opened to read the switch (<see cref="ConnectAsync"/>): no SET_CONFIG, no role request, no writes.</summary>
    public bool ReadOnly { get; }
    public ControllerRole Role { get; private set; } = ControllerRole.Equal;
    public Ownership Ownership { get; }

    /// <summary>When the handshake finished (wall clock, for the status endpoint); null before.</summary>
    public DateTimeOffset? ConnectedAt { get; private set; }

    /// <summary>The bridge's name: OVS names the LOCAL port after the bridge.</summary>
    public string? BridgeName => _ports.TryGetValue(OfctlFormat.Ports.Local, out var p) ? p.Name : null;

    public IReadOnlyDictionary<uint, PortDescription> Ports => _ports;

    public SwitchInfo Info => new(DatapathId, BridgeName, _ports.ToFrozenDictionary());

    /// <summary>Whether this instance may write to the switch (Equal or Master).</summary>
    public bool CanWrite => !ReadOnly && _writesAllowed && _roles.MayWrite(DatapathId) && Role != ControllerRole.Slave && State is not SessionState.Standby and not SessionState.Closed;

    public CancellationToken Closed => _conn.Closed;
    public Task<CloseReason> Completion => _conn.Completion;

    public long MessagesIn => _conn.MessagesIn;
    public long MessagesOut => _conn.MessagesOut;

    /// <summary>Closes the connection (the switch will reconnect on its own).</summary>
    public void Close(string reason) => _conn.Close(new CloseReason(reason));

    void ISwitchHandle.Send(PacketOut packetOut) => Send(packetOut);   // Send checks the write gate

    void ISwitchHandle.Send(OvsLb.OpenFlow.Messages.Nicira.CtFlush flush) => Send(flush);

    void ISwitchHandle.RenewLearned(OvsLb.State.FlowEntry learned)
    {
        if (!Ownership.Cookies.IsLearned(learned.Cookie))
            throw new ArgumentException($"cookie 0x{learned.Cookie:x16} is not a learned flow's (feature ff of signature 0x{Ownership.Cookies.Signature:x4}); owned flows are the reconciler's", nameof(learned));
        Send(learned.ToAdd());
    }

    /// <summary>
    /// Sends a message without waiting for a reply; assigns an xid when it has none. A write while the write gate is
    /// closed throws <see cref="WriteGateClosedException"/> and sends nothing.
    /// </summary>
    public OfpMessage Send(OfpMessage m)
    {
        CheckWriteGate(m);
        if (m.Xid == 0) m = m with { Xid = _pending.NextXid() };
        _pending.Sent(m);
        _conn.Send(m);
        _metrics.MessageOut(this, m);
        return m;
    }

    /// <summary>Sends a request and waits for its reply (multipart parts combined); an OFPT_ERROR reply throws <see cref="OpenFlowErrorException"/>.</summary>
    public async Task<OfpMessage> RequestAsync(OfpMessage request, CancellationToken ct = default, TimeSpan? timeout = null)
    {
        request = request with { Xid = _pending.NextXid() };
        var reply = _pending.Register(request);
        Send(request);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, _conn.Closed);
        cts.CancelAfter(timeout ?? _options.RequestTimeout);
        try
        {
            return await reply.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _pending.Forget(request.Xid);
            if (_conn.Closed.IsCancellationRequested) throw new IOException($"connection to {DatapathIdText} closed while waiting for the reply to {request.OvsName}");
            throw new TimeoutException($"no reply to {request.OvsName} (xid=0x{request.Xid:x}) from {DatapathIdText} within {(timeout ?? _options.RequestTimeout).TotalSeconds:0.#}s");
        }
    }

    public async Task<T> RequestAsync<T>(OfpMessage request, CancellationToken ct = default) where T : OfpMessage
    {
        var reply = await RequestAsync(request, ct).ConfigureAwait(false);
        return reply as T ?? throw new InvalidOperationException($"{request.OvsName} was answered with {reply.OvsName}, expected {typeof(T).Name}");
    }

    /// <summary>Waits until the switch has processed everything sent before.</summary>
    public Task BarrierAsync(CancellationToken ct = default) => RequestAsync(EmptyMessage.BarrierRequest(), ct);

    /// <summary>Runs the session until the connection closes. Never throws.</summary>
    internal async Task<CloseReason> RunAsync(Func<SwitchSession, Task> onIdentified, Func<SwitchSession, CancellationToken, Task> afterHandshake)
    {
        // Our HELLO went out when the connection was accepted (EarlyHello): recorded as sent before anything is read.
        _pending.Sent(_sentHello);
        _metrics.MessageOut(this, _sentHello);
        var io = _conn.RunAsync(HandleAsync, OnDecodeErrorAsync);
        try
        {
            await HandshakeAsync(onIdentified).ConfigureAwait(false);
            var keepalive = KeepaliveLoopAsync();
            await afterHandshake(this, _conn.Closed).ConfigureAwait(false);
            await keepalive.ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or IOException or OpenFlowErrorException or InvalidOperationException or OperationCanceledException)
        {
            if (!_conn.Closed.IsCancellationRequested)
            {
                _conn.Close(new CloseReason(State < SessionState.Reconciling ? $"handshake failed in state {State}" : $"session failed in state {State}", e));
            }
        }
        var reason = await _conn.Completion.ConfigureAwait(false);
        State = SessionState.Closed;
        _pending.FailAll(new IOException($"connection closed: {reason}"));
        await io.ConfigureAwait(false);
        await _conn.DisposeAsync().ConfigureAwait(false);
        return reason;
    }

    private async Task HandshakeAsync(Func<SwitchSession, Task> onIdentified)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_conn.Closed);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            await _hello.Task.WaitAsync(timeout.Token).ConfigureAwait(false); // one offering 1.3: see HandleAsync
            State = SessionState.Features;
            Features = await RequestAsync<FeaturesReply>(EmptyMessage.FeaturesRequest(), timeout.Token).ConfigureAwait(false);
            DatapathId = Features.DatapathId;

            State = SessionState.Configuring;
            // SET_CONFIG's fragment handling is the switch's, not the connection's: a reader leaves it alone.
            if (!ReadOnly) Send(SwitchConfig.Set(0xffff));
            var ports = await RequestAsync<PortDescReply>(new EmptyMultipartRequest(MultipartType.PortDesc), timeout.Token).ConfigureAwait(false);
            _ports = ports.Entries.ToDictionary(p => p.PortNo);

            // A reader asks for no role: a MASTER request from it would demote the running controller to SLAVE.
            State = ReadOnly ? SessionState.Ready : SessionState.Role;
            if (!ReadOnly)
            {
                var initial = _roles.InitialRole(DatapathId);
                // A standby waiting for mastership (cluster mode) writes nothing until it is made master, not even
                // as the EQUAL that OVS makes every new connection.
                if (initial.GenerationId is null) _writesAllowed = false;
                await NegotiateRoleAsync(initial.Role, initial.GenerationId, timeout.Token).ConfigureAwait(false);
            }
            ConnectedAt = DateTimeOffset.UtcNow;
            await onIdentified(this).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_conn.Closed.IsCancellationRequested)
        {
            throw new TimeoutException($"handshake not finished within {_options.HandshakeTimeout.TotalSeconds:0.#}s (stuck in {State})");
        }
    }

    /// <summary>
    /// Answers a HELLO without OpenFlow 1.3 with OFPT_ERROR (HELLO_FAILED, INCOMPATIBLE) naming the fix, and
    /// closes with that reason.
    /// </summary>
    private async ValueTask RefuseAsync(HelloMessage hello)
    {
        string offered = DescribeVersions(hello);
        var text = $"OvsLbController speaks OpenFlow 1.3 only; this switch offers {offered}. Set it with: ovs-vsctl set bridge BRIDGE protocols=OpenFlow13";
        var reason = new CloseReason($"refused: no OpenFlow 1.3 ({offered}); set it with: ovs-vsctl set bridge BRIDGE protocols=OpenFlow13");
        _conn.ClosingFor(reason); // before the error is queued: its send may fail first when the switch hangs up at once
        Send(new ErrorMessage(0, 0, new Bytes(System.Text.Encoding.ASCII.GetBytes(text))) { Xid = hello.Xid });
        await _conn.FlushAndCloseAsync(reason, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    private static string DescribeVersions(HelloMessage h)
    {
        var v = Enumerable.Range(1, 6).Where(x => h.Supports((byte)x)).Select(x => $"OpenFlow 1.{x - 1}").ToList();
        return v.Count == 0 ? $"version 0x{h.HeaderVersion:x2}" : string.Join(", ", v);
    }

    /// <summary>
    /// Asks for a role. A stale generation id (another master is newer) leaves this instance SLAVE.
    /// <paramref name="generationId"/> null (SLAVE only): the switch's current generation id, read first with NOCHANGE
    /// (0 when it holds none), so asking for SLAVE never raises it.
    /// </summary>
    public async Task NegotiateRoleAsync(ControllerRole role, ulong? generationId, CancellationToken ct = default)
    {
        if (role == ControllerRole.Equal && Role == ControllerRole.Equal) return;
        if (generationId is null && role != ControllerRole.Slave) throw new ArgumentException($"only SLAVE can be asked at the switch's generation id, not {role}", nameof(generationId));
        try
        {
            if (generationId is null)
            {
                var held = await RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.NoChange, 0), ct).ConfigureAwait(false);
                generationId = held.GenerationId == ulong.MaxValue ? 0 : held.GenerationId;   // UINT64_MAX: none defined yet
            }
            var reply = await RequestAsync<RoleMessage>(RoleMessage.Request(role, generationId.Value), ct).ConfigureAwait(false);
            SetRole(reply.Role, $"role reply (generation {reply.GenerationId})");
        }
        catch (OpenFlowErrorException e) when (e.Error is { ErrorType: 11, Code: 0 }) // OFPET_ROLE_REQUEST_FAILED / OFPRRFC_STALE
        {
            // The switch left our role as it was (possibly EQUAL, which may write). Ask for SLAVE with
            // the switch's current generation id, so the switch agrees that this instance is a standby.
            var current = await RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.NoChange, 0), ct).ConfigureAwait(false);
            if (current.Role != ControllerRole.Slave)
            {
                current = await RequestAsync<RoleMessage>(RoleMessage.Request(ControllerRole.Slave, current.GenerationId), ct).ConfigureAwait(false);
            }
            _log.LogWarning("Role {Role} with generation id {Generation} is stale: the switch has seen generation {Current} from a newer master; staying SLAVE",
                role, generationId, current.GenerationId);
            SetRole(ControllerRole.Slave, "stale generation id");
        }
    }

    private void SetRole(ControllerRole role, string why)
    {
        if (Role != role) _log.LogInformation("Role is now {Role} ({Why})", role, why);
        Role = role;
        if (role == ControllerRole.Slave && State is SessionState.Role or SessionState.Ready or SessionState.Reconciling) State = SessionState.Standby;
        else if (role != ControllerRole.Slave && State == SessionState.Standby) State = SessionState.Ready;
    }

    /// <summary>OFPET_BAD_REQUEST / OFPBRC_IS_SLAVE (OVS 3.1 names it OFPBRC_IS_SECONDARY): a write from a SLAVE.</summary>
    internal static bool IsSecondaryError(ErrorMessage e) => e.ErrorType == 1 && e.Code == 10;

    private async ValueTask HandleAsync(OfpMessage m)
    {
        _metrics.MessageIn(this, m);
        if (m is ErrorMessage) _metrics.Error(this); // solicited or not: ovslb.errors counts every OFPT_ERROR
        switch (m)
        {
            case HelloMessage hello:
                // Checked here, before the receive loop reads on: a switch without 1.3 that has read our
                // HELLO (OVS does, it went out at accept) refuses too, with an OFPT_ERROR and a close right
                // behind its HELLO, and the reason logged must be ours, which names the fix.
                if (hello.Supports(OfpMessage.Version13)) _hello.TrySetResult(hello);
                else await RefuseAsync(hello).ConfigureAwait(false);
                return;
            case EchoMessage { IsReply: false } echo:
                // The request's payload aliases the receive buffer, which is reused once this handler
                // returns: the queued reply needs its own copy.
                await _conn.SendReplyAsync(new EchoMessage(true, echo.Data.Copy()) { Xid = echo.Xid }).ConfigureAwait(false);
                return;
            case EchoMessage { IsReply: true }:
                return;
        }
        if (m is ErrorMessage secondary && IsSecondaryError(secondary))
        {
            // OFPBRC_IS_SLAVE (OVS 3.1 names it OFPBRC_IS_SECONDARY), whether it answers a request,
            // a bundled message or a fire-and-forget one: the switch holds this controller as secondary.
            SetRole(ControllerRole.Slave, "switch refused a write with OFPBRC_IS_SECONDARY: another controller is master");
        }
        if (_pending.TryComplete(m)) return;
        switch (m)
        {
            case ErrorMessage error:
                OnUnsolicitedError(error);
                break;
            case PortStatus ps:
                OnPortStatus(ps);
                await _events.OnPortStatusAsync(this, ps).ConfigureAwait(false);
                break;
            case PacketIn pi:
                _metrics.PacketIn(this);
                await _events.OnPacketInAsync(this, pi).ConfigureAwait(false);
                break;
            case FlowRemoved fr:
                await _events.OnFlowRemovedAsync(this, fr).ConfigureAwait(false);
                break;
            case ExperimenterMessage { Experimenter: 0x4f4e4600, ExpType: 1911 } roleStatus:
                OnRoleStatus(roleStatus);
                break;
            default:
                _log.LogDebug("Ignoring unexpected {Message}", m.OvsName);
                break;
        }
    }

    private void OnPortStatus(PortStatus ps)
    {
        var ports = new Dictionary<uint, PortDescription>(_ports);
        if (ps.Reason == PortStatusReason.Delete) ports.Remove(ps.Desc.PortNo);
        else ports[ps.Desc.PortNo] = ps.Desc;
        _ports = ports;
        _log.LogInformation("Port {Port} ({Name}) {Reason}: {State}", OfctlFormat.Port(ps.Desc.PortNo), ps.Desc.Name, ps.Reason, ps.Desc.IsUp ? "up" : "down");
    }

    /// <summary>ONF role status (OpenFlow 1.3 extension 1911): another controller took over as master.</summary>
    private void OnRoleStatus(ExperimenterMessage m)
    {
        if (m.Data.Length < 4) return;
        var role = (ControllerRole)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(m.Data.Span);
        SetRole(role, "role status from the switch");
    }

    private void OnUnsolicitedError(ErrorMessage error)
    {
        if (BundleErrors is { } sink && sink.TryAdd(error)) return;
        var request = _pending.FindSent(error.Xid);
        _log.LogError("Switch error {Error} for xid 0x{Xid:x}: {Request}", error.Name, error.Xid, request?.ToString() ?? "(request no longer known)");
    }

    private async ValueTask OnDecodeErrorAsync(OfpProtocolException e, ReadOnlyMemory<byte> bytes)
    {
        _metrics.Error(this);
        _log.LogWarning("Undecodable message from {Remote}: {Error}", Peer, e.Message);
        var (type, code) = e.OpenFlowError;
        uint xid = bytes.Length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.Span[4..]) : 0;
        await _conn.SendReplyAsync(new ErrorMessage(type, code, new Bytes(bytes[..Math.Min(64, bytes.Length)].ToArray())) { Xid = xid }).ConfigureAwait(false);
        if (!_hello.Task.IsCompleted)
        {
            _conn.Close(new CloseReason("undecodable first message, not OFPT_HELLO", e));
        }
    }

    public override string ToString() => $"{DatapathIdText} ({BridgeName ?? "?"}, {Peer})";
}
