using System.Text;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>Flow update events (enum onf_flow_update_event).</summary>
public enum FlowUpdateEvent : ushort { Added = 0, Deleted = 1, Modified = 2, Abbrev = 3 }

/// <summary>
/// One entry of an ONFST_FLOW_MONITOR reply. Every entry starts with its length (a multiple of 8)
/// and event.
/// <code>
/// struct onf_flow_update_header { uint16_t length; uint16_t event; };
/// </code>
/// </summary>
public abstract record FlowUpdate
{
    public abstract int WireLength { get; }
    internal abstract void Write(ref OfpWriter w);

    /// <summary>
    /// Reads one entry: its length must be at least 8, a multiple of 8 and inside the body; ADDED /
    /// DELETED / MODIFIED are full updates (at least 24 bytes), ABBREV is exactly 8 bytes, any other
    /// event is kept as sent (OVS refuses it with NXBRC_FM_BAD_EVENT).
    /// </summary>
    internal static FlowUpdate Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < 4)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"flow update header needs 4 bytes, {r.Remaining} left", at, "OFPBRC_BAD_LEN");
        }
        ushort len = r.PeekU16("flow update length");
        ushort ev = r.PeekU16At(2, "flow update event");
        if (len < 8 || len % 8 != 0 || len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"flow update length {len} must be a multiple of 8, at least 8 and within the {r.Remaining} bytes left", at, "OFPBRC_BAD_LEN");
        }
        var e = r.ReadSub(len, "flow update");
        switch ((FlowUpdateEvent)ev)
        {
            case FlowUpdateEvent.Abbrev:
                if (len != 8) throw new OfpProtocolException(OfpErrorKind.BadLength, $"abbreviated flow update length {len} is not 8", at, "OFPBRC_BAD_LEN");
                e.Skip(4);
                return new FlowUpdateAbbrev(e.ReadU32("xid"));
            case FlowUpdateEvent.Added or FlowUpdateEvent.Deleted or FlowUpdateEvent.Modified:
                return FlowUpdateFull.Read(ref e, len, at);
            default:
                return new RawFlowUpdate(new Bytes(e.RestMemory));
        }
    }

    /// <summary>ofputil_flow_update_format for this entry (starts with <c>\n event=</c>).</summary>
    internal abstract void Format(StringBuilder s);
}

/// <summary>
/// ONFFME_ADDED / _DELETED / _MODIFIED: the flow that changed (with its instructions when the
/// monitor asked for actions, never for DELETED).
/// <code>
/// struct onf_flow_update_full {
///     uint16_t length, event;
///     uint16_t reason;            /* OFPRR_* for DELETED, else 0 */
///     uint16_t priority, idle_timeout, hard_timeout;
///     uint16_t match_len;         /* match length, padding excluded */
///     uint8_t table_id; uint8_t pad;
///     uint64_t cookie;
///     /* struct ofp_match (OXM), padded to 8; then instructions to 'length' */
/// };                              /* 24 bytes before the match */
/// </code>
/// </summary>
public sealed record FlowUpdateFull(FlowUpdateEvent Event, byte TableId, ulong Cookie, ushort Priority = 0x8000) : FlowUpdate
{
    public const int FixedLength = 24;

    public ushort Reason { get; init; }
    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public OfpMatch Match { get; init; } = OfpMatch.Any;
    public EquatableArray<OfpInstruction> Instructions { get; init; } = EquatableArray<OfpInstruction>.Empty;

