using OvsLb.OpenFlow.Messages;

namespace OvsLb.State;

/// <summary>
/// The difference between a desired and an installed state, in the order it must be applied so that
/// no flow ever points at a missing group: groups added and modified first, then stale flows deleted,
/// then new or changed flows added, and stale groups deleted last. Meters (which OVS does not take in
/// a bundle) are added and modified before all that (<see cref="MeterMessagesBefore"/>) and deleted after
/// it (<see cref="MeterMessagesAfter"/>), so no flow ever points at a missing meter either.
/// </summary>
public sealed record StateDiff(
    IReadOnlyList<GroupEntry> GroupAdds,
    IReadOnlyList<GroupEntry> GroupMods,
    IReadOnlyList<FlowEntry> FlowDeletes,
    IReadOnlyList<FlowEntry> FlowAdds,
    IReadOnlyList<GroupEntry> GroupDeletes)
{
    public IReadOnlyList<MeterEntry> MeterAdds { get; init; } = [];
    public IReadOnlyList<MeterEntry> MeterMods { get; init; } = [];
    public IReadOnlyList<MeterEntry> MeterDeletes { get; init; } = [];

    public bool IsEmpty => GroupAdds.Count == 0 && GroupMods.Count == 0 && FlowDeletes.Count == 0 && FlowAdds.Count == 0 && GroupDeletes.Count == 0 && MeterCount == 0;

    /// <summary>Meter mods in this diff.</summary>
    public int MeterCount => MeterAdds.Count + MeterMods.Count + MeterDeletes.Count;

    public int MessageCount => GroupAdds.Count + GroupMods.Count + FlowDeletes.Count + FlowAdds.Count + GroupDeletes.Count + MeterCount;

    /// <summary>
    /// Computes the diff. Flows are matched by <see cref="FlowKey"/> (table, priority, canonical match)
    /// and a flow is changed when its cookie, timeouts, flags or canonical instruction bytes differ; a
    /// group when its type or canonical bucket bytes do (<see cref="FlowEntry.SameContent"/>,
    /// <see cref="GroupEntry.SameContent"/>). Installed flows and groups this controller does not own
    /// are never touched. An entry that is the very instance installed (a policy that reuses what it
    /// built before, and <see cref="Apply"/>, which keeps the desired instances) is unchanged without
    /// encoding anything, so a one-group change in a large state costs lookups.
    /// </summary>
    public static StateDiff Compute(SwitchState desired, SwitchState installed, Ownership own)
    {
        var groupAdds = new List<GroupEntry>();
        var groupMods = new List<GroupEntry>();
        foreach (var (id, g) in desired.Groups.OrderBy(p => p.Key))
        {
            if (!installed.Groups.TryGetValue(id, out var have)) groupAdds.Add(g);
            else if (!g.SameContent(have)) groupMods.Add(g);
        }
        var flowDeletes = new List<FlowEntry>();
        foreach (var (key, f) in installed.Flows)
        {
            if (!desired.Flows.ContainsKey(key) && own.OwnsFlow(f)) flowDeletes.Add(f);
        }
        var flowAdds = new List<FlowEntry>();
        foreach (var (key, f) in desired.Flows)
        {
            if (!installed.Flows.TryGetValue(key, out var have) || !f.SameContent(have)) flowAdds.Add(f);
        }
        var groupDeletes = installed.Groups.Values
            .Where(g => !desired.Groups.ContainsKey(g.GroupId) && own.OwnsGroup(g.GroupId))
            .OrderBy(g => g.GroupId).ToList();
        // In a fixed order (by key, then cookie), so the same diff is always sent the same way.
        flowDeletes.Sort(KeyOrder);
        flowAdds.Sort(KeyOrder);
        var meterAdds = new List<MeterEntry>();
        var meterMods = new List<MeterEntry>();
        foreach (var (id, m) in desired.Meters.OrderBy(p => p.Key))
        {
            if (!installed.Meters.TryGetValue(id, out var have)) meterAdds.Add(m);
            else if (!m.SameContent(have)) meterMods.Add(m);
        }
        var meterDeletes = installed.Meters.Values
            .Where(m => !desired.Meters.ContainsKey(m.MeterId) && own.OwnsMeter(m.MeterId))
            .OrderBy(m => m.MeterId).ToList();
        return new StateDiff(groupAdds, groupMods, flowDeletes, flowAdds, groupDeletes)
        {
            MeterAdds = meterAdds, MeterMods = meterMods, MeterDeletes = meterDeletes,
        };
    }

    private static int KeyOrder(FlowEntry a, FlowEntry b)
    {
        var (x, y) = (a.Key, b.Key);
        int c = x.TableId.CompareTo(y.TableId);
        if (c == 0) c = y.Priority.CompareTo(x.Priority);
        if (c == 0) c = x.Match.SequenceCompareTo(y.Match);
        return c != 0 ? c : a.Cookie.CompareTo(b.Cookie);
    }

    /// <summary>METER_MODs to send (and see acknowledged) before the bundle: meters added or changed.</summary>
    public IEnumerable<OfpMessage> MeterMessagesBefore() => MeterAdds.Select(m => (OfpMessage)m.ToAdd()).Concat(MeterMods.Select(m => m.ToModify()));

    /// <summary>METER_MODs to send after the bundle committed: meters no flow uses any more.</summary>
    public IEnumerable<OfpMessage> MeterMessagesAfter() => MeterDeletes.Select(m => (OfpMessage)m.ToDelete());

    /// <summary>The FLOW_MOD / GROUP_MOD messages that apply this diff (the bundle), in the safe order; meters apart.</summary>
    public IEnumerable<OfpMessage> ToMessages()
    {
        foreach (var g in GroupAdds) yield return g.ToAdd();
        foreach (var g in GroupMods) yield return g.ToModify();
        foreach (var f in FlowDeletes) yield return f.ToDeleteStrict();
        foreach (var f in FlowAdds) yield return f.ToAdd();
        foreach (var g in GroupDeletes) yield return g.ToDelete();
    }

    /// <summary>The installed state after this diff has been applied successfully.</summary>
    /// <remarks>The desired state plus what it leaves alone (others' flows and groups); the desired state itself when that is nothing.</remarks>
    public static SwitchState Apply(SwitchState installed, SwitchState desired, Ownership own)
    {
        var flows = installed.Flows.Values.Where(f => !own.OwnsFlow(f) && !desired.Flows.ContainsKey(f.Key)).ToList();
        var groups = installed.Groups.Values.Where(g => !own.OwnsGroup(g.GroupId) && !desired.Groups.ContainsKey(g.GroupId)).ToList();
        var meters = installed.Meters.Values.Where(m => !own.OwnsMeter(m.MeterId) && !desired.Meters.ContainsKey(m.MeterId)).ToList();
        return desired.With(flows, groups, meters);
    }

    public override string ToString() =>
        $"+{GroupAdds.Count} groups, ~{GroupMods.Count} groups, -{FlowDeletes.Count} flows, +/~{FlowAdds.Count} flows, -{GroupDeletes.Count} groups"
        + (MeterCount == 0 ? "" : $", +{MeterAdds.Count} ~{MeterMods.Count} -{MeterDeletes.Count} meters");
}
