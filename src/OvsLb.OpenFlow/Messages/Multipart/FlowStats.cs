using System.Text;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>
/// Body of the OFPMP_FLOW and OFPMP_AGGREGATE requests (OpenFlow 1.3.5 §7.3.5.2/3): which flows to
/// report, by table, output port/group, cookie under mask and (non-strict) match.
/// <code>
/// struct ofp_flow_stats_request {    /* also ofp_aggregate_stats_request */
///     uint8_t table_id;              /* OFPTT_ALL (0xff) for all tables */
///     uint8_t pad[3];
///     uint32_t out_port;             /* OFPP_ANY: no restriction */
///     uint32_t out_group;            /* OFPG_ANY: no restriction */
///     uint8_t pad2[4];
///     uint64_t cookie, cookie_mask;  /* mask 0: no restriction */
///     struct ofp_match match;        /* padded to 8 */
/// };                                 /* 32 bytes before the match */
/// </code>
/// </summary>
public abstract record FlowStatsRequestBase : MultipartRequest
{
    public byte TableId { get; init; } = FlowMod.AllTables;
    public uint OutPort { get; init; } = OfctlFormat.Ports.Any;
    public uint OutGroup { get; init; } = FlowMod.AnyGroup;
    public ulong Cookie { get; init; }
    public ulong CookieMask { get; init; }
    public OfpMatch Match { get; init; } = OfpMatch.Any;

    internal sealed override int PartLength => 32 + Match.WireLength;

    internal sealed override void WritePart(ref OfpWriter w)
    {
        w.WriteU8(TableId);
        w.WriteZeros(3);
        w.WriteU32(OutPort);
        w.WriteU32(OutGroup);
        w.WriteZeros(4);
        w.WriteU64(Cookie);
        w.WriteU64(CookieMask);
        Match.Write(ref w);
    }

    internal static T ReadInto<T>(ref OfpReader r, T m) where T : FlowStatsRequestBase
    {
        byte table = r.ReadU8("table_id");
        r.Skip(3);
        uint outPort = r.ReadU32("out_port");
        uint outGroup = r.ReadU32("out_group");
        r.Skip(4);
        ulong cookie = r.ReadU64("cookie");
        ulong mask = r.ReadU64("cookie_mask");
        var match = OfpMatch.Read(ref r);
        return m with { TableId = table, OutPort = outPort, OutGroup = outGroup, Cookie = cookie, CookieMask = mask, Match = match };
    }

    /// <summary>ofputil_flow_stats_request_format: table and out_port when set, then the match (OVS shows neither cookie nor out_group).</summary>
    public sealed override void FormatPart(StringBuilder s)
    {
        if (Match.CheckError() is { } error)
        {
            // ofputil_decode_flow_stats_request decodes the match strictly (OXM prerequisites etc.).
            OfpPrinter.DecodeError(s, this, error.Name);
            return;
        }
        if (TableId != FlowMod.AllTables) s.Append(" table=").Append(TableId);
        if (OutPort != OfctlFormat.Ports.Any) s.Append(" out_port=").Append(OfctlFormat.Port(OutPort));
        s.Append(' ');
        MatchFormatter.Format(s, Match, MatchFormatter.DefaultPriority);
    }
}

/// <summary>OFPMP_FLOW request: dump the matching flows with their counters.</summary>
public sealed record FlowStatsRequest : FlowStatsRequestBase
{
    public override MultipartType MultipartType => MultipartType.Flow;
    internal static FlowStatsRequest Read(ref OfpReader r) => ReadInto(ref r, new FlowStatsRequest());
}

/// <summary>OFPMP_AGGREGATE request: totals over the matching flows.</summary>
public sealed record AggregateStatsRequest : FlowStatsRequestBase
{
    public override MultipartType MultipartType => MultipartType.Aggregate;
    internal static AggregateStatsRequest Read(ref OfpReader r) => ReadInto(ref r, new AggregateStatsRequest());
}

/// <summary>
/// One installed flow in an OFPMP_FLOW reply (OpenFlow 1.3.5 §7.3.5.2). The controller's reconciler
/// compares these with the flows it wants installed.
/// <code>
/// struct ofp_flow_stats {
///     uint16_t length;              /* this entry, match and instructions included */
///     uint8_t table_id; uint8_t pad;
///     uint32_t duration_sec, duration_nsec;
///     uint16_t priority, idle_timeout, hard_timeout, flags;
///     uint8_t pad2[4];
///     uint64_t cookie, packet_count, byte_count;
///     struct ofp_match match;       /* padded to 8 */
///     /* struct ofp_instruction instructions[]; */
/// };                                /* 48 bytes before the match */
/// </code>
/// </summary>
public sealed record FlowStatsEntry
{
    public const int FixedLength = 48;

