using System.Collections.Frozen;

namespace OvsLb.State;

/// <summary>
/// An immutable set of flows and groups for one switch: what the application wants (desired) or
/// what the switch holds (installed). Built once, compared by structure (key, canonical bytes).
/// </summary>
public sealed class SwitchState
{
    public static readonly SwitchState Empty = new(FrozenDictionary<FlowKey, FlowEntry>.Empty, FrozenDictionary<uint, GroupEntry>.Empty, FrozenDictionary<uint, MeterEntry>.Empty);

    private SwitchState(FrozenDictionary<FlowKey, FlowEntry> flows, FrozenDictionary<uint, GroupEntry> groups, FrozenDictionary<uint, MeterEntry> meters)
    {
        Flows = flows;
        Groups = groups;
        Meters = meters;
    }

    public IReadOnlyDictionary<FlowKey, FlowEntry> Flows { get; }
    public IReadOnlyDictionary<uint, GroupEntry> Groups { get; }

    /// <summary>Meters (rate limiters) by id: flows reference them with the meter instruction.</summary>
    public IReadOnlyDictionary<uint, MeterEntry> Meters { get; }

    /// <summary>
    /// Builds a state; two flows with the same table, priority and match, or two groups with the same
    /// id (or meters), are a bug in whoever built them and are rejected with both named.
    /// </summary>
    public static SwitchState Create(IEnumerable<FlowEntry> flows, IEnumerable<GroupEntry> groups, IEnumerable<MeterEntry>? meters = null)
    {
        var f = new Dictionary<FlowKey, FlowEntry>();
        foreach (var e in flows)
        {
            if (!f.TryAdd(e.Key, e)) throw new ArgumentException($"two flows with the same table, priority and match:\n  {f[e.Key]}\n  {e}");
        }
        var g = new Dictionary<uint, GroupEntry>();
        foreach (var e in groups)
        {
            if (!g.TryAdd(e.GroupId, e)) throw new ArgumentException($"two groups with id {e.GroupId}:\n  {g[e.GroupId]}\n  {e}");
        }
        var m = new Dictionary<uint, MeterEntry>();
        foreach (var e in meters ?? [])
        {
            if (!m.TryAdd(e.MeterId, e)) throw new ArgumentException($"two meters with id {e.MeterId}:\n  {m[e.MeterId]}\n  {e}");
        }
        return new SwitchState(f.ToFrozenDictionary(), g.ToFrozenDictionary(), m.Count == 0 ? FrozenDictionary<uint, MeterEntry>.Empty : m.ToFrozenDictionary());
    }

    /// <summary>This state plus <paramref name="flows"/>, <paramref name="groups"/> and <paramref name="meters"/> (rejected as <see cref="Create"/> does when they collide).</summary>
    public SwitchState With(IReadOnlyCollection<FlowEntry> flows, IReadOnlyCollection<GroupEntry> groups, IReadOnlyCollection<MeterEntry>? meters = null) =>
        flows.Count == 0 && groups.Count == 0 && (meters is null || meters.Count == 0) ? this
            : Create(Flows.Values.Concat(flows), Groups.Values.Concat(groups), Meters.Values.Concat(meters ?? []));

    /// <summary>Flow lines in ovs-ofctl text, sorted: what <c>ovs-ofctl --no-stats dump-flows</c> shows.</summary>
    public IReadOnlyList<string> FlowLines() => Flows.Values.Select(f => f.Text).Order(StringComparer.Ordinal).ToList();

    /// <summary>Meter lines, sorted: what <c>ovs-ofctl -O OpenFlow13 dump-meters</c> shows, one line each.</summary>
    public IReadOnlyList<string> MeterLines() => Meters.Values.Select(m => m.Text).Order(StringComparer.Ordinal).ToList();

    /// <summary>Group lines in ovs-ofctl text, sorted: what <c>ovs-ofctl dump-groups</c> shows.</summary>
    public IReadOnlyList<string> GroupLines() => Groups.Values.Select(g => g.Text).Order(StringComparer.Ordinal).ToList();
}
