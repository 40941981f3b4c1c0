using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.State;

namespace OvsLb.Pipeline.Control;

/// <summary>
/// The load balancer as the runtime sees it: the desired-state provider (configuration + what it knows
/// of each bridge → <see cref="PipelineBuilder"/>) and the switch-event handler (port status, health-probe
/// replies). It owns the state the pure builder is given: the configuration, backend health, each
/// service's previous slot table per bridge; and the I/O the pipeline needs: gateway ARP probes,
/// gratuitous ARP on a port-group master change, active health checks (LoadBalancer.Health.cs).
/// </summary>
public sealed partial class LoadBalancer : IDesiredStateProvider, ISwitchEvents, IAsyncDisposable
{
    private readonly ILogger _log;
    private readonly BuildSettings _settings;
    private readonly ConcurrentDictionary<ulong, SwitchSession> _sessions = new();
    private readonly ConcurrentDictionary<ulong, BridgePlan> _plans = new();
    private readonly ConcurrentDictionary<ulong, Dictionary<string, IReadOnlyList<string?>>> _slots = new();
    private readonly ConcurrentDictionary<ulong, BuildCache> _caches = new();
    private readonly ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private LoadBalancerConfig _config;
    private int _disposed;

    public LoadBalancer(LoadBalancerConfig config, BuildSettings? settings = null, ILogger? log = null)
    {
        _config = config;
        _settings = settings ?? BuildSettings.Default;
        _log = log ?? NullLogger.Instance;
        Health = new HealthTracker();
    }

    public event EventHandler? Changed;

    public LoadBalancerConfig Config => _config;
    public HealthTracker Health { get; }
    public BuildSettings Settings => _settings;

    /// <summary>The last plan built for each connected bridge (for status and debugging).</summary>
    public IReadOnlyDictionary<ulong, BridgePlan> Plans => _plans;

    /// <summary>Bridges this instance has a session with, by datapath id.</summary>
    public IReadOnlyDictionary<ulong, SwitchSession> Sessions => _sessions;

    /// <summary>How often every gateway is probed: a third of the learned entries' hard timeout.</summary>
    public TimeSpan GatewayProbeInterval => TimeSpan.FromSeconds(Math.Max(1, _settings.GatewayLearnSeconds / 3.0));

    /// <summary>Starts the gateway-probe and health-check loops.</summary>
    public void Start()
    {
        _startedAt = _clock.GetTimestamp();
        ScheduleInvalidate(BridgeGraceTime);
        _loops.Add(Task.Run(() => GatewayProbeLoopAsync(_stop.Token)));
        _loops.Add(Task.Run(() => HealthLoopAsync(_stop.Token)));
    }

    /// <summary>
    /// Applies a new, already validated configuration: logs what changed and reconciles every bridge
    /// (the reconciler sends only the flows and groups that differ).
    /// </summary>
    public ConfigDiff Apply(LoadBalancerConfig next)
    {
        var diff = ConfigDiff.Compute(_config, next);
        if (diff.IsEmpty)
        {
            _log.LogInformation("Configuration reloaded: no change");
            return diff;
        }
        var old = _config;
        _config = next;
        // Health state survives a reload only for services whose check is unchanged: a check turned off
        // or changed must not leave a backend down with nothing left to bring it back.
        var keep = next.Services
            .Where(s => s.HealthCheck.Kind != HealthCheckKind.None && old.Services.Any(o => o.Name == s.Name && o.HealthCheck == s.HealthCheck))
            .SelectMany(s => s.Backends.Select(b => PipelineBuilder.BackendId(s, b)))
            .ToHashSet(StringComparer.Ordinal);
        Health.Retain(keep);
        _log.LogInformation("Configuration reloaded: services +{Added} -{Removed} ~{Changed}, bridges +{BAdded} -{BRemoved} ~{BChanged}{Options}",
            diff.ServicesAdded.Length, diff.ServicesRemoved.Length, diff.ServicesChanged.Length,
            diff.BridgesAdded.Length, diff.BridgesRemoved.Length, diff.BridgesChanged.Length,
            diff.OptionsChanged is null ? "" : ", options changed");
        Changed?.Invoke(this, EventArgs.Empty);
        foreach (var s in _sessions.Values) _ = SendGatewayProbesAsync(s);
        return diff;
    }

    /// <summary>Asks the runtime to reconcile every bridge (after a health or port change).</summary>
    public void Invalidate() => Changed?.Invoke(this, EventArgs.Empty);

    public SwitchState GetDesiredState(SwitchInfo sw) => Plan(sw, null).State;

    public SwitchState GetDesiredState(SwitchInfo sw, SwitchState installed) => Plan(sw, installed).State;