    public override int WireLength => FixedLength + Match.WireLength + OfpInstruction.ListLength(Instructions);

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16(MultipartCodec.Length16(WireLength, "flow update"));
        w.WriteU16((ushort)Event);
        w.WriteU16(Reason);
        w.WriteU16(Priority);
        w.WriteU16(IdleTimeout);
        w.WriteU16(HardTimeout);
        w.WriteU16((ushort)Match.UnpaddedLength);
        w.WriteU8(TableId);
        w.WriteZeros(1);
        w.WriteU64(Cookie);
        Match.Write(ref w);
        OfpInstruction.WriteList(ref w, Instructions);
    }

    internal static FlowUpdateFull Read(ref OfpReader e, int len, int at)
    {
        if (len < FixedLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"flow update length {len} is below {FixedLength}", at, "OFPBRC_BAD_LEN");
        }
        e.Skip(2);
        var ev = (FlowUpdateEvent)e.ReadU16("event");
        ushort reason = e.ReadU16("reason");
        ushort priority = e.ReadU16("priority");
        ushort idle = e.ReadU16("idle_timeout");
        ushort hard = e.ReadU16("hard_timeout");
        ushort matchLen = e.ReadU16("match_len");
        byte table = e.ReadU8("table_id");
        Nicira.NiciraCodec.Zeros(ref e, 1, "flow update padding");
        ulong cookie = e.ReadU64("cookie");
        var match = OfpMatch.Read(ref e);
        CheckMatchLength(matchLen, match, at + 12);
        return new FlowUpdateFull(ev, table, cookie, priority)
        {
            Reason = reason, IdleTimeout = idle, HardTimeout = hard, Match = match,
            Instructions = OfpInstruction.ReadList(ref e, e.Remaining),
        };
    }

    /// <summary>The match_len field must be the length the match itself announces (OVS always writes it so).</summary>
    internal static void CheckMatchLength(ushort matchLen, OfpMatch match, int at)
    {
        if (matchLen != match.UnpaddedLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"match_len {matchLen} disagrees with the {match.UnpaddedLength}-byte match", at);
        }
    }

    /// <summary>
    /// <c>\n event=ADDED table=0 cookie=0x42 udp actions=output:2</c>: <c>DELETED reason=..</c>, idle
    /// and hard timeouts when not 0, the match (OVS leaves the priority out) and the actions when there
    /// are any.
    /// </summary>
    internal override void Format(StringBuilder s)
    {
        s.Append("\n event=");
        switch (Event)
        {
            case FlowUpdateEvent.Added: s.Append("ADDED"); break;
            case FlowUpdateEvent.Modified: s.Append("MODIFIED"); break;
            default:
                s.Append("DELETED reason=").Append(Reason <= byte.MaxValue ? FlowRemoved.ReasonName((FlowRemovedReason)Reason) : Reason.ToString());
                break;
        }
        s.Append(" table=").Append(OfctlFormat.Table(TableId));
        if (IdleTimeout != 0) s.Append(" idle_timeout=").Append(IdleTimeout);
        if (HardTimeout != 0) s.Append(" hard_timeout=").Append(HardTimeout);
        s.Append(" cookie=").Append(OfctlFormat.AltHex(Cookie)).Append(' ');
        MatchFormatter.Format(s, Match, MatchFormatter.DefaultPriority);
        bool anyActions = false;
        foreach (var i in Instructions)
        {
            if (i is not ApplyActionsInstruction { Actions.IsEmpty: true }) anyActions = true;
        }
        if (anyActions)
        {
            if (s[^1] != ' ') s.Append(' ');
            s.Append("actions=");
            OfpInstruction.FormatList(s, Instructions);
        }
    }
}

/// <summary>
/// ONFFME_ABBREV: a change caused by this controller's own flow mod, identified by its xid.
/// <code>
/// struct onf_flow_update_abbrev { uint16_t length /* 8 */; uint16_t event /* 3 */; uint32_t xid; };
/// </code>
/// </summary>
public sealed record FlowUpdateAbbrev(uint Xid) : FlowUpdate
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16(8);
        w.WriteU16((ushort)FlowUpdateEvent.Abbrev);
        w.WriteU32(Xid);
    }

    internal override void Format(StringBuilder s) => s.Append("\n event=ABBREV xid=0x").Append(Xid.ToString("x"));
}

/// <summary>An entry with an event OVS does not know; the whole entry as sent.</summary>
public sealed record RawFlowUpdate(Bytes Entry) : FlowUpdate
{
    public override int WireLength => Entry.Length;
    internal override void Write(ref OfpWriter w) => w.WriteBytes(Entry.Span);
    internal override void Format(StringBuilder s) { }
}

/// <summary>
/// ONFST_FLOW_MONITOR reply: the initial flows (as ADDED events, in a reply with the request's xid)
/// and later changes (xid 0).
/// </summary>
public sealed record FlowMonitorReply : MultipartListReply<FlowUpdate>
{
    public override MultipartType MultipartType => MultipartType.Experimenter;
    public override string OvsName => "ONFST_FLOW_MONITOR reply";

    internal override int EntriesPrefixLength => 8;
    internal override void WriteEntriesPrefix(ref OfpWriter w) => FlowMonitor.WriteHeader(ref w);
    internal override int EntryLength(FlowUpdate entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, FlowUpdate entry) => entry.Write(ref w);

    internal static FlowMonitorReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, FlowUpdate.Read) };

    /// <summary>One <c>event=</c> line per entry; at an entry with an unknown event OVS stops with NXBRC_FM_BAD_EVENT.</summary>
    public override void FormatPart(StringBuilder s)
    {
        int start = MultipartText.PartStart(s, this);
        foreach (var e in Entries)
        {
            if (e is RawFlowUpdate)
            {
                OfpPrinter.DecodeError(s, start, this, "NXBRC_FM_BAD_EVENT");
                return;
            }
            e.Format(s);
        }
    }
}
