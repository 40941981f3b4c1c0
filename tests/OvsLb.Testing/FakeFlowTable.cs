using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;

namespace OvsLb.Testing;

/// <summary>
/// The flow and group tables of a <see cref="FakeSwitch"/>: FLOW_MOD and GROUP_MOD applied with
/// OpenFlow 1.3 semantics close enough for controller tests and load tests:
/// <list type="bullet">
/// <item>ADD replaces a flow with the same table, priority and match (compared as decoded, not
/// canonicalised the way OVS does); ADD to table 0xff is OFPFMFC_BAD_TABLE_ID.</item>
/// <item>MODIFY(_STRICT) replaces the instructions of the flows it selects and adds nothing;
/// DELETE(_STRICT) removes them. Strict selects by exact table/priority/match; non-strict selects
/// flows at least as specific as the given match (every given field present with a compatible
/// value and a mask at least as wide), in one table or all (0xff). Cookie masks filter both;
/// out_port/out_group filters are not implemented (they must be ANY).</item>
/// <item>Groups: ADD of an existing id is OFPGMFC_GROUP_EXISTS, MODIFY of a missing one
/// OFPGMFC_UNKNOWN_GROUP, DELETE of ALL clears the table. Unlike OVS, deleting a group does not
/// delete the flows that point at it.</item>
/// </list>
/// Not thread-safe by itself: <see cref="FakeSwitch"/> serialises access with a lock.
/// </summary>
public sealed class FakeFlowTable
{
    private readonly Dictionary<(byte Table, ushort Priority, OfpMatch Match), FlowStatsEntry> _flows;
    private readonly Dictionary<uint, GroupDescEntry> _groups;

    public FakeFlowTable()
    {
        _flows = [];
        _groups = [];
    }

    private FakeFlowTable(FakeFlowTable other)
    {
        _flows = new(other._flows);
        _groups = new(other._groups);
    }

    public int FlowCount => _flows.Count;
    public int GroupCount => _groups.Count;

    public IEnumerable<FlowStatsEntry> Flows => _flows.Values;
    public IEnumerable<GroupDescEntry> Groups => _groups.Values;

    /// <summary>A copy to apply a bundle to: committed only if every message succeeds.</summary>
    public FakeFlowTable Clone() => new(this);

    /// <summary>Applies a FLOW_MOD or GROUP_MOD; returns the OVS name of the error, or null on success.</summary>
    public string? Apply(OfpMessage m) => m switch
    {
        FlowMod f => Apply(f),
        GroupMod g => Apply(g),
        _ => "OFPBFC_MSG_UNSUP",
    };

    public string? Apply(FlowMod m)
    {
        if (m.OutPort != OfctlFormat.Ports.Any || m.OutGroup != FlowMod.AnyGroup)
        {
            if (m.Command is FlowModCommand.Delete or FlowModCommand.DeleteStrict) return "OFPFMFC_UNKNOWN";
        }
        switch (m.Command)
        {
            case FlowModCommand.Add:
                if (m.TableId == FlowMod.AllTables) return "OFPFMFC_BAD_TABLE_ID";
                _flows[(m.TableId, m.Priority, m.Match)] = new FlowStatsEntry
                {
                    TableId = m.TableId, Priority = m.Priority, IdleTimeout = m.IdleTimeout, HardTimeout = m.HardTimeout,
                    Flags = m.Flags, Cookie = m.Cookie, Match = m.Match, Instructions = m.Instructions,
                };
                return null;
            case FlowModCommand.Modify or FlowModCommand.ModifyStrict:
                foreach (var key in Select(m).ToList())
                {
                    _flows[key] = _flows[key] with { Instructions = m.Instructions };
                }
                return null;
            case FlowModCommand.Delete or FlowModCommand.DeleteStrict:
                foreach (var key in Select(m).ToList()) _flows.Remove(key);
                return null;
            default:
                return "OFPFMFC_BAD_COMMAND";
        }
    }

    private IEnumerable<(byte, ushort, OfpMatch)> Select(FlowMod m)
    {
        bool strict = m.Command is FlowModCommand.ModifyStrict or FlowModCommand.DeleteStrict;
        foreach (var (key, f) in _flows)
        {
            if (m.TableId != FlowMod.AllTables && f.TableId != m.TableId) continue;
            if ((f.Cookie & m.CookieMask) != (m.Cookie & m.CookieMask)) continue;
            if (strict ? f.Priority == m.Priority && f.Match == m.Match : Covers(m.Match, f.Match)) yield return key;
        }
    }

    /// <summary>True when every packet <paramref name="specific"/> matches is matched by <paramref name="filter"/>.</summary>
    public static bool Covers(OfpMatch filter, OfpMatch specific)
    {
        foreach (var want in filter.Fields)
        {
            var have = specific.Fields.FirstOrDefault(e => e.Class == want.Class && e.FieldCode == want.FieldCode && e.Experimenter == want.Experimenter);
            if (have is null || !want.Raw.IsEmpty || !have.Raw.IsEmpty) return false;
            var mask = want.EffectiveMask;
            if ((have.EffectiveMask & mask) != mask || (have.Value & mask) != (want.Value & mask)) return false;
        }
        return true;
    }

    public string? Apply(GroupMod m)
    {
        switch (m.Command)
        {
            case GroupModCommand.Add:
                if (_groups.ContainsKey(m.GroupId)) return "OFPGMFC_GROUP_EXISTS";
                if (m.GroupId > GroupId.Max) return "OFPGMFC_INVALID_GROUP";
                _groups[m.GroupId] = new GroupDescEntry(m.GroupType, m.GroupId, m.Buckets);
                return null;
            case GroupModCommand.Modify:
                if (!_groups.ContainsKey(m.GroupId)) return "OFPGMFC_UNKNOWN_GROUP";
                _groups[m.GroupId] = new GroupDescEntry(m.GroupType, m.GroupId, m.Buckets);
                return null;
            case GroupModCommand.Delete:
                if (m.GroupId == GroupId.All) _groups.Clear();
                else _groups.Remove(m.GroupId);
                return null;
            default:
                return "OFPGMFC_BAD_COMMAND";
        }
    }
}