    public byte TableId { get; init; }
    public uint DurationSec { get; init; }
    public uint DurationNsec { get; init; }
    public ushort Priority { get; init; } = 0x8000;
    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public FlowModFlags Flags { get; init; }
    public ulong Cookie { get; init; }
    public ulong PacketCount { get; init; }
    public ulong ByteCount { get; init; }
    public OfpMatch Match { get; init; } = OfpMatch.Any;
    public EquatableArray<OfpInstruction> Instructions { get; init; } = EquatableArray<OfpInstruction>.Empty;

    public int WireLength => FixedLength + Match.WireLength + OfpInstruction.ListLength(Instructions);

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16(MultipartCodec.Length16(WireLength, GetType().Name));
        w.WriteU8(TableId);
        w.WriteZeros(1);
        w.WriteU32(DurationSec);
        w.WriteU32(DurationNsec);
        w.WriteU16(Priority);
        w.WriteU16(IdleTimeout);
        w.WriteU16(HardTimeout);
        w.WriteU16((ushort)Flags);
        w.WriteZeros(4);
        w.WriteU64(Cookie);
        w.WriteU64(PacketCount);
        w.WriteU64(ByteCount);
        Match.Write(ref w);
        OfpInstruction.WriteList(ref w, Instructions);
    }

    /// <summary>Reads one entry; its length must cover the fixed part and lie inside the body, and the match must fit in it.</summary>
    internal static FlowStatsEntry Read(ref OfpReader r)
    {
        ushort len = r.PeekU16("flow stats length");
        var e = MultipartCodec.Entry(ref r, len, FixedLength + 8, "flow stats entry");
        e.Skip(2);
        byte tableId = e.ReadU8("table_id");
        e.Skip(1);
        uint durationSec = e.ReadU32("duration_sec");
        uint durationNsec = e.ReadU32("duration_nsec");
        ushort priority = e.ReadU16("priority");
        ushort idleTimeout = e.ReadU16("idle_timeout");
        ushort hardTimeout = e.ReadU16("hard_timeout");
        var flags = (FlowModFlags)e.ReadU16("flags");
        e.Skip(4);
        ulong cookie = e.ReadU64("cookie");
        ulong packetCount = e.ReadU64("packet_count");
        ulong byteCount = e.ReadU64("byte_count");
        var match = OfpMatch.Read(ref e);
        return new FlowStatsEntry
        {
            TableId = tableId,
            DurationSec = durationSec,
            DurationNsec = durationNsec,
            Priority = priority,
            IdleTimeout = idleTimeout,
            HardTimeout = hardTimeout,
            Flags = flags,
            Cookie = cookie,
            PacketCount = packetCount,
            ByteCount = byteCount,
            Match = match,
            Instructions = OfpInstruction.ReadList(ref e, e.Remaining),
        };
    }

    /// <summary>
    /// ofputil_flow_stats_format with statistics, the dump-flows line:
    /// <c>cookie=0x0, duration=1.234s, table=0, n_packets=0, n_bytes=0, idle_timeout=60, send_flow_rem priority=40,in_port=3 actions=drop</c>.
    /// </summary>
    public void Format(StringBuilder s) => FlowEntryFormatter.Format(s, Cookie, TableId, IdleTimeout, HardTimeout, Flags, Priority, Match, Instructions,
        new FlowEntryFormatter.Stats(DurationSec, DurationNsec, PacketCount, ByteCount));

    public override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb);
        return sb.ToString();
    }
}

/// <summary>OFPMP_FLOW reply: the installed flows, one line each as dump-flows prints them.</summary>
public sealed record FlowStatsReply : MultipartListReply<FlowStatsEntry>
{
    public override MultipartType MultipartType => MultipartType.Flow;
    internal override int EntryLength(FlowStatsEntry entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, FlowStatsEntry entry) => entry.Write(ref w);

