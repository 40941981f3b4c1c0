using System.Collections.Concurrent;
using OvsLb.Pipeline.Config;

namespace OvsLb.Balancer;

/// <summary>
/// Which configured bridges have been away for longer than the grace time: since they disconnected, or
/// since the load balancer started for one never seen. The planner counts the backends behind such a
/// bridge as down for the other bridges; within the grace time they stay, so a controller restart
/// (bridges reconnecting one by one) moves no flow. The clock lives here, not in the planner.
/// </summary>
public sealed class BridgePresence(Func<TimeSpan> grace, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, long> _goneSince = new(StringComparer.Ordinal);
    private long _startedAt;

    /// <summary>The grace time in force (<c>options.bridgeGrace</c>, read at each use so a reload changes it).</summary>
    public TimeSpan Grace => grace();

    /// <summary>Starts the grace time of the bridges not connected yet (before this, none counts as gone).</summary>
    public void Start() => Interlocked.Exchange(ref _startedAt, _clock.GetTimestamp());

    public void Connected(string bridge) => _goneSince.TryRemove(bridge, out _);

    public void Disconnected(string bridge) => _goneSince[bridge] = _clock.GetTimestamp();

    /// <summary>The configured bridges absent from <paramref name="connected"/> (bridge names) past the grace time.</summary>
    public IReadOnlySet<string> Gone(LoadBalancerConfig config, IReadOnlyDictionary<string, IReadOnlyDictionary<uint, OpenFlow.Messages.PortDescription>> connected)
    {
        HashSet<string>? gone = null;
        long started = Interlocked.Read(ref _startedAt);
        var g = Grace;
        foreach (var b in config.Bridges)
        {
            if (connected.ContainsKey(b.Name)) continue;
            long since = _goneSince.TryGetValue(b.Name, out long t) ? t : started;
            if (since != 0 && _clock.GetElapsedTime(since) >= g) (gone ??= new HashSet<string>(StringComparer.Ordinal)).Add(b.Name);
        }
        return gone ?? (IReadOnlySet<string>)new HashSet<string>();
    }
}
