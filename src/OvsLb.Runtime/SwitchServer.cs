using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;

namespace OvsLb.Runtime;

/// <summary>
/// The OpenFlow server side of the controller: listens for switches, runs one <see cref="SwitchSession"/> per connection, and
/// keeps every writable switch reconciled with the desired state from the
/// <see cref="IDesiredStateProvider"/>. Stopping it closes the connections and leaves the switches'
/// flows in place (with fail_mode=secure they keep forwarding).
/// </summary>
public sealed class SwitchServer : IAsyncDisposable
{
    private readonly ControllerOptions _options;
    private readonly ISwitchRoles _roles;
    private readonly IDesiredStateProvider _desired;
    private readonly ISwitchEvents _events;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly ITransport _transport;
    private readonly List<ITransportListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    /// <summary>
    /// A controller for <paramref name="desired"/>; <paramref name="switches"/> is the registry of connected
    /// switches it keeps: the one the application reads (e.g. the load balancer's), or null for a private one.
    /// <paramref name="transport"/> carries the connections; null for the one <see cref="ControllerOptions.Transport"/> names.
    /// </summary>
    public SwitchServer(ControllerOptions options, IDesiredStateProvider desired, ISwitchEvents? events = null, ILoggerFactory? loggers = null, ControllerMetrics? metrics = null,
        SwitchDirectory? switches = null, ITransport? transport = null, ISwitchRoles? roles = null)
    {
        _roles = roles ?? new FixedRoles(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid controller settings:\n  " + string.Join("\n  ", errors));
        _options = options;
        _transport = transport ?? Transports.Create(options.Transport);
        _desired = desired;
        _events = events ?? NoSwitchEvents.Instance;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _log = _loggers.CreateLogger("OvsLb.Controller");
        Metrics = metrics ?? new ControllerMetrics();
        Switches = switches ?? new SwitchDirectory();
        _desired.Changed += (_, _) => _changed.Release();
    }

    public ControllerMetrics Metrics { get; }

    /// <summary>The IP endpoints actually bound (port 0 in the settings becomes the chosen port).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => _listeners.Select(l => l.LocalEndpoint).OfType<IPEndPoint>().ToList();

    /// <summary><see cref="LocalEndpoints"/> with whether each one is an <c>ssl:</c> listener.</summary>
    public IReadOnlyList<ListenEndpoint> LocalListeners =>
        _listeners.Where(l => l.LocalEndpoint is IPEndPoint).Select(l => new ListenEndpoint((IPEndPoint)l.LocalEndpoint, l.TlsCaCertificate is not null)).ToList();

    /// <summary>Switches that finished the handshake, by datapath id.</summary>
    public IReadOnlyDictionary<ulong, SwitchSession> Sessions => Switches.Sessions;

    /// <summary>The same switches as <see cref="Sessions"/>, as the application sees them.</summary>
    public SwitchDirectory Switches { get; }

    /// <summary>
    /// Binds the listeners, runs the accept-and-greet path once (<see cref="EarlyHello.WarmUpAsync"/>, a few
    /// ms; a switch connecting meanwhile waits in the backlog), then accepts switches. When an endpoint cannot be bound,
    /// the listeners already bound are disposed and the error is thrown.
    /// </summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        try
        {
            foreach (var text in _options.EffectiveListen) _listeners.Add(_transport.Bind(text, _options));
        }
        catch
        {
            // A later endpoint failed to bind (in use, no such address): the ones bound before it are released, not left
            // listening with nobody accepting.
            foreach (var bound in _listeners) await bound.DisposeAsync().ConfigureAwait(false);
            _listeners.Clear();
            throw;
        }
        await WarmUpAsync(ct).ConfigureAwait(false);
        foreach (var l in _listeners)
        {
            if (l.TlsCaCertificate is not { } ca) _log.LogInformation("Listening for OpenFlow 1.3 switches on {Endpoint} with the {Transport} transport", l.LocalEndpoint, _transport.Name);
            else _log.LogInformation("Listening for OpenFlow 1.3 switches on {Endpoint} with the {Transport} transport (ssl: switch certificates must be issued by {CaCertificate})", l.LocalEndpoint, _transport.Name, ca);
            _acceptLoops.Add(AcceptLoopAsync(l));
        }
        _acceptLoops.Add(ReconcileOnChangeLoopAsync());
    }