    /// <summary>
    /// Builds the bridge's plan from the current configuration, health and remembered slot tables (taken
    /// from the installed groups the first time a bridge is seen, so a controller restart moves no flow).
    /// </summary>
    public BridgePlan Plan(SwitchInfo sw, SwitchState? installed)
    {
        var config = _config;
        var slots = _slots.GetOrAdd(sw.DatapathId, _ => new Dictionary<string, IReadOnlyList<string?>>(StringComparer.Ordinal));
        var bridge = PipelineBuilder.FindBridge(config, sw.DatapathId, sw.BridgeName);
        lock (slots)
        {
            if (installed is not null && bridge is not null)
            {
                var ids = PipelineBuilder.AssignGroupIds(config, _settings.GroupIdFirst, _settings.GroupIdLast);
                foreach (var s in config.Services)
                {
                    if (!slots.ContainsKey(s.Name) && installed.Groups.TryGetValue(ids[s.Name], out var g))
                    {
                        slots[s.Name] = PipelineBuilder.RecoverSlots(s, g, config.Options);
                    }
                }
            }
            var view = new BridgeView(sw.DatapathId, sw.BridgeName, sw.Ports, DownBackends(config, bridge),
                new Dictionary<string, IReadOnlyList<string?>>(slots, StringComparer.Ordinal));
            var plan = PipelineBuilder.Build(config, view, _settings, _caches.GetOrAdd(sw.DatapathId, _ => new BuildCache()));
            foreach (var sp in plan.Services)
            {
                // The builder's own (never mutated) table: an unchanged service hands back the same instance,
                // which its cache entry then recognises by reference.
                if (sp.SlotKeys.Count > 0) slots[sp.Service.Name] = sp.SlotKeys;
            }
            var previous = _plans.TryGetValue(sw.DatapathId, out var p) ? p : null;
            _plans[sw.DatapathId] = plan;
            if (plan.Bridge is null && _warned.TryAdd($"unknown:{sw.DatapathIdText}", 0))
            {
                _log.LogWarning("Bridge {Dpid} ({Name}) is not in the load-balancer configuration: it gets no load-balancing flows (add it under 'bridges' by name or datapathId)", sw.DatapathIdText, sw.BridgeName);
            }
            foreach (var w in plan.Warnings)
            {
                if (_warned.TryAdd(w, 0)) _log.LogWarning("Bridge {Dpid}: {Warning}", sw.DatapathIdText, w);
            }
            if (previous is not null) AnnounceMasterChanges(sw, previous, plan);
            return plan;
        }
    }

    /// <summary>
    /// Backends down by active checks, or whose port on another connected bridge is down. The other
    /// bridges' sessions are matched to configured bridges once per call, and only when some backend
    /// lives on another bridge.
    /// </summary>
    private IReadOnlySet<string> DownBackends(LoadBalancerConfig config, BridgeConfig? self)
    {
        var checkedIds = CheckedIds(config);
        var down = new HashSet<string>(Health.Down().Where(checkedIds.Contains), StringComparer.Ordinal);
        Dictionary<string, IReadOnlyDictionary<uint, PortDescription>>? connected = null;
        foreach (var s in config.Services)
        {
            foreach (var b in s.Backends)
            {
                if (b.Port is not PortRef p || b.Bridge is null || b.Bridge == self?.Name) continue;
                connected ??= ConnectedPorts(config);
                if (!connected.TryGetValue(b.Bridge, out var ports))
                {
                    // The backend's own bridge is not connected: after a grace period (a switch that was
                    // never seen since start, or has been gone that long) its backends count as down, so
                    // other bridges stop sending them traffic; within it they stay, so a controller
                    // restart (bridges reconnect one by one) moves no flow.
                    if (BridgeGone(b.Bridge)) down.Add(PipelineBuilder.BackendId(s, b));
                    continue;
                }
                if (BridgeView.Resolve(ports, p) is not uint no || !BridgeView.IsLive(ports, no)) down.Add(PipelineBuilder.BackendId(s, b));
            }
        }
        return down;
    }

    /// <summary>
    /// The ports of each configured bridge a session has, by bridge name. A session's port table is
    /// replaced, never changed, on a port event, so the table taken here stays consistent.
    /// </summary>
    private Dictionary<string, IReadOnlyDictionary<uint, PortDescription>> ConnectedPorts(LoadBalancerConfig config)
    {
        var ports = new Dictionary<string, IReadOnlyDictionary<uint, PortDescription>>(StringComparer.Ordinal);
        foreach (var session in _sessions.Values)
        {
            if (PipelineBuilder.FindBridge(config, session.DatapathId, session.BridgeName) is BridgeConfig b) ports.TryAdd(b.Name, session.Ports);
        }
        return ports;
    }

    /// <summary>Ids of the backends of services with an active check (only their health counts), per configuration.</summary>
    private IReadOnlySet<string> CheckedIds(LoadBalancerConfig config)
    {
        var known = _checkedIds;
        if (known is not null && ReferenceEquals(known.Config, config)) return known.Ids;
        var ids = config.Services.Where(s => s.HealthCheck.Kind != HealthCheckKind.None)
            .SelectMany(s => s.Backends.Select(b => PipelineBuilder.BackendId(s, b))).ToHashSet(StringComparer.Ordinal);
        _checkedIds = new CheckedIdSet(config, ids);
        return ids;
    }

