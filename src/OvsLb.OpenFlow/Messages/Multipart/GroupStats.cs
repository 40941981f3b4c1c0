using System.Text;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>
/// OFPMP_GROUP request (OpenFlow 1.3.5 §7.3.5.9).
/// <code>
/// struct ofp_group_stats_request { uint32_t group_id; /* OFPG_ALL for all */ uint8_t pad[4]; };
/// </code>
/// </summary>
public sealed record GroupStatsRequest(uint GroupId = Groups.GroupId.All) : MultipartRequest
{
    public override MultipartType MultipartType => MultipartType.Group;
    internal override int PartLength => 8;

    internal override void WritePart(ref OfpWriter w)
    {
        w.WriteU32(GroupId);
        w.WriteZeros(4);
    }

    internal static GroupStatsRequest Read(ref OfpReader r)
    {
        var m = new GroupStatsRequest(r.ReadU32("group_id"));
        r.Skip(4);
        return m;
    }

    public override void FormatPart(StringBuilder s) => s.Append(" group_id=").Append(Groups.GroupId.Name(GroupId));
}

/// <summary>Packets and bytes that went through one bucket (<c>struct ofp_bucket_counter { uint64_t packet_count, byte_count; }</c>).</summary>
public readonly record struct BucketCounter(ulong PacketCount, ulong ByteCount);

/// <summary>
/// One group in an OFPMP_GROUP reply (OpenFlow 1.3.5 §7.3.5.9): per-group and per-bucket counters;
/// for a select group the bucket counters show how traffic spreads over the backends.
/// <code>
/// struct ofp_group_stats {
///     uint16_t length; uint8_t pad[2];
///     uint32_t group_id;
///     uint32_t ref_count;            /* flows and groups that forward to this group */
///     uint8_t pad2[4];
///     uint64_t packet_count, byte_count;
///     uint32_t duration_sec, duration_nsec;
///     struct ofp_bucket_counter bucket_stats[0];
/// };                                 /* 40 bytes + 16 per bucket */
/// </code>
/// </summary>
public sealed record GroupStatsEntry
{
    public const int FixedLength = 40;

    public uint GroupId { get; init; }
    public uint RefCount { get; init; }
    public ulong PacketCount { get; init; }
    public ulong ByteCount { get; init; }
    public uint DurationSec { get; init; }
    public uint DurationNsec { get; init; }
    public EquatableArray<BucketCounter> BucketStats { get; init; } = EquatableArray<BucketCounter>.Empty;

    public int WireLength => FixedLength + 16 * BucketStats.Count;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16(MultipartCodec.Length16(WireLength, GetType().Name));
        w.WriteZeros(2);
        w.WriteU32(GroupId);
        w.WriteU32(RefCount);
        w.WriteZeros(4);
        w.WriteU64(PacketCount);
        w.WriteU64(ByteCount);
        w.WriteU32(DurationSec);
        w.WriteU32(DurationNsec);
        foreach (var b in BucketStats)
        {
            w.WriteU64(b.PacketCount);
            w.WriteU64(b.ByteCount);
        }
    }

    internal static GroupStatsEntry Read(ref OfpReader r)
    {
        ushort len = r.PeekU16("group stats length");
        var e = MultipartCodec.Entry(ref r, len, FixedLength, "group stats entry");
        if ((len - FixedLength) % 16 != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"group stats entry length {len} is not 40 plus whole 16-byte bucket counters", e.AbsolutePosition);
        }
        e.Skip(4);
        var g = new GroupStatsEntry { GroupId = e.ReadU32("group_id"), RefCount = e.ReadU32("ref_count") };
        e.Skip(4);
        g = g with
        {
            PacketCount = e.ReadU64("packet_count"),
            ByteCount = e.ReadU64("byte_count"),
            DurationSec = e.ReadU32("duration_sec"),
            DurationNsec = e.ReadU32("duration_nsec"),
        };
        var buckets = new BucketCounter[e.Remaining / 16];
        for (int i = 0; i < buckets.Length; i++) buckets[i] = new BucketCounter(e.ReadU64("bucket packet_count"), e.ReadU64("bucket byte_count"));
        return g with { BucketStats = buckets };
    }

    /// <summary>ofputil_group_stats_format, one entry (without the leading newline).</summary>
    public void Format(StringBuilder s)
    {
        s.Append("group_id=").Append(GroupId).Append(',');
        if (DurationSec != uint.MaxValue)
        {
            s.Append("duration=");
            StatsFormat.Duration(s, DurationSec, DurationNsec);
            s.Append(',');
        }
        s.Append("ref_count=").Append(RefCount).Append(',');
        s.Append("packet_count=").Append(PacketCount).Append(',');
        s.Append("byte_count=").Append(ByteCount);
        for (int i = 0; i < BucketStats.Count; i++)
        {
            var b = BucketStats[i];
            if (b.PacketCount == ulong.MaxValue) continue;
            s.Append(",bucket").Append(i).Append(":packet_count=").Append(b.PacketCount).Append(",byte_count=").Append(b.ByteCount);
        }
    }
}

/// <summary>OFPMP_GROUP reply.</summary>
public sealed record GroupStatsReply : MultipartListReply<GroupStatsEntry>
{
    public override MultipartType MultipartType => MultipartType.Group;
    internal override int EntryLength(GroupStatsEntry entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, GroupStatsEntry entry) => entry.Write(ref w);

    internal static GroupStatsReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, GroupStatsEntry.Read) };

    public override void FormatPart(StringBuilder s) => FormatEntries(s, "\n ", static (e, s) => e.Format(s));
}

