using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Planning;
using OvsLb.State;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;

namespace OvsLb.Balancer;

/// <summary>
/// The load balancer as the runtime sees it: the desired-state provider and the switch-event handler. It
/// holds what the pure planner (<see cref="BridgePlanner"/>) is given, the configuration, backend health
/// (<see cref="HealthTracker"/>), each bridge's slot memory and last committed plan, and does the I/O
/// around it: health checks (<see cref="HealthChecker"/>), gateway probes (<see cref="GatewayProber"/>),
/// and, once the runtime reports a plan's state committed (<see cref="OnReconciled"/>), records its slot
/// tables and sends its gratuitous ARPs; a refused bundle leaves both as they were. Which switches are
/// connected it reads from the runtime's <see cref="SwitchDirectory"/>, which the
/// <see cref="Runtime.SwitchServer"/> must be given (<see cref="Switches"/>).
/// </summary>
public sealed class LoadBalancer : IDesiredStateProvider, ISwitchEvents, IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string?>> NoSlots = new Dictionary<string, IReadOnlyList<string?>>();

    private readonly ILogger _log;
    private readonly BuildSettings _settings;
    private readonly ConcurrentDictionary<ulong, PlanOutput> _pending = new();
    private readonly ConcurrentDictionary<ulong, BridgePlan> _plans = new();
    private readonly ConcurrentDictionary<ulong, IReadOnlyDictionary<string, IReadOnlyList<string?>>> _slots = new();
    private readonly ConcurrentDictionary<ulong, BuildCache> _caches = new();
    private readonly ConcurrentDictionary<ulong, IReadOnlySet<Ipv4Address>> _probed = new();
    private readonly ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly ArpHealthCheck _arp;
    private readonly RejectResponder _reject;
    private readonly ConnectionRenewer _renewer;
    private readonly HealthChecker _checker;
    private readonly GatewayProber _gateways;
    private readonly BridgePresence _presence;
    private readonly ConnectionCap _cap;
    private LoadBalancerConfig _config;
    private int _disposed;

    /// <param name="config">The validated configuration.</param>
    /// <param name="settings">Cookies, owned group ids, gateway learn timeout.</param>
    /// <param name="log">Where changes, health transitions and announcements are logged.</param>
    /// <param name="switches">The runtime's registry of connected switches (pass the same instance to the
    /// <see cref="Runtime.SwitchServer"/>); null makes one, to be passed on from <see cref="Switches"/>.</param>
    public LoadBalancer(LoadBalancerConfig config, BuildSettings? settings = null, ILogger? log = null, SwitchDirectory? switches = null)
    {
        _config = config;
        _settings = settings ?? BuildSettings.Default;
        _log = log ?? NullLogger.Instance;
        Switches = switches ?? new SwitchDirectory();
        Health = new HealthTracker();
        _presence = new BridgePresence(() => _config.Options.BridgeGrace);
        _arp = new ArpHealthCheck(Switches, _settings.Cookies, _log);
        _reject = new RejectResponder(() => _config, _settings.Cookies, _log);
        _renewer = new ConnectionRenewer(() => _config, _settings.Cookies, _log);
        _checker = new HealthChecker(Health, _arp, () => _config, OnLocalHealthChanged, _log);
        _gateways = new GatewayProber(Switches, () => _config, _log);
        _cap = new ConnectionCap(() => Switches.Connected, () => _config, d => _plans.TryGetValue(d, out var p) ? p : null, Invalidate, _log);
    }

    public event EventHandler? Changed;

    /// <summary>
    /// Raised when this instance's own checks changed a backend's state, or a reload made it forget some
    /// (cluster mode publishes <see cref="LocalDown"/> then).
    /// </summary>
    public event Action? LocalHealthChanged;

    /// <summary>
    /// Cluster mode: the backends other instances' checks say are down. The plan takes a backend as down when this
    /// instance's tracker or this says so (only for services with an active check). Null (single instance): local only.
    /// </summary>
    public Func<IReadOnlySet<string>>? SharedDown { get; set; }

    /// <summary>The backends this instance's own checks say are down, in the current configuration.</summary>
    public IReadOnlySet<string> LocalDown => Health.Down(_config);

    /// <summary>The backends the plans take as down: <see cref="LocalDown"/> ∪ <see cref="SharedDown"/>.</summary>
    public IReadOnlySet<string> DownFor(LoadBalancerConfig config)
    {
        var local = Health.Down(config);
        if (SharedDown?.Invoke() is not { Count: > 0 } shared) return local;
        var all = new HashSet<string>(local, StringComparer.Ordinal);
        all.UnionWith(HealthTracker.Checked(config, shared));
        return all;
    }

    private void OnLocalHealthChanged()
    {
        LocalHealthChanged?.Invoke();
        Invalidate();
    }

    public LoadBalancerConfig Config => _config;
    public HealthTracker Health { get; }
    public BuildSettings Settings => _settings;

    /// <summary>onEmpty "reject": the answers sent (by service and protocol) and the packet-ins ignored.</summary>
    public RejectResponder Rejects => _reject;

    /// <summary>Reused connection entries renewed (reuse packet-ins), and those ignored.</summary>
    public ConnectionRenewer Renewals => _renewer;

    /// <summary>The connected switches, as the runtime keeps them.</summary>
    public SwitchDirectory Switches { get; }

    /// <summary>The plan each bridge last committed, by datapath id (for status and debugging).</summary>
    public IReadOnlyDictionary<ulong, BridgePlan> Plans => _plans;

    /// <summary>A bridge's slot memory: service → bucket owners, as last committed.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string?>> Slots(ulong datapathId) => _slots.TryGetValue(datapathId, out var s) ? s : NoSlots;

    /// <summary>Number of health-check rounds run (for tests and status).</summary>
    public long HealthRounds => _checker.Rounds;

    /// <summary>How often every gateway is probed (<c>options.gatewayProbeInterval</c>).</summary>
    public TimeSpan GatewayProbeInterval => _gateways.Interval;

    /// <summary>How long backends behind a disconnected (or not yet connected) bridge keep counting as live (<c>options.bridgeGrace</c>).</summary>
    public TimeSpan BridgeGraceTime => _presence.Grace;

    /// <summary>Each connected bridge's learned connection entries as last counted, and whether its cap (<c>options.maxConnections</c>) is reached.</summary>
    public IReadOnlyDictionary<ulong, ConnectionCount> ConnectionCounts => _cap.Counts;

    /// <summary>Counts every bridge's learned connection entries now (the loop does it every <c>options.connectionCapInterval</c>).</summary>
    public Task CountConnectionsAsync(CancellationToken ct = default) => _cap.PollAllAsync(ct);

    /// <summary>Starts the gateway-probe, health-check and connection-cap loops, and the grace time of bridges not yet connected.</summary>
    public void Start()
    {
        _presence.Start();
        ScheduleInvalidate(BridgeGraceTime);
        _loops.Add(Task.Run(() => _gateways.RunAsync(_stop.Token)));
        _loops.Add(Task.Run(() => _checker.RunAsync(_stop.Token)));
        _loops.Add(Task.Run(() => _cap.RunAsync(_stop.Token)));
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
        LocalHealthChanged?.Invoke();
        _log.LogInformation("Configuration reloaded: services +{Added} -{Removed} ~{Changed}, bridges +{BAdded} -{BRemoved} ~{BChanged}{Options}",
            diff.ServicesAdded.Length, diff.ServicesRemoved.Length, diff.ServicesChanged.Length,
            diff.BridgesAdded.Length, diff.BridgesRemoved.Length, diff.BridgesChanged.Length,
            diff.OptionsChanged is null ? "" : ", options changed");
        Changed?.Invoke(this, EventArgs.Empty);
        _gateways.SendAll();
        return diff;
    }

    /// <summary>Asks the runtime to reconcile every bridge (after a health or port change).</summary>
    public void Invalidate() => Changed?.Invoke(this, EventArgs.Empty);

    public SwitchState GetDesiredState(SwitchInfo sw) => Plan(sw, null).Plan.State;

    public SwitchState GetDesiredState(SwitchInfo sw, SwitchState installed) => Plan(sw, installed).Plan.State;

    /// <summary>
    /// The planner's inputs for <paramref name="sw"/> now: snapshots of the configuration, health, the
    /// bridge's slot memory and committed plan, the connected switches' ports and the bridges gone past
    /// the grace time (<see cref="PlanInputs.Assemble"/>, as the debugging verbs use it).
    /// </summary>
    public PlanInputs InputsFor(SwitchInfo sw, SwitchState? installed)
    {
        var config = _config;
        var connected = Switches.Connected.Select(h => new SwitchInfo(h.DatapathId, h.BridgeName, h.Ports));
        var x = PlanInputs.Assemble(config, _settings, sw, installed, DownFor(config), Slots(sw.DatapathId), connected, null,
            _plans.TryGetValue(sw.DatapathId, out var p) ? p : null);
        return x with { GoneBridges = _presence.Gone(config, x.BridgePorts), ConnectionsCapped = _cap.IsCapped(sw.DatapathId) };
    }

    /// <summary>
    /// Plans <paramref name="sw"/> (<see cref="BridgePlanner.Plan"/>) and keeps the result as the bridge's
    /// pending plan; nothing of it takes effect until <see cref="OnReconciled"/> reports its state committed.
    /// </summary>
    public PlanOutput Plan(SwitchInfo sw, SwitchState? installed)
    {
        var output = BridgePlanner.Plan(InputsFor(sw, installed), _caches.GetOrAdd(sw.DatapathId, _ => new BuildCache()));
        _pending[sw.DatapathId] = output;
        var plan = output.Plan;
        if (plan.Bridge is null && _warned.TryAdd($"unknown:{sw.DatapathIdText}", 0))
        {
            _log.LogWarning("Bridge {Dpid} ({Name}) is not in the load-balancer configuration: it gets no load-balancing flows (add it under 'bridges' by name or datapathId)", sw.DatapathIdText, sw.BridgeName);
        }
        foreach (var w in plan.Warnings)
        {
            if (_warned.TryAdd(w, 0)) _log.LogWarning("Bridge {Dpid}: {Warning}", sw.DatapathIdText, w);
        }
        return output;
    }

    /// <summary>
    /// The switch holds <paramref name="committed"/>: if it is the state of the bridge's pending plan (the
    /// same instance), that plan's slot tables become the bridge's memory, it becomes the committed plan,
    /// and its announcements are sent. Anything else (a state this instance did not plan last) is ignored.
    /// </summary>
    public void OnReconciled(ISwitchHandle sw, SwitchState committed)
    {
        if (!_pending.TryGetValue(sw.DatapathId, out var p) || !ReferenceEquals(p.Plan.State, committed)) return;
        _pending.TryRemove(new KeyValuePair<ulong, PlanOutput>(sw.DatapathId, p));
        _slots[sw.DatapathId] = p.Slots;
        _plans[sw.DatapathId] = p.Plan;
        foreach (var a in p.Announcements)
        {
            _log.LogWarning("Service {Service}: port-group master {Old} → {New}; announcing {Vip} at {Mac} by gratuitous ARP", a.Service, a.OldMaster, a.NewMaster, a.Ip, a.Mac);
            SwitchSend.TrySend(sw, ProbePackets.Gratuitous(a.Mac, a.Ip, a.OutPort), _log);
        }
        // A next hop new in this plan (a gateway or MAC-less NAT backend added by a reload) is probed now that the
        // flows learning its reply are in: the probe Apply sent went out before them, and the next periodic one is
        // up to a probe interval away (its traffic is dropped until then). The first commit after a connect sends
        // none: OnReadyAsync probes every next hop then.
        if (_probed.TryGetValue(sw.DatapathId, out var probed))
        {
            foreach (var g in p.GatewayProbes.Where(g => !probed.Contains(g.Gateway)))
            {
                SwitchSend.TrySend(sw, ProbePackets.ArpProbe(g.LbMac, g.Gateway, g.OutPort), _log);
            }
        }
        _probed[sw.DatapathId] = p.GatewayProbes.Select(g => g.Gateway).ToHashSet();
        foreach (var f in p.Flushes)
        {
            _log.LogWarning("Service {Service}: backend {Backend} is out of service; flushing its connections on {Dpid} ({Flush})", f.Service, f.Backend, sw.DatapathIdText, f);
            SwitchSend.TrySend(sw, f.Message, _log);
        }
    }

    public ValueTask OnReadyAsync(ISwitchHandle sw)
    {
        if (PipelineBuilder.FindBridge(_config, sw.DatapathId, sw.BridgeName) is BridgeConfig b) _presence.Connected(b.Name);
        _gateways.Send(sw);
        Invalidate(); // other bridges' liveness of backends on this one may change
        return ValueTask.CompletedTask;
    }

    public void OnDisconnected(ISwitchHandle sw, CloseReason reason)
    {
        _pending.TryRemove(sw.DatapathId, out _);
        // A newer connection of the same bridge replaced this one: the bridge is not gone.
        if (Switches.TryGet(sw.DatapathId, out var current) && !ReferenceEquals(current, sw)) return;
        _probed.TryRemove(sw.DatapathId, out _); // the next connection's OnReadyAsync probes every next hop
        _cap.Forget(sw.DatapathId);
        if (PipelineBuilder.FindBridge(_config, sw.DatapathId, sw.BridgeName) is BridgeConfig b)
        {
            _presence.Disconnected(b.Name);
            ScheduleInvalidate(BridgeGraceTime);
        }
    }

    public ValueTask OnPortStatusAsync(ISwitchHandle sw, PortStatus status)
    {
        _log.LogInformation("Port {Port} ({Name}) on {Dpid}: {Reason}, {State}", status.Desc.PortNo, status.Desc.Name, sw.DatapathIdText,
            status.Reason, status.Desc.IsUp ? "up" : "down");
        Invalidate();
        return ValueTask.CompletedTask;
    }

    public ValueTask OnPacketInAsync(ISwitchHandle sw, PacketIn packetIn)
    {
        if (!_reject.OnPacketIn(sw, packetIn) && !_renewer.OnPacketIn(sw, packetIn)) _arp.OnPacketIn(packetIn);
        return ValueTask.CompletedTask;
    }

    private void ScheduleInvalidate(TimeSpan after)
    {
        if (Volatile.Read(ref _disposed) != 0) return; // events may still arrive while the runtime shuts down
        _ = Task.Delay(after + TimeSpan.FromMilliseconds(50), _stop.Token).ContinueWith(t => { if (!t.IsCanceled) Invalidate(); }, TaskScheduler.Default);
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
