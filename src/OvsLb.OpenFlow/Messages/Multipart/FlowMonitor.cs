using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>
/// Flow monitor flags (enum onf_flow_monitor_flags, same bits as Nicira's NXFMF_*): when to report
/// (INITIAL, ADD, DELETE, MODIFY) and what to include (ACTIONS, OWN changes in full).
/// </summary>
[Flags]
public enum FlowMonitorFlags : ushort
{
    None = 0,
    Initial = 1 << 0,
    Add = 1 << 1,
    Delete = 1 << 2,
    Modify = 1 << 3,
    Actions = 1 << 4,
    Own = 1 << 5,
    All = Initial | Add | Delete | Modify | Actions | Own,
}

/// <summary>
/// The ONF flow-monitor extension OVS speaks in OpenFlow 1.3 (ONF EXT-187 as Open vSwitch implements
/// it in lib/ofp-monitor.c): an OFPMP_EXPERIMENTER multipart with experimenter 0x4F4E4600 and
/// exp_type 1870 (ONFST_FLOW_MONITOR); ONFT_FLOW_MONITOR_CANCEL / _PAUSED / _RESUMED are
/// OFPT_EXPERIMENTER messages with exp_types 1870 / 1871 / 1872.
/// <code>
/// struct ofp_experimenter_multipart_header { uint32_t experimenter; uint32_t exp_type; };  /* after the multipart header */
/// </code>
/// </summary>
public static class FlowMonitor
{
    public const uint MonitorExpType = 1870;
    public const uint PausedExpType = 1871;
    public const uint ResumedExpType = 1872;

    /// <summary>Reads an OFPMP_EXPERIMENTER request body: the ONF flow monitor request, else kept raw.</summary>
    internal static MultipartRequest ReadRequest(ref OfpReader r)
    {
        if (IsMonitor(in r))
        {
            r.Skip(8);
            return FlowMonitorRequest.Read(ref r);
        }
        return new RawMultipartRequest(MultipartType.Experimenter, new Bytes(r.ReadMemory(r.Remaining)));
    }

    /// <summary>Reads an OFPMP_EXPERIMENTER reply body: the ONF flow monitor reply, else kept raw.</summary>
    internal static MultipartReply ReadReply(ref OfpReader r)
    {
        if (IsMonitor(in r))
        {
            r.Skip(8);
            return FlowMonitorReply.Read(ref r);
        }
        return new RawMultipartReply(MultipartType.Experimenter, new Bytes(r.ReadMemory(r.Remaining)));
    }

    /// <summary>The ONFT_FLOW_MONITOR_* message for an ONF exp_type, or null (nothing read) for another.</summary>
    internal static OfpMessage? TryReadMessage(uint expType, ref OfpReader r) => expType switch
    {
        MonitorExpType => FlowMonitorCancel.Read(ref r),
        PausedExpType => new FlowMonitorPaused(false),
        ResumedExpType => new FlowMonitorPaused(true),
        _ => null,
    };

    private static bool IsMonitor(in OfpReader r) =>
        r.Remaining >= 8 && r.PeekU32At(0) == ActionCodec.OnfVendor && r.PeekU32At(4) == MonitorExpType;

    internal static void WriteHeader(ref OfpWriter w)
    {
        w.WriteU32(ActionCodec.OnfVendor);
        w.WriteU32(MonitorExpType);
    }

    /// <summary>ofp_print_bit_names over OVS's OFPFMF_* names (<c>initial,add,delete,modify,actions,own</c>).</summary>
    internal static void FormatFlags(StringBuilder s, FlowMonitorFlags flags) =>
        StatsFormat.BitNames(s, (ushort)flags, bit => bit switch
        {
            0 => "initial",
            1 => "add",
            2 => "delete",
            3 => "modify",
            4 => "actions",
            5 => "own",
            _ => null,
        }, ',');
}

/// <summary>
/// One monitor in an ONFST_FLOW_MONITOR request: report changes to flows in <see cref="TableId"/>
/// (0xff: all) that output to <see cref="OutPort"/> (OFPP_ANY: any) and match <see cref="Match"/>.
/// <code>
/// struct onf_flow_monitor_request {
///     uint32_t id;           /* controller-assigned monitor id */
///     uint16_t flags;        /* ONFFMF_* */
///     uint16_t match_len;    /* length of the match, padding excluded */
///     uint32_t out_port;     /* OFPP_ANY: no restriction */
///     uint8_t table_id;      /* 0xff: all tables */
///     uint8_t zeros[3];      /* must be zero */
///     /* struct ofp_match (OXM), padded to 8 */
/// };                         /* 16 bytes before the match */
/// </code>
/// </summary>
public sealed record FlowMonitorEntry(uint Id, FlowMonitorFlags Flags, uint OutPort = OfctlFormat.Ports.Any, byte TableId = 0xff)
{
    public const int FixedLength = 16;

    public OfpMatch Match { get; init; } = OfpMatch.Any;

