using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// GROUP_MOD commands (OpenFlow 1.3.5 §7.3.4.2, enum ofp_group_mod_command; a u16 on the wire).
/// <see cref="AddOrModify"/> is OVS's nonstandard OFPGC11_ADD_OR_MOD (ovs-ofctl --may-create); values
/// 3/4 are OpenFlow 1.5's insert/remove bucket, which OVS still prints if they arrive in 1.3.
/// </summary>
public enum GroupModCommand : ushort
{
    Add = 0,
    Modify = 1,
    Delete = 2,
    InsertBucket = 3,
    RemoveBucket = 4,
    AddOrModify = 0x8000,
}

/// <summary>
/// OFPT_GROUP_MOD (OpenFlow 1.3.5 §7.3.4.2): add, replace or delete a group. The load balancer installs
/// one select group per service, one bucket per backend; <see cref="Select"/> and friends build them.
/// <code>
/// struct ofp_group_mod {
///     struct ofp_header header;
///     uint16_t command;            /* OFPGC_* */
///     uint8_t  type;               /* OFPGT_* */
///     uint8_t  pad;
///     uint32_t group_id;           /* OFPG_ALL with DELETE: every group */
///     struct ofp_bucket buckets[]; /* up to the end of the message */
/// };                               /* 16 bytes with the header */
/// </code>
/// </summary>
public sealed record GroupMod(GroupModCommand Command, GroupType GroupType, uint GroupId, EquatableArray<Bucket> Buckets) : OfpMessage
{
    /// <summary>Adds a select group (weighted hash over the buckets).</summary>
    public static GroupMod Select(uint groupId, IEnumerable<Bucket> buckets, uint xid = 0) =>
        new(GroupModCommand.Add, GroupType.Select, groupId, buckets.ToArray()) { Xid = xid };

    /// <summary>Adds a group of any type.</summary>
    public static GroupMod Add(uint groupId, GroupType type, IEnumerable<Bucket> buckets, uint xid = 0) =>
        new(GroupModCommand.Add, type, groupId, buckets.ToArray()) { Xid = xid };

    /// <summary>Replaces an existing group's type and buckets.</summary>
    public static GroupMod Modify(uint groupId, GroupType type, IEnumerable<Bucket> buckets, uint xid = 0) =>
        new(GroupModCommand.Modify, type, groupId, buckets.ToArray()) { Xid = xid };

    /// <summary>
    /// Deletes one group (or every group with <see cref="Groups.GroupId.All"/>). ovs-ofctl sends type ALL
    /// and no buckets; OpenFlow 1.3.5 rejects a DELETE carrying buckets.
    /// </summary>
    public static GroupMod Delete(uint groupId = Groups.GroupId.All, uint xid = 0) =>
        new(GroupModCommand.Delete, GroupType.All, groupId, EquatableArray<Bucket>.Empty) { Xid = xid };

    public override OfpType Type => OfpType.GroupMod;
    public override string OvsName => "OFPT_GROUP_MOD";
    public override int BodyLength => 8 + Bucket.ListLength(Buckets);

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU16((ushort)Command);
        w.WriteU8((byte)GroupType);
        w.WriteZeros(1);
        w.WriteU32(GroupId);
        Bucket.WriteList(ref w, Buckets);
    }

    internal static GroupMod Read(ref OfpReader r)
    {
        var command = (GroupModCommand)r.ReadU16("group_mod command");
        var type = (GroupType)r.ReadU8("group_mod type");
        r.Skip(1, "group_mod padding");
        uint groupId = r.ReadU32("group_id");
        var buckets = Bucket.ReadList(ref r);
        return new GroupMod(command, type, groupId, buckets);
    }

    /// <summary>
    /// The error OVS answers for this GROUP_MOD before looking at its groups table, or null when OVS
    /// decodes it (ofputil_pull_ofp11_buckets, ofputil_pull_ofp11_group_mod and ofputil_check_group_mod):
    /// a watch_port outside the valid port ranges, buckets on a DELETE, an indirect group without
    /// exactly one bucket, a weight outside a select group, a watch in an all/indirect group, a fast
    /// failover bucket without one, an unknown type or command. The codec keeps such messages as sent;
    /// this tells a caller (and the printer) what OVS would make of them.
    /// </summary>
    public string? CheckError()
    {
        foreach (var b in Buckets)
        {
            // ofputil_pull_ofp11_buckets: the bucket's actions are decoded before its watch port.
            if (Actions.ActionChecks.DecodeError(b.Actions) is { } actionError) return actionError;
            if (b.WatchPort is >= 0xff00 and < 0xffffff00) return "OFPGMFC_BAD_WATCH";
        }
        if (Command == GroupModCommand.Delete && !Buckets.IsEmpty) return "OFPGMFC_INVALID_GROUP";
        switch (GroupType)
        {
            case GroupType.Indirect when Command != GroupModCommand.Delete && Buckets.Count != 1:
                return "OFPGMFC_INVALID_GROUP";
            case > GroupType.FastFailover:
                return "OFPGMFC_BAD_TYPE";
        }
        switch (Command)
        {
            case GroupModCommand.Add or GroupModCommand.Modify or GroupModCommand.AddOrModify
                or GroupModCommand.Delete or GroupModCommand.InsertBucket:
                break;
            case GroupModCommand.RemoveBucket when !Buckets.IsEmpty:
                return "OFPGMFC_BAD_BUCKET";
            case GroupModCommand.RemoveBucket:
                break;
            default:
                return "OFPGMFC_BAD_COMMAND";
        }
        foreach (var b in Buckets)
        {
            if (b.Weight != 0 && GroupType != GroupType.Select && Command != GroupModCommand.InsertBucket) return "OFPGMFC_INVALID_GROUP";
            bool live = b.WatchPort != Text.OfctlFormat.Ports.Any || b.WatchGroup != Groups.GroupId.Any;
            if (GroupType is GroupType.All or GroupType.Indirect && live) return "OFPGMFC_WATCH_UNSUPPORTED";
            if (GroupType == GroupType.FastFailover && !live) return "OFPGMFC_INVALID_GROUP";
        }
        return null;
    }

    /// <summary>
    /// ofputil_group_mod_format__ (lib/ofp-group.c): <c>\n ADD group_id=1,type=select,bucket=...</c>; a
    /// GROUP_MOD OVS refuses to decode (<see cref="CheckError"/>) prints as ofp-print's decode error.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (CheckError() is { } error)
        {
            Text.OfpPrinter.DecodeError(s, this, error);
            return;
        }
        s.Append("\n ").Append(GroupText.CommandName(Command)).Append(' ');
        bool bucketCommand = Command is GroupModCommand.InsertBucket or GroupModCommand.RemoveBucket;
        GroupText.Format(s, GroupId, GroupType, Buckets, suppressType: bucketCommand);
    }

    /// <summary>The group as <c>ovs-ofctl -O OpenFlow13 dump-groups</c> lists it once installed.</summary>
    public string DumpText()
    {
        var s = new StringBuilder();
        GroupText.Format(s, GroupId, GroupType, Buckets);
        return s.ToString();
    }
}
