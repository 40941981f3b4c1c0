using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>
/// One table in an OFPMP_TABLE reply (OpenFlow 1.3.5 §7.3.5.4).
/// <code>
/// struct ofp_table_stats {
///     uint8_t table_id; uint8_t pad[3];
///     uint32_t active_count;
///     uint64_t lookup_count, matched_count;
/// };                                 /* 24 bytes */
/// </code>
/// </summary>
public sealed record TableStatsEntry(byte TableId, uint ActiveCount, ulong LookupCount, ulong MatchedCount)
{
    public const int WireLength = 24;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU8(TableId);
        w.WriteZeros(3);
        w.WriteU32(ActiveCount);
        w.WriteU64(LookupCount);
        w.WriteU64(MatchedCount);
    }

    internal static TableStatsEntry Read(ref OfpReader r)
    {
        MultipartCodec.NeedFixed(ref r, WireLength, "table stats entry");
        byte table = r.ReadU8("table_id");
        r.Skip(3);
        return new TableStatsEntry(table, r.ReadU32("active_count"), r.ReadU64("lookup_count"), r.ReadU64("matched_count"));
    }
}

/// <summary>OFPMP_TABLE reply: per-table flow counts and lookup/match counters.</summary>
public sealed record TableStatsReply : MultipartListReply<TableStatsEntry>
{
    public override MultipartType MultipartType => MultipartType.Table;
    internal override int EntryLength(TableStatsEntry entry) => TableStatsEntry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, TableStatsEntry entry) => entry.Write(ref w);

    internal static TableStatsReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, TableStatsEntry.Read) };

    /// <summary>
    /// ofp_print_table_stats_reply: each table as <c>\n  table 0:\n    active=1, lookup=0, matched=0\n</c>;
    /// a run of tables whose counters equal the previous table's collapses into
    /// <c>\n  tables 4...253: ditto\n</c> (<c>table N: ditto</c> for a run of one).
    /// </summary>
    public override void FormatPart(StringBuilder s)
    {
        int firstDitto = -1, lastDitto = -1;
        TableStatsEntry? prev = null;
        foreach (var e in Entries)
        {
            bool same = prev is not null && prev.ActiveCount == e.ActiveCount && prev.LookupCount == e.LookupCount && prev.MatchedCount == e.MatchedCount;
            prev = e;
            if (same)
            {
                if (firstDitto < 0) firstDitto = e.TableId;
                lastDitto = e.TableId;
                continue;
            }
            FinishDitto(s, firstDitto, lastDitto);
            firstDitto = -1;
            s.Append("\n  table ").Append(e.TableId).Append(":\n");
            s.Append("    active=").Append(e.ActiveCount).Append(", lookup=").Append(e.LookupCount).Append(", matched=").Append(e.MatchedCount).Append('\n');
        }
        FinishDitto(s, firstDitto, lastDitto);
    }

    private static void FinishDitto(StringBuilder s, int first, int last)
    {
        if (first < 0) return;
        s.Append('\n');
        if (first == last) s.Append("  table ").Append(first).Append(": ditto\n");
        else s.Append("  tables ").Append(first).Append("...").Append(last).Append(": ditto\n");
    }
}

/// <summary>
/// OFPMP_PORT_STATS request (OpenFlow 1.3.5 §7.3.5.5).
/// <code>
/// struct ofp_port_stats_request { uint32_t port_no; /* OFPP_ANY for all */ uint8_t pad[4]; };
/// </code>
/// </summary>
public sealed record PortStatsRequest(uint PortNo = OfctlFormat.Ports.Any) : MultipartRequest
{
    public override MultipartType MultipartType => MultipartType.PortStats;
    internal override int PartLength => 8;

    internal override void WritePart(ref OfpWriter w)
    {
        w.WriteU32(PortNo);
        w.WriteZeros(4);
    }

    internal static PortStatsRequest Read(ref OfpReader r)
    {
        var m = new PortStatsRequest(r.ReadU32("port_no"));
        r.Skip(4);
        return m;
    }

    public override void FormatPart(StringBuilder s) => s.Append(" port_no=").Append(OfctlFormat.Port(PortNo));
}

/// <summary>
/// One port in an OFPMP_PORT_STATS reply (OpenFlow 1.3.5 §7.3.5.5). All-ones counters mean
/// "not available" (OVS prints <c>?</c>).
/// <code>
/// struct ofp_port_stats {
///     uint32_t port_no; uint8_t pad[4];
///     uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped, rx_errors, tx_errors;
///     uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
///     uint32_t duration_sec, duration_nsec;
/// };                                 /* 112 bytes */
/// </code>
/// </summary>
public sealed record PortStatsEntry
{
    public const int WireLength = 112;

