using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// The group text shared by GROUP_MOD and GROUP_DESC (ofp_print_group in lib/ofp-group.c, OpenFlow 1.1-1.4
/// form): <c>group_id=N,type=select,bucket=...,bucket=...</c>. The group id is always a number here
/// (OVS prints 4294967292, not ALL), and the type names are all/select/indirect/ff.
/// </summary>
public static class GroupText
{
    /// <summary>The command name ofp-print puts before a group mod (ofputil_group_mod_format__): ADD, MOD, ...; cmd:N otherwise.</summary>
    public static string CommandName(GroupModCommand command) => command switch
    {
        GroupModCommand.Add => "ADD",
        GroupModCommand.Modify => "MOD",
        GroupModCommand.AddOrModify => "ADD_OR_MOD",
        GroupModCommand.Delete => "DEL",
        GroupModCommand.InsertBucket => "INSERT_BUCKET",
        GroupModCommand.RemoveBucket => "REMOVE_BUCKET",
        _ => "cmd:" + ((ushort)command).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The type name ofp-print uses; "unknown" for values above 3.</summary>
    public static string TypeName(GroupType type) => type switch
    {
        GroupType.All => "all",
        GroupType.Select => "select",
        GroupType.Indirect => "indirect",
        GroupType.FastFailover => "ff",
        _ => "unknown",
    };

    /// <summary>Appends the group as ofp_print_group does (buckets always present, possibly none).</summary>
    public static void Format(StringBuilder s, uint groupId, GroupType type, EquatableArray<Bucket> buckets, bool suppressType = false)
    {
        s.Append("group_id=").Append(groupId);
        if (!suppressType) s.Append(",type=").Append(TypeName(type));
        foreach (var b in buckets)
        {
            s.Append(',');
            b.Format(s, type);
        }
    }
}