    internal static FlowStatsReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, FlowStatsEntry.Read) };

    /// <summary>Joins the parts of a flow dump split with the MORE flag.</summary>
    public static FlowStatsReply Combine(IEnumerable<FlowStatsReply> parts) =>
        (FlowStatsReply)MultipartReply.Combine(parts.Cast<MultipartReply>().ToList());

    /// <summary>The error OVS answers for the first flow whose instructions it refuses, or null.</summary>
    public string? CheckError()
    {
        foreach (var e in Entries)
        {
            if (Actions.ActionChecks.InstructionsDecodeError(e.Instructions) is { } error) return error;
        }
        return null;
    }

    /// <summary>
    /// ofp_print_flow_stats_reply: one line per flow. OVS decodes each entry's instructions
    /// (ofpacts_pull_openflow_instructions: unknown, experimenter or duplicated instructions, actions
    /// it does not know) and stops at the first entry it refuses: the lines before it stay, then the
    /// decode error follows.
    /// </summary>
    public override void FormatPart(StringBuilder s)
    {
        int start = MultipartText.PartStart(s, this);
        foreach (var e in Entries)
        {
            if (Actions.ActionChecks.InstructionsDecodeError(e.Instructions) is { } error)
            {
                OfpPrinter.DecodeError(s, start, this, error);
                return;
            }
            s.Append("\n ");
            e.Format(s);
        }
    }
}

/// <summary>
/// OFPMP_AGGREGATE reply (OpenFlow 1.3.5 §7.3.5.3).
/// <code>
/// struct ofp_aggregate_stats_reply { uint64_t packet_count, byte_count; uint32_t flow_count; uint8_t pad[4]; };
/// </code>
/// </summary>
public sealed record AggregateStatsReply(ulong PacketCount, ulong ByteCount, uint FlowCount) : MultipartReply
{
    public override MultipartType MultipartType => MultipartType.Aggregate;
    internal override int PartLength => 24;

    internal override void WritePart(ref OfpWriter w)
    {
        w.WriteU64(PacketCount);
        w.WriteU64(ByteCount);
        w.WriteU32(FlowCount);
        w.WriteZeros(4);
    }

    internal static AggregateStatsReply Read(ref OfpReader r)
    {
        var m = new AggregateStatsReply(r.ReadU64("packet_count"), r.ReadU64("byte_count"), r.ReadU32("flow_count"));
        r.Skip(4);
        return m;
    }

    /// <summary>ofputil_aggregate_stats_format.</summary>
    public override void FormatPart(StringBuilder s) =>
        s.Append(" packet_count=").Append(PacketCount).Append(" byte_count=").Append(ByteCount).Append(" flow_count=").Append(FlowCount);
}

/// <summary>
/// OFPMP_DESC reply (OpenFlow 1.3.5 §7.3.5.1): who made the switch and what it runs.
/// <code>
/// struct ofp_desc {
///     char mfr_desc[256]; char hw_desc[256]; char sw_desc[256];
///     char serial_num[32]; char dp_desc[256];       /* NUL-padded */
/// };                                                /* 1056 bytes */
/// </code>
/// </summary>
public sealed record DescReply(string Manufacturer, string Hardware, string Software, string SerialNumber, string DatapathDescription) : MultipartReply
{
    private const int DescLen = 256, SerialLen = 32;

    public override MultipartType MultipartType => MultipartType.Desc;
    internal override int PartLength => 4 * DescLen + SerialLen;

    internal override void WritePart(ref OfpWriter w)
    {
        PortDescription.WriteName(ref w, Manufacturer, DescLen);
        PortDescription.WriteName(ref w, Hardware, DescLen);
        PortDescription.WriteName(ref w, Software, DescLen);
        PortDescription.WriteName(ref w, SerialNumber, SerialLen);
        PortDescription.WriteName(ref w, DatapathDescription, DescLen);
    }

    internal static DescReply Read(ref OfpReader r)
    {
        MultipartCodec.NeedFixed(ref r, 4 * DescLen + SerialLen, "switch description");
        return new DescReply(
            PortDescription.ReadName(ref r, DescLen),
            PortDescription.ReadName(ref r, DescLen),
            PortDescription.ReadName(ref r, DescLen),
            PortDescription.ReadName(ref r, SerialLen),
            PortDescription.ReadName(ref r, DescLen));
    }

    /// <summary>ofp_print_ofpst_desc_reply.</summary>
    public override void FormatPart(StringBuilder s)
    {
        s.Append('\n');
        s.Append("Manufacturer: ").Append(Manufacturer).Append('\n');
        s.Append("Hardware: ").Append(Hardware).Append('\n');
        s.Append("Software: ").Append(Software).Append('\n');
        s.Append("Serial Num: ").Append(SerialNumber).Append('\n');
        s.Append("DP Description: ").Append(DatapathDescription).Append('\n');
    }
}
