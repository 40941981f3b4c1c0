using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

public enum FlowRemovedReason : byte
{
    IdleTimeout = 0, HardTimeout = 1, Delete = 2, GroupDelete = 3, MeterDelete = 4, Eviction = 5,
}

/// <summary>
/// OFPT_FLOW_REMOVED (OpenFlow 1.3.5 §7.4.2): a flow installed with send_flow_rem expired or was
/// deleted; carries its final counters. The controller uses it to notice flows that timed out
/// (e.g. learned session flows) without polling.
/// <code>
/// struct ofp_flow_removed {
///     struct ofp_header header;
///     uint64_t cookie;
///     uint16_t priority;
///     uint8_t reason;                 /* enum ofp_flow_removed_reason */
///     uint8_t table_id;
///     uint32_t duration_sec, duration_nsec;
///     uint16_t idle_timeout, hard_timeout;
///     uint64_t packet_count, byte_count;
///     struct ofp_match match;         /* padded to 8 */
/// };                                  /* 48 bytes before the match, with the header */
/// </code>
/// </summary>
public sealed record FlowRemoved : OfpMessage
{
    public ulong Cookie { get; init; }
    public ushort Priority { get; init; }
    public FlowRemovedReason Reason { get; init; }
    public byte TableId { get; init; }
    public uint DurationSec { get; init; }
    public uint DurationNsec { get; init; }
    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public ulong PacketCount { get; init; }
    public ulong ByteCount { get; init; }
    public OfpMatch Match { get; init; } = OfpMatch.Any;

    public override OfpType Type => OfpType.FlowRemoved;
    public override string OvsName => "OFPT_FLOW_REMOVED";
    public override int BodyLength => 40 + Match.WireLength;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU64(Cookie);
        w.WriteU16(Priority);
        w.WriteU8((byte)Reason);
        w.WriteU8(TableId);
        w.WriteU32(DurationSec);
        w.WriteU32(DurationNsec);
        w.WriteU16(IdleTimeout);
        w.WriteU16(HardTimeout);
        w.WriteU64(PacketCount);
        w.WriteU64(ByteCount);
        Match.Write(ref w);
    }

    internal static FlowRemoved Read(ref OfpReader r)
    {
        return new FlowRemoved
        {
            Cookie = r.ReadU64("cookie"),
            Priority = r.ReadU16("priority"),
            Reason = (FlowRemovedReason)r.ReadU8("reason"),
            TableId = r.ReadU8("table_id"),
            DurationSec = r.ReadU32("duration_sec"),
            DurationNsec = r.ReadU32("duration_nsec"),
            IdleTimeout = r.ReadU16("idle_timeout"),
            HardTimeout = r.ReadU16("hard_timeout"),
            PacketCount = r.ReadU64("packet_count"),
            ByteCount = r.ReadU64("byte_count"),
            Match = OfpMatch.Read(ref r),
        };
    }

    /// <summary>ofp_flow_removed_reason_to_string.</summary>
    public static string ReasonName(FlowRemovedReason reason) => reason switch
    {
        FlowRemovedReason.IdleTimeout => "idle",
        FlowRemovedReason.HardTimeout => "hard",
        FlowRemovedReason.Delete => "delete",
        FlowRemovedReason.GroupDelete => "group_delete",
        FlowRemovedReason.Eviction => "eviction",
        FlowRemovedReason.MeterDelete => "meter_delete",
        _ => ((byte)reason).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// ofputil_flow_removed_format: <c> priority=123,ip reason=delete table_id=0 cookie:0x77
    /// duration2.345s idle0 pkts1 bytes118</c> (hard only when non-zero, cookie only when non-zero).
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (Match.CheckError() is { } error)
        {
            // ofputil_decode_flow_removed decodes the match strictly (OXM prerequisites etc.).
            OfpPrinter.DecodeError(s, this, error.Name);
            return;
        }
        s.Append(' ');
        MatchFormatter.Format(s, Match, Priority);
        s.Append(" reason=").Append(ReasonName(Reason));
        if (TableId != 255) s.Append(" table_id=").Append(TableId);
        if (Cookie != 0) s.Append(" cookie:0x").Append(Cookie.ToString("x"));
        s.Append(" duration");
        StatsFormat.Duration(s, DurationSec, DurationNsec);
        s.Append(" idle").Append(IdleTimeout);
        if (HardTimeout != 0) s.Append(" hard").Append(HardTimeout);
        s.Append(" pkts").Append(PacketCount).Append(" bytes").Append(ByteCount).Append('\n');
    }
}
