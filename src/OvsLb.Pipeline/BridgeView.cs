using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>
/// What the pipeline builder knows of one bridge besides the configuration: its identity and ports
/// (from FEATURES/PORT_DESC and PORT_STATUS), backends the health checks hold down, and the slot
/// table each service's group had before (so a change moves only the buckets it must).
/// </summary>
/// <param name="DatapathId">The switch's datapath id.</param>
/// <param name="BridgeName">The name of its LOCAL port (the bridge name), if known.</param>
/// <param name="Ports">Port number → description; a port that is absent, administratively down or
/// without link makes the backends behind it unavailable on this bridge.</param>
/// <param name="DownBackends">Backends marked down by active checks or by their port on another bridge,
/// as <see cref="PipelineBuilder.BackendId"/> strings.</param>
/// <param name="PreviousSlots">Service name → the backend key that owned each bucket (null: unknown).</param>
public sealed record BridgeView(
    ulong DatapathId,
    string? BridgeName,
    IReadOnlyDictionary<uint, PortDescription> Ports,
    IReadOnlySet<string> DownBackends,
    IReadOnlyDictionary<string, IReadOnlyList<string?>> PreviousSlots)
{
    /// <summary>The bridge holds <c>options.maxConnections</c> learned connection entries: services that learn connections
    /// drop new ones (<see cref="Flows.PickFlows.CapReachedFlow"/>) until the count falls under the low-water mark.</summary>
    public bool ConnectionsCapped { get; init; }

    public static BridgeView Of(SwitchInfo sw) => new(sw.DatapathId, sw.BridgeName, sw.Ports,
        new HashSet<string>(), new Dictionary<string, IReadOnlyList<string?>>());

    /// <summary>The port number OVS gave <paramref name="p"/> on this bridge, or null when it has no such port.</summary>
    public uint? Resolve(PortRef p) => Resolve(Ports, p);

    /// <summary>True when port <paramref name="no"/> exists, is not administratively down and has link.</summary>
    public bool IsLive(uint no) => IsLive(Ports, no);

    /// <summary>
    /// <see cref="Resolve(PortRef)"/> on a bare port table (e.g. a session's <see cref="SwitchInfo.Ports"/>),
    /// for callers that need a port number and nothing else of a view.
    /// </summary>
    public static uint? Resolve(IReadOnlyDictionary<uint, PortDescription> ports, PortRef p)
    {
        if (p.Number is uint n) return ports.ContainsKey(n) ? n : null;
        foreach (var (no, d) in ports) if (d.Name == p.Name) return no;
        return null;
    }

    /// <summary><see cref="IsLive(uint)"/> on a bare port table.</summary>
    public static bool IsLive(IReadOnlyDictionary<uint, PortDescription> ports, uint no) => ports.TryGetValue(no, out var d) && d.IsUp;
}
