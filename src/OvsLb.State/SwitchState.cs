using System.Collections.Frozen;

namespace OvsLb.State;

/// <summary>
/// An immutable set of flows and groups for one switch: what the application wants (desired) or
/// what the switch holds (installed). Built once, compared by structure (key, canonical bytes).
/// </summary>
public sealed class SwitchState
{
    public static readonly SwitchState Empty = new(FrozenDictionary<FlowKey, FlowEntry>.Empty, FrozenDictionary<uint, GroupEntry>.Empty);

    private SwitchState(FrozenDictionary<FlowKey, FlowEntry> flows, FrozenDictionary<uint, GroupEntry> groups)
    {
        Flows = flows;
        Groups = groups;
    }

    public IReadOnlyDictionary<FlowKey, FlowEntry> Flows { get; }
    public IReadOnlyDictionary<uint, GroupEntry> Groups { get; }

    /// <summary>
    /// Builds a state; two flows with the same table, priority and match, or two groups with the same
    /// id, are a bug in whoever built them and are rejected with both named.
    /// </summary>
    public static SwitchState Create(IEnumerable<FlowEntry> flows, IEnumerable<GroupEntry> groups)
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
        return new SwitchState(f.ToFrozenDictionary(), g.ToFrozenDictionary());
    }

    /// <summary>This state plus <paramref name="flows"/> and <paramref name="groups"/> (rejected as <see cref="Create"/> does when they collide).</summary>
    public SwitchState With(IReadOnlyCollection<FlowEntry> flows, IReadOnlyCollection<GroupEntry> groups) =>
        flows.Count == 0 && groups.Count == 0 ? this : Create(Flows.Values.Concat(flows), Groups.Values.Concat(groups));

    /// <summary>Flow lines in ovs-ofctl text, sorted: what <c>ovs-ofctl --no-stats dump-flows</c> shows.</summary>
    public IReadOnlyList<string> FlowLines() => Flows.Values.Select(f => f.Text).Order(StringComparer.Ordinal).ToList();

    /// <summary>Group lines in ovs-ofctl text, sorted: what <c>ovs-ofctl dump-groups</c> shows.</summary>
    public IReadOnlyList<string> GroupLines() => Groups.Values.Select(g => g.Text).Order(StringComparer.Ordinal).ToList();
}