    private async Task WarmUpAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await _transport.WarmUpAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // Only speed is at stake (e.g. a network namespace whose loopback is down).
            _log.LogDebug("Warming up the accept path failed ({Error}): the first switch's HELLO may leave a few ms later", e.Message);
        }
    }

    private async Task AcceptLoopAsync(ITransportListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            AcceptedConnection accepted;
            try
            {
                // The transport writes our HELLO before it builds anything else for the connection (EarlyHello).
                accepted = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (AcceptFailedException e)
            {
                _log.LogWarning("Accept failed: {Error}", e.Message);
                continue;
            }
            catch (PeerGoneException e)
            {
                _log.LogWarning("Connection from {Remote} closed before the handshake finished: sending OFPT_HELLO failed: {Error}", e.Remote, e.Message);
                continue;
            }
            catch (PeerRefusedException e)
            {
                LogClosedBeforeHandshake(e.Remote, e.Message);
                continue;
            }
            if (accepted.Tls is { } tls)
            {
                _log.LogDebug("TLS from {Remote}: {Protocol}, {Cipher}, switch certificate '{Subject}', handshake {Milliseconds} ms", accepted.Connection.Peer, tls.Protocol,
                    tls.Cipher, tls.SwitchSubject, tls.HandshakeMilliseconds);
            }
            var task = RunConnectionAsync(accepted.Connection, accepted.Hello);
            _running.TryAdd(task, 0);
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    /// <summary>
    /// A peer the transport refused before its session (an <c>ssl:</c> listener's failed TLS handshake), logged like any
    /// connection that ends before the handshake finished, with why (the certificate's subject when it sent one).
    /// </summary>
    private void LogClosedBeforeHandshake(EndPoint? remote, string reason)
    {
        var sessionLog = _loggers.CreateLogger("OvsLb.Switch");
        using var remoteScope = sessionLog.BeginScope(new LogScope("Remote", remote?.ToString() ?? "?"));
        sessionLog.LogWarning("Connection from {Remote} closed before the handshake finished: {Reason}", remote, reason);
    }

    private async Task RunConnectionAsync(IOpenFlowConnection conn, HelloMessage hello)
    {
        var remote = conn.Peer;
        using var stopReg = _stopping.Token.Register(() => conn.Close(new CloseReason("controller stopping")));
        var sessionLog = _loggers.CreateLogger("OvsLb.Switch");
        using var remoteScope = sessionLog.BeginScope(new LogScope("Remote", remote?.ToString() ?? "?"));
        var session = new SwitchSession(conn, hello, _options, sessionLog, _events, Metrics, roles: _roles);
        var reason = await session.RunAsync(
            onIdentified: s =>
            {
                if (Switches.Add(s) is { } old)
                {
                    _log.LogWarning("Datapath {Dpid} reconnected from {Remote}; closing its previous connection from {Old}", s.DatapathIdText, s.Remote, old.Remote);
                    old.Close($"replaced by a new connection from {s.Remote}");
                }
                Metrics.Connected(s);
                sessionLog.LogInformation("Switch {Dpid} ({Bridge}) connected from {Remote}: {Ports} ports, role {Role}", s.DatapathIdText, s.BridgeName, s.Remote, s.Ports.Count, s.Role);
                return Task.CompletedTask;
            },
            afterHandshake: async (s, ct) =>
            {
                if (s.CanWrite) await ReconcileOneAsync(s, readBack: true).ConfigureAwait(false);
                await _events.OnReadyAsync(s).ConfigureAwait(false);
            }).ConfigureAwait(false);
        if (session.DatapathId != 0) Switches.Remove(session);
        using var dpScope = session.DatapathId != 0 ? sessionLog.BeginScope(new LogScope("DatapathId", session.DatapathIdText)) : null;
        if (session.DatapathId != 0) sessionLog.LogInformation("Switch {Dpid} disconnected: {Reason}", session.DatapathIdText, reason);
        else sessionLog.LogWarning("Connection from {Remote} closed before the handshake finished: {Reason}", remote, reason);
        _events.OnDisconnected(session, reason);
    }

    private async Task ReconcileOneAsync(SwitchSession s, bool readBack)
    {
        if (!s.CanWrite || s.Closed.IsCancellationRequested) return;
        try
        {
            await s.ReconcileAsync(installed => _desired.GetDesiredState(s.Info, installed), readBack, s.Closed,
                committed => _desired.OnReconciled(s, committed)).ConfigureAwait(false);
            Interlocked.Exchange(ref s.ReconcileFailures, 0);
        }
        catch (Exception e) when (!s.Closed.IsCancellationRequested)
        {
            // A refused bundle, a timeout, or a bug in the desired-state provider: logged, the session
            // stays up, and the reconcile is tried again (reading the switch back) with a backoff of
            // 1 s doubling to 30 s, so a failed change does not wait for the next one.
            int attempt = Interlocked.Increment(ref s.ReconcileFailures);
            var delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt - 1, 5)));
            _log.LogError(e is BundleFailedException or OpenFlowErrorException or TimeoutException ? null : e, "Reconciling {Dpid} failed: {Error}; retrying in {Delay} s", s.DatapathIdText, e.Message, delay.TotalSeconds);
            _ = RetryReconcileAsync(s, delay, attempt);
        }
        catch (Exception)
        {
        }
    }

    private async Task RetryReconcileAsync(SwitchSession s, TimeSpan delay, int attempt)
    {
        try
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(s.Closed, _stopping.Token);
            await Task.Delay(delay, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        // Only the latest failure's retry runs; a success in between cleared the count.
        if (Volatile.Read(ref s.ReconcileFailures) == attempt) await ReconcileOneAsync(s, readBack: true).ConfigureAwait(false);
    }

    private async Task ReconcileOnChangeLoopAsync()
    {
        try
        {
            while (true)
            {
                await _changed.WaitAsync(_stopping.Token).ConfigureAwait(false);
                while (_changed.CurrentCount > 0) await _changed.WaitAsync(_stopping.Token).ConfigureAwait(false);
                await ReconcileAllAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reconciles every connected writable switch with the current desired state.</summary>
    public Task ReconcileAllAsync() => Task.WhenAll(Sessions.Values.Select(s => ReconcileOneAsync(s, readBack: false)));

    /// <summary>
    /// Changes this instance's role on every switch (e.g. promote a standby to MASTER with a newer
    /// generation id), and reconciles the switches it may now write to.
    /// </summary>
    public async Task SetRoleAsync(ControllerRole role, ulong generationId)
    {
        _options.Role = role;             // switches that connect later ask for the new role
        _options.GenerationId = generationId;
        foreach (var s in Sessions.Values)
        {
            try
            {
                await s.NegotiateRoleAsync(role, generationId, s.Closed).ConfigureAwait(false);
                if (s.CanWrite) await ReconcileOneAsync(s, readBack: true).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OpenFlowErrorException or TimeoutException or IOException or OperationCanceledException)
            {
                _log.LogError("Role change on {Dpid} failed: {Error}", s.DatapathIdText, e.Message);
            }
        }
    }

    /// <summary>
    /// Changes this instance's role on one switch (cluster mode: its election was won or lost). MASTER opens the
    /// switch's write gate, asks for MASTER with <paramref name="generationId"/> and reconciles reading the switch back
    /// (nothing is sent when it already holds the desired state). SLAVE closes the gate first, at once, then asks
    /// for SLAVE (null generation: at the switch's own id). False when the switch is not connected.
    /// </summary>
    public async Task<bool> SetRoleAsync(ulong datapathId, ControllerRole role, ulong? generationId)
    {
        if (!Sessions.TryGetValue(datapathId, out var s)) return false;
        if (role == ControllerRole.Slave) s.AllowWrites(false);
        try
        {
            await s.NegotiateRoleAsync(role, generationId, s.Closed).ConfigureAwait(false);
            if (role != ControllerRole.Slave)
            {
                // Only once the switch has answered: a gate opened before would let the session write as EQUAL.
                s.AllowWrites(true);
                if (s.CanWrite) await ReconcileOneAsync(s, readBack: true).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OpenFlowErrorException or TimeoutException or IOException or OperationCanceledException)
        {
            _log.LogError("Role change of {Dpid} to {Role} failed: {Error}", s.DatapathIdText, role, e.Message);
        }
        return true;
    }

    /// <summary>The role this instance asks for (on switches that connect from now on, too).</summary>
    public ControllerRole Role => _options.Role;
    public ulong GenerationId => _options.GenerationId;

    /// <summary>How long <see cref="StopAsync"/> waits for the sessions to end after closing them.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    /// <summary>Stops listening and closes every connection; switch flows are left as they are. Never waits on a peer beyond <see cref="StopWait"/>.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        foreach (var l in _listeners) await l.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_acceptLoops.Concat(_running.Keys)).WaitAsync(StopWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Never reached when the transports keep their bounds; if it is, stopping goes on rather than waiting on a peer.
            _log.LogWarning("{Count} connection(s) had not ended {Seconds} s after the stop; not waiting for them", _running.Count, StopWait.TotalSeconds);
        }
        _log.LogInformation("Controller stopped; switch flows left in place");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