    public uint PortNo { get; init; }
    public ulong RxPackets { get; init; }
    public ulong TxPackets { get; init; }
    public ulong RxBytes { get; init; }
    public ulong TxBytes { get; init; }
    public ulong RxDropped { get; init; }
    public ulong TxDropped { get; init; }
    public ulong RxErrors { get; init; }
    public ulong TxErrors { get; init; }
    public ulong RxFrameErr { get; init; }
    public ulong RxOverErr { get; init; }
    public ulong RxCrcErr { get; init; }
    public ulong Collisions { get; init; }
    public uint DurationSec { get; init; }
    public uint DurationNsec { get; init; }

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(PortNo);
        w.WriteZeros(4);
        foreach (var v in (ReadOnlySpan<ulong>)[RxPackets, TxPackets, RxBytes, TxBytes, RxDropped, TxDropped, RxErrors, TxErrors, RxFrameErr, RxOverErr, RxCrcErr, Collisions])
        {
            w.WriteU64(v);
        }
        w.WriteU32(DurationSec);
        w.WriteU32(DurationNsec);
    }

    internal static PortStatsEntry Read(ref OfpReader r)
    {
        MultipartCodec.NeedFixed(ref r, WireLength, "port stats entry");
        uint port = r.ReadU32("port_no");
        r.Skip(4);
        return new PortStatsEntry
        {
            PortNo = port,
            RxPackets = r.ReadU64(), TxPackets = r.ReadU64(), RxBytes = r.ReadU64(), TxBytes = r.ReadU64(),
            RxDropped = r.ReadU64(), TxDropped = r.ReadU64(), RxErrors = r.ReadU64(), TxErrors = r.ReadU64(),
            RxFrameErr = r.ReadU64(), RxOverErr = r.ReadU64(), RxCrcErr = r.ReadU64(), Collisions = r.ReadU64(),
            DurationSec = r.ReadU32("duration_sec"), DurationNsec = r.ReadU32("duration_nsec"),
        };
    }

    /// <summary>ofputil_format_port_stats: the rx line, the tx line and the duration line (unless all-ones).</summary>
    public void Format(StringBuilder s)
    {
        s.Append("  port ");
        if (PortDescription.Ofp10Port(PortNo) < 10) s.Append(' ');
        s.Append(OfctlFormat.Port(PortNo)).Append(": rx ");
        Stat(s, "pkts=", RxPackets, true);
        Stat(s, "bytes=", RxBytes, true);
        Stat(s, "drop=", RxDropped, true);
        Stat(s, "errs=", RxErrors, true);
        Stat(s, "frame=", RxFrameErr, true);
        Stat(s, "over=", RxOverErr, true);
        Stat(s, "crc=", RxCrcErr, false);
        s.Append("           tx ");
        Stat(s, "pkts=", TxPackets, true);
        Stat(s, "bytes=", TxBytes, true);
        Stat(s, "drop=", TxDropped, true);
        Stat(s, "errs=", TxErrors, true);
        Stat(s, "coll=", Collisions, false);
        if (DurationSec != uint.MaxValue)
        {
            s.Append("           duration=");
            StatsFormat.Duration(s, DurationSec, DurationNsec);
            s.Append('\n');
        }
    }

    private static void Stat(StringBuilder s, string leader, ulong v, bool more) =>
        s.Append(leader).Append(StatsFormat.Counter(v)).Append(more ? ", " : "\n");
}

/// <summary>OFPMP_PORT_STATS reply: packet/byte/error counters per port.</summary>
public sealed record PortStatsReply : MultipartListReply<PortStatsEntry>
{
    public override MultipartType MultipartType => MultipartType.PortStats;
    internal override int EntryLength(PortStatsEntry entry) => PortStatsEntry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, PortStatsEntry entry) => entry.Write(ref w);

    internal static PortStatsReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, PortStatsEntry.Read) };

    /// <summary>ofp_print_ofpst_port_reply: <c> N ports</c> then each port.</summary>
    public override void FormatPart(StringBuilder s)
    {
        s.Append(' ').Append(Entries.Count).Append(" ports\n");
        foreach (var e in Entries) e.Format(s);
    }
}

/// <summary>
/// OFPMP_PORT_DESC reply (OpenFlow 1.3.5 §7.3.5.7): every port of the switch (<c>struct ofp_port ports[]</c>).
/// </summary>
public sealed record PortDescReply : MultipartListReply<PortDescription>
{
    public override MultipartType MultipartType => MultipartType.PortDesc;
    internal override int EntryLength(PortDescription entry) => PortDescription.WireLength;
    internal override void WriteEntry(ref OfpWriter w, PortDescription entry) => entry.Write(ref w);

    internal static PortDescReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, PortDescription.Read) };

    /// <summary>ofputil_phy_ports_format: the ports sorted by (16-bit) port number, so LOCAL comes last.</summary>
    public override void FormatPart(StringBuilder s)
    {
        s.Append('\n');
        foreach (var p in Entries.OrderBy(p => PortDescription.Ofp10Port(p.PortNo) & 0xffff)) p.Format(s);
    }
}