    public int WireLength => FixedLength + Match.WireLength;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(Id);
        w.WriteU16((ushort)Flags);
        w.WriteU16((ushort)Match.UnpaddedLength);
        w.WriteU32(OutPort);
        w.WriteU8(TableId);
        w.WriteZeros(3);
        Match.Write(ref w);
    }

    /// <summary>Reads one monitor; the zero bytes must be zero (NXBRC_MUST_BE_ZERO) and match_len must be the match's length.</summary>
    internal static FlowMonitorEntry Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < FixedLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"flow monitor request needs {FixedLength} bytes, {r.Remaining} left", at, "OFPBRC_BAD_LEN");
        }
        uint id = r.ReadU32("monitor id");
        var flags = (FlowMonitorFlags)r.ReadU16("monitor flags");
        ushort matchLen = r.ReadU16("match_len");
        uint outPort = r.ReadU32("out_port");
        byte table = r.ReadU8("table_id");
        Nicira.NiciraCodec.Zeros(ref r, 3, "flow monitor request zeros");
        var match = OfpMatch.Read(ref r);
        FlowUpdateFull.CheckMatchLength(matchLen, match, at + 6);
        return new FlowMonitorEntry(id, flags, outPort, table) { Match = match };
    }

    /// <summary>
    /// The OVS error for this monitor (ofputil_decode_flow_monitor_request): flags without any of
    /// add/delete/modify or with unknown bits (OFPMOFC_BAD_FLAGS), a port OVS cannot represent.
    /// </summary>
    internal string? OvsError()
    {
        if ((Flags & (FlowMonitorFlags.Add | FlowMonitorFlags.Delete | FlowMonitorFlags.Modify)) == 0 || (Flags & ~FlowMonitorFlags.All) != 0)
        {
            return "OFPMOFC_BAD_FLAGS";
        }
        return OfpPrinter.IsOvsPort(OutPort) ? null : "OFPBAC_BAD_OUT_PORT";
    }

    /// <summary>
    /// ofputil_flow_monitor_request_format: <c>\n id=0 flags=initial,add</c>, <c> out_port=N</c> unless
    /// ANY, <c> table=N</c> unless all, then the match.
    /// </summary>
    internal void Format(StringBuilder s)
    {
        s.Append("\n id=").Append(Id).Append(" flags=");
        FlowMonitor.FormatFlags(s, Flags);
        if (OutPort != OfctlFormat.Ports.Any) s.Append(" out_port=").Append(OfctlFormat.Port(OutPort));
        if (TableId != 0xff) s.Append(" table=").Append(OfctlFormat.Table(TableId));
        s.Append(' ');
        MatchFormatter.Format(s, Match, MatchFormatter.DefaultPriority);
        if (s[^1] == ' ') s.Length--;
    }
}

/// <summary>ONFST_FLOW_MONITOR request: start the listed monitors (OVS sends one per request).</summary>
public sealed record FlowMonitorRequest(EquatableArray<FlowMonitorEntry> Monitors) : MultipartRequest
{
    public override MultipartType MultipartType => MultipartType.Experimenter;
    public override string OvsName => "ONFST_FLOW_MONITOR request";

    internal override int PartLength
    {
        get
        {
            int n = 8;
            foreach (var m in Monitors) n += m.WireLength;
            return n;
        }
    }

    internal override void WritePart(ref OfpWriter w)
    {
        FlowMonitor.WriteHeader(ref w);
        foreach (var m in Monitors) m.Write(ref w);
    }

    internal static FlowMonitorRequest Read(ref OfpReader r) => new(MultipartCodec.ReadAll(ref r, FlowMonitorEntry.Read));

    /// <summary>Each monitor on its own line; OVS stops at the first it refuses and reports the error.</summary>
    public override void FormatPart(StringBuilder s)
    {
        int start = MultipartText.PartStart(s, this);
        foreach (var m in Monitors)
        {
            if (m.OvsError() is { } error)
            {
                OfpPrinter.DecodeError(s, start, this, error);
                return;
            }
            m.Format(s);
        }
    }
}

/// <summary>
/// ONFT_FLOW_MONITOR_CANCEL: stops the monitor with this id.
/// <code>
/// struct nx_flow_monitor_cancel { uint32_t id; };   /* after the 16-byte ONF header */
/// </code>
/// </summary>
public sealed record FlowMonitorCancel(uint Id) : OfpMessage
{
    public override OfpType Type => OfpType.Experimenter;
    public override string OvsName => "ONFT_FLOW_MONITOR_CANCEL";
    public override int BodyLength => 12;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(ActionCodec.OnfVendor);
        w.WriteU32(FlowMonitor.MonitorExpType);
        w.WriteU32(Id);
    }

    internal static FlowMonitorCancel Read(ref OfpReader r) => new(r.ReadU32("monitor id"));

    /// <summary>ofp_print_nxt_flow_monitor_cancel: <c> id=3</c>.</summary>
    public override void FormatBody(StringBuilder s) => s.Append(" id=").Append(Id);
}

/// <summary>
/// ONFT_FLOW_MONITOR_PAUSED / _RESUMED (no body): the switch stopped sending updates because the
/// controller fell behind, and later resumed.
/// </summary>
public sealed record FlowMonitorPaused(bool Resumed) : OfpMessage
{
    public override OfpType Type => OfpType.Experimenter;
    public override string OvsName => Resumed ? "ONFT_FLOW_MONITOR_RESUMED" : "ONFT_FLOW_MONITOR_PAUSED";
    public override int BodyLength => 8;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(ActionCodec.OnfVendor);
        w.WriteU32(Resumed ? FlowMonitor.ResumedExpType : FlowMonitor.PausedExpType);
    }

    public override void FormatBody(StringBuilder s) { }
}