/// <summary>
/// One group in an OFPMP_GROUP_DESC reply (OpenFlow 1.3.5 §7.3.5.10): the group as installed —
/// what the reconciler compares with the groups it wants.
/// <code>
/// struct ofp_group_desc {
///     uint16_t length;          /* this entry and its buckets */
///     uint8_t type;             /* enum ofp_group_type */
///     uint8_t pad;
///     uint32_t group_id;
///     struct ofp_bucket buckets[0];
/// };                            /* 8 bytes before the buckets */
/// </code>
/// </summary>
public sealed record GroupDescEntry(GroupType GroupType, uint GroupId, EquatableArray<Bucket> Buckets)
{
    public const int FixedLength = 8;

    public int WireLength => FixedLength + Bucket.ListLength(Buckets);

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16(MultipartCodec.Length16(WireLength, GetType().Name));
        w.WriteU8((byte)GroupType);
        w.WriteZeros(1);
        w.WriteU32(GroupId);
        Bucket.WriteList(ref w, Buckets);
    }

    internal static GroupDescEntry Read(ref OfpReader r)
    {
        ushort len = r.PeekU16("group desc length");
        var e = MultipartCodec.Entry(ref r, len, FixedLength, "group desc entry");
        e.Skip(2);
        var type = (GroupType)e.ReadU8("group type");
        e.Skip(1);
        uint id = e.ReadU32("group_id");
        return new GroupDescEntry(type, id, Bucket.ReadList(ref e));
    }

    /// <summary>ofp_print_group: <c>group_id=1,type=select,bucket=weight:10,actions=output:1,...</c>.</summary>
    public void Format(StringBuilder s) => GroupText.Format(s, GroupId, GroupType, Buckets);
}

/// <summary>OFPMP_GROUP_DESC reply: the installed groups and their buckets.</summary>
public sealed record GroupDescReply : MultipartListReply<GroupDescEntry>
{
    public override MultipartType MultipartType => MultipartType.GroupDesc;
    internal override int EntryLength(GroupDescEntry entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, GroupDescEntry entry) => entry.Write(ref w);

    internal static GroupDescReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, GroupDescEntry.Read) };

    public override void FormatPart(StringBuilder s) => FormatEntries(s, "\n ", static (e, s) => e.Format(s));
}

/// <summary>
/// OFPMP_GROUP_FEATURES reply (OpenFlow 1.3.5 §7.3.5.11): supported group types, capabilities, and
/// per type the maximum number of groups and the supported actions (bitmap of OFPAT_* numbers).
/// <code>
/// struct ofp_group_features {
///     uint32_t types;            /* bitmap of 1 &lt;&lt; OFPGT_* */
///     uint32_t capabilities;     /* OFPGFC_* */
///     uint32_t max_groups[4];
///     uint32_t actions[4];
/// };                             /* 40 bytes */
/// </code>
/// </summary>
public sealed record GroupFeaturesReply(uint Types, uint Capabilities, EquatableArray<uint> MaxGroups, EquatableArray<uint> Actions) : MultipartReply
{
    public override MultipartType MultipartType => MultipartType.GroupFeatures;
    internal override int PartLength => 40;

    internal override void WritePart(ref OfpWriter w)
    {
        w.WriteU32(Types);
        w.WriteU32(Capabilities);
        for (int i = 0; i < 4; i++) w.WriteU32(i < MaxGroups.Count ? MaxGroups[i] : 0);
        for (int i = 0; i < 4; i++) w.WriteU32(i < Actions.Count ? Actions[i] : 0);
    }

    internal static GroupFeaturesReply Read(ref OfpReader r)
    {
        MultipartCodec.NeedFixed(ref r, 40, "group features");
        uint types = r.ReadU32(), caps = r.ReadU32();
        var max = new uint[4];
        var actions = new uint[4];
        for (int i = 0; i < 4; i++) max[i] = r.ReadU32();
        for (int i = 0; i < 4; i++) actions[i] = r.ReadU32();
        return new GroupFeaturesReply(types, caps, max, actions);
    }

    // OF1.3 action numbers OVS maps to its own action kinds, in the order OVS prints them (enum ofpact_type).
    private static readonly (int OfpAt, string Name)[] ActionNames =
    [
        (0, "output"), (22, "group"), (25, "set_field"), (18, "strip_vlan"), (17, "push_vlan"), (23, "mod_nw_ttl"),
        (24, "dec_ttl"), (15, "set_mpls_ttl"), (16, "dec_mpls_ttl"), (19, "push_mpls"), (20, "pop_mpls"), (21, "set_queue"),
    ];

    private static readonly string[] TypeNames = ["all", "select", "indirect", "fast failover"];

    /// <summary>ofputil_group_features_format. Action bits OVS does not map (copy_ttl, PBB) are not shown.</summary>
    public override void FormatPart(StringBuilder s)
    {
        s.Append("\n Group table:\n");
        s.Append("    Types:  0x").Append(Types.ToString("x")).Append('\n');
        s.Append("    Capabilities:  0x").Append(Capabilities.ToString("x")).Append('\n');
        for (int i = 0; i < 4; i++)
        {
            if ((Types & (1u << i)) == 0) continue;
            s.Append("    ").Append(TypeNames[i]).Append(" group:\n");
            s.Append("       max_groups=").Append(OfctlFormat.AltHex(i < MaxGroups.Count ? MaxGroups[i] : 0)).Append('\n');
            s.Append("       actions: ");
            uint bits = i < Actions.Count ? Actions[i] : 0;
            var names = ActionNames.Where(a => (bits & (1u << a.OfpAt)) != 0).Select(a => a.Name).ToList();
            s.Append(names.Count == 0 ? "<none>" : string.Join(' ', names)).Append('\n');
        }
    }
}
