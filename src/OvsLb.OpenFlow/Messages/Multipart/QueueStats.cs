using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>
/// OFPMP_QUEUE request (OpenFlow 1.3.5 §7.3.5.6): counters of one queue or all queues
/// (OFPQ_ALL) of one port or all ports (OFPP_ANY).
/// <code>
/// struct ofp_queue_stats_request {
///     uint32_t port_no;      /* OFPP_ANY: all ports */
///     uint32_t queue_id;     /* OFPQ_ALL (0xffffffff): all queues */
/// };                         /* 8 bytes */
/// </code>
/// </summary>
public sealed record QueueStatsRequest(uint PortNo = OfctlFormat.Ports.Any, uint QueueId = QueueStatsRequest.AllQueues) : MultipartRequest
{
    public const uint AllQueues = 0xffffffff;

    public override MultipartType MultipartType => MultipartType.Queue;
    internal override int PartLength => 8;

    internal override void WritePart(ref OfpWriter w)
    {
        w.WriteU32(PortNo);
        w.WriteU32(QueueId);
    }

    internal static QueueStatsRequest Read(ref OfpReader r) => new(r.ReadU32("port_no"), r.ReadU32("queue_id"));

    /// <summary>ofputil_queue_stats_request_format: <c> port=ANY queue=ALL</c>.</summary>
    public override void FormatPart(StringBuilder s)
    {
        if (!OfpPrinter.IsOvsPort(PortNo))
        {
            OfpPrinter.DecodeError(s, MultipartText.PartStart(s, this), this, "OFPBAC_BAD_OUT_PORT");
            return;
        }
        s.Append(" port=").Append(OfctlFormat.Port(PortNo)).Append(" queue=");
        QueueName(s, QueueId);
    }

    /// <summary>ofp_print_queue_name: <c>ALL</c> for OFPQ_ALL, else the number.</summary>
    internal static void QueueName(StringBuilder s, uint queue)
    {
        if (queue == AllQueues) s.Append("ALL");
        else s.Append(queue);
    }
}

/// <summary>
/// One queue's counters in an OFPMP_QUEUE reply (OpenFlow 1.3.5 §7.3.5.6). All-ones counters and
/// duration mean "not available" (OVS prints <c>?</c>; OVS 3.1 itself reports all-ones).
/// <code>
/// struct ofp_queue_stats {
///     uint32_t port_no;
///     uint32_t queue_id;
///     uint64_t tx_bytes, tx_packets, tx_errors;
///     uint32_t duration_sec, duration_nsec;
/// };                         /* 40 bytes */
/// </code>
/// </summary>
public sealed record QueueStatsEntry(uint PortNo, uint QueueId, ulong TxBytes, ulong TxPackets, ulong TxErrors,
    uint DurationSec = uint.MaxValue, uint DurationNsec = uint.MaxValue)
{
    public const int WireLength = 40;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(PortNo);
        w.WriteU32(QueueId);
        w.WriteU64(TxBytes);
        w.WriteU64(TxPackets);
        w.WriteU64(TxErrors);
        w.WriteU32(DurationSec);
        w.WriteU32(DurationNsec);
    }

    internal static QueueStatsEntry Read(ref OfpReader r)
    {
        MultipartCodec.NeedFixed(ref r, WireLength, "queue stats entry");
        return new QueueStatsEntry(r.ReadU32("port_no"), r.ReadU32("queue_id"), r.ReadU64("tx_bytes"), r.ReadU64("tx_packets"),
            r.ReadU64("tx_errors"), r.ReadU32("duration_sec"), r.ReadU32("duration_nsec"));
    }

    /// <summary><c>  port 1 queue 0: bytes=?, pkts=?, errors=?, duration=?</c> (one line).</summary>
    internal void Format(StringBuilder s)
    {
        s.Append("  port ").Append(OfctlFormat.Port(PortNo)).Append(" queue ");
        QueueStatsRequest.QueueName(s, QueueId);
        s.Append(": bytes=").Append(StatsFormat.Counter(TxBytes));
        s.Append(", pkts=").Append(StatsFormat.Counter(TxPackets));
        s.Append(", errors=").Append(StatsFormat.Counter(TxErrors));
        s.Append(", duration=");
        if (DurationSec != uint.MaxValue) StatsFormat.Duration(s, DurationSec, DurationNsec);
        else s.Append('?');
        s.Append('\n');
    }
}

/// <summary>OFPMP_QUEUE reply: counters per (port, queue).</summary>
public sealed record QueueStatsReply : MultipartListReply<QueueStatsEntry>
{
    public override MultipartType MultipartType => MultipartType.Queue;
    internal override int EntryLength(QueueStatsEntry entry) => QueueStatsEntry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, QueueStatsEntry entry) => entry.Write(ref w);

    internal static QueueStatsReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, QueueStatsEntry.Read) };

    /// <summary>
    /// ofputil_queue_stats_reply_format: <c> 3 queues</c> then one line per queue. OVS stops at the
    /// first entry whose port it rejects (0xff00..0xfffffeff): the count and the lines cover the
    /// entries before it, then the decode error follows.
    /// </summary>
    public override void FormatPart(StringBuilder s)
    {
        int bodyStart = MultipartText.PartStart(s, this);
        int good = 0;
        while (good < Entries.Count && OfpPrinter.IsOvsPort(Entries[good].PortNo)) good++;
        s.Append(' ').Append(good).Append(" queues\n");
        for (int i = 0; i < good; i++) Entries[i].Format(s);
        if (good < Entries.Count) OfpPrinter.DecodeError(s, bodyStart, this, "OFPBAC_BAD_OUT_PORT");
    }
}
