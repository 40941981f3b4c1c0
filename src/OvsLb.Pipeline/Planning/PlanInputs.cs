using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline.Planning;

/// <summary>
/// Everything <see cref="BridgePlanner.Plan"/> decides one bridge's plan from, as values: no clock, no
/// sockets, no shared state behind them. The running controller takes a snapshot of its configuration,
/// health, slot memory and connected switches into one of these (<see cref="Assemble"/>); the debugging
/// verbs fill the same record from the command line and the switch, so both plan alike.
/// </summary>
/// <param name="Config">The load-balancer configuration.</param>
/// <param name="Settings">Cookies and owned group ids of this controller.</param>
/// <param name="Switch">The bridge planned for: datapath id, bridge name, ports.</param>
/// <param name="HealthDown">Backends held down (<see cref="PipelineBuilder.BackendId"/>): by the active checks of
/// their service (the running controller leaves out services whose check is off), or by the debugging verbs' <c>--down</c>.</param>
/// <param name="Slots">Slot memory: service → the backend key of each bucket as last committed on this bridge.</param>
/// <param name="Installed">What the switch holds, when known: a service missing from <paramref name="Slots"/>
/// takes its slot table from its installed group, so a restarted controller moves no flow.</param>
/// <param name="BridgePorts">The ports of the other connected bridges of the configuration, by bridge name:
/// a backend on another bridge is live when its port there is.</param>
/// <param name="GoneBridges">Configured bridges that have not been connected for longer than the grace
/// time: their backends count as down for the other bridges.</param>
/// <param name="Committed">The plan this bridge last committed, if any: announcements are made for what changed since.</param>
public sealed record PlanInputs(
    LoadBalancerConfig Config,
    BuildSettings Settings,
    SwitchInfo Switch,
    IReadOnlySet<string> HealthDown,
    IReadOnlyDictionary<string, IReadOnlyList<string?>> Slots,
    SwitchState? Installed,
    IReadOnlyDictionary<string, IReadOnlyDictionary<uint, PortDescription>> BridgePorts,
    IReadOnlySet<string> GoneBridges,
    BridgePlan? Committed)
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    /// <summary>The bridge has reached <c>options.maxConnections</c> learned connection entries (the controller counts
    /// them; the debugging verbs assume not): new connections of the services that learn them are dropped.</summary>
    public bool ConnectionsCapped { get; init; }

    /// <summary>
    /// The inputs for <paramref name="sw"/> from snapshots of the caller's state: the
    /// <paramref name="connected"/> switches are matched to the configuration's bridges (by datapath id,
    /// else name) for their ports. Used by <c>ovslb run</c>'s load balancer and by the debugging verbs
    /// (which pass no connected switches, no gone bridges and no committed plan).
    /// </summary>
    public static PlanInputs Assemble(
        LoadBalancerConfig config,
        BuildSettings settings,
        SwitchInfo sw,
        SwitchState? installed,
        IReadOnlySet<string>? healthDown = null,
        IReadOnlyDictionary<string, IReadOnlyList<string?>>? slots = null,
        IEnumerable<SwitchInfo>? connected = null,
        IReadOnlySet<string>? goneBridges = null,
        BridgePlan? committed = null)
    {
        var ports = new Dictionary<string, IReadOnlyDictionary<uint, PortDescription>>(StringComparer.Ordinal);
        foreach (var c in connected ?? [])
        {
            if (PipelineBuilder.FindBridge(config, c.DatapathId, c.BridgeName) is BridgeConfig b) ports.TryAdd(b.Name, c.Ports);
        }
        return new PlanInputs(config, settings, sw, healthDown ?? None,
            slots ?? new Dictionary<string, IReadOnlyList<string?>>(StringComparer.Ordinal), installed, ports, goneBridges ?? None, committed);
    }
}