    private sealed record CheckedIdSet(LoadBalancerConfig Config, HashSet<string> Ids);
    private volatile CheckedIdSet? _checkedIds;

    private void AnnounceMasterChanges(SwitchInfo sw, BridgePlan before, BridgePlan after)
    {
        if (after.Bridge is not BridgeConfig bridge || !_sessions.TryGetValue(sw.DatapathId, out var session)) return;
        foreach (var sp in after.Services.Where(x => x.Service.Mode == ServiceMode.PortGroup))
        {
            var old = before.Services.FirstOrDefault(x => x.Service.Name == sp.Service.Name)?.Master;
            if (old is null || sp.Master is null || old.Name == sp.Master.Name) continue;
            _log.LogWarning("Service {Service}: port-group master {Old} → {New}; announcing {Vip} at {Mac} by gratuitous ARP", sp.Service.Name, old.Name, sp.Master.Name, sp.Service.Vip, bridge.LbMac);
            TrySend(session, ProbePackets.Gratuitous(bridge.LbMac, sp.Service.Vip, UplinkPort(bridge, session)));
        }
    }

    private static uint? UplinkPort(BridgeConfig bridge, SwitchSession session) =>
        bridge.Uplink is PortRef p ? BridgeView.Resolve(session.Ports, p) : null;

    private void TrySend(SwitchSession s, OfpMessage m)
    {
        try
        {
            if (s.CanWrite) s.Send(m);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
            _log.LogDebug("Could not send to {Dpid}: {Error}", s.DatapathIdText, e.Message);
        }
    }

    public async ValueTask OnReadyAsync(SwitchSession session)
    {
        _sessions[session.DatapathId] = session;
        if (PipelineBuilder.FindBridge(_config, session.DatapathId, session.BridgeName) is BridgeConfig b) _goneSince.TryRemove(b.Name, out _);
        await SendGatewayProbesAsync(session).ConfigureAwait(false);
        Invalidate(); // other bridges' liveness of backends on this one may change
    }

    public void OnDisconnected(SwitchSession session, CloseReason reason)
    {
        if (_sessions.TryGetValue(session.DatapathId, out var s) && ReferenceEquals(s, session))
        {
            _sessions.TryRemove(session.DatapathId, out _);
            if (PipelineBuilder.FindBridge(_config, session.DatapathId, session.BridgeName) is BridgeConfig b)
            {
                _goneSince[b.Name] = _clock.GetTimestamp();
                ScheduleInvalidate(BridgeGraceTime);
            }
        }
    }

    /// <summary>How long backends behind a disconnected (or not yet connected) bridge keep counting as live.</summary>
    public TimeSpan BridgeGraceTime { get; init; } = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, long> _goneSince = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = TimeProvider.System;
    private long _startedAt;

    private bool BridgeGone(string bridge)
    {
        long since = _goneSince.TryGetValue(bridge, out long t) ? t : _startedAt;
        return since != 0 && _clock.GetElapsedTime(since) >= BridgeGraceTime;
    }

    private void ScheduleInvalidate(TimeSpan after)
    {
        if (Volatile.Read(ref _disposed) != 0) return; // events may still arrive while the runtime shuts down
        _ = Task.Delay(after + TimeSpan.FromMilliseconds(50), _stop.Token).ContinueWith(t => { if (!t.IsCanceled) Invalidate(); }, TaskScheduler.Default);
    }

    public ValueTask OnPortStatusAsync(SwitchSession session, PortStatus status)
    {
        _log.LogInformation("Port {Port} ({Name}) on {Dpid}: {Reason}, {State}", status.Desc.PortNo, status.Desc.Name, session.DatapathIdText,
            status.Reason, status.Desc.IsUp ? "up" : "down");
        Invalidate();
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends an ARP probe for every gateway of the bridge (the replies are learned in the datapath).</summary>
    public Task SendGatewayProbesAsync(SwitchSession session)
    {
        var bridge = PipelineBuilder.FindBridge(_config, session.DatapathId, session.BridgeName);
        if (bridge is null || !session.CanWrite) return Task.CompletedTask;
        var port = UplinkPort(bridge, session);
        foreach (var g in bridge.Gateways) TrySend(session, ProbePackets.ArpProbe(bridge.LbMac, g, port));
        return Task.CompletedTask;
    }

    private async Task GatewayProbeLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(GatewayProbeInterval, ct).ConfigureAwait(false);
                foreach (var s in _sessions.Values) await SendGatewayProbesAsync(s).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // _stop is not disposed: switch events can still arrive from a runtime that stops after us.
    }
}
