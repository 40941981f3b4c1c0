using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Bundles;

/// <summary>
/// ONFT_BUNDLE_CONTROL (ONF extension 230 for OpenFlow 1.3; OpenFlow 1.4.1 §7.3.9.1): opens, closes,
/// commits or discards a bundle, and the switch's reply to each. The reconciler commits a whole
/// desired-state diff (flows and groups) as one atomic bundle so the data plane never sees half of it.
/// <code>
/// struct onf_bundle_control {            /* OFPT_EXPERIMENTER, 24 bytes + properties */
///     struct ofp_header header;
///     uint32_t experimenter;             /* 0x4F4E4600 */
///     uint32_t exp_type;                 /* 2300 */
///     uint32_t bundle_id;
///     uint16_t type;                     /* OFPBCT_* */
///     uint16_t flags;                    /* OFPBF_* */
///     struct ofp_bundle_prop_header properties[]; /* each padded to 8 */
/// };
/// </code>
/// </summary>
public sealed record BundleControl(uint BundleId, BundleControlType ControlType, BundleFlags Flags, Bytes Properties) : OfpMessage
{
    public BundleControl(uint bundleId, BundleControlType controlType, BundleFlags flags = BundleFlags.None)
        : this(bundleId, controlType, flags, Bytes.Empty) { }

    public static BundleControl Open(uint bundleId, BundleFlags flags = BundleFlags.Atomic | BundleFlags.Ordered, uint xid = 0) =>
        new(bundleId, BundleControlType.OpenRequest, flags) { Xid = xid };

    public static BundleControl Close(uint bundleId, BundleFlags flags = BundleFlags.Atomic | BundleFlags.Ordered, uint xid = 0) =>
        new(bundleId, BundleControlType.CloseRequest, flags) { Xid = xid };

    public static BundleControl Commit(uint bundleId, BundleFlags flags = BundleFlags.Atomic | BundleFlags.Ordered, uint xid = 0) =>
        new(bundleId, BundleControlType.CommitRequest, flags) { Xid = xid };

    public static BundleControl Discard(uint bundleId, BundleFlags flags = BundleFlags.Atomic | BundleFlags.Ordered, uint xid = 0) =>
        new(bundleId, BundleControlType.DiscardRequest, flags) { Xid = xid };

    /// <summary>True for the four *_REPLY types a switch sends back.</summary>
    public bool IsReply => ((ushort)ControlType & 1) == 1 && ControlType <= BundleControlType.DiscardReply;

    public override OfpType Type => OfpType.Experimenter;
    public override string OvsName => "ONFT_BUNDLE_CONTROL";
    public override int BodyLength => 16 + Properties.Length;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(Bundle.OnfExperimenter);
        w.WriteU32(Bundle.ControlExpType);
        w.WriteU32(BundleId);
        w.WriteU16((ushort)ControlType);
        w.WriteU16((ushort)Flags);
        w.WriteBytes(Properties.Span);
    }

    /// <summary>Reads the body after the experimenter header (experimenter and exp_type already consumed).</summary>
    internal static BundleControl Read(ref OfpReader r)
    {
        uint id = r.ReadU32("bundle_id");
        var type = (BundleControlType)r.ReadU16("bundle control type");
        var flags = (BundleFlags)r.ReadU16("bundle flags");
        var props = Bundle.ReadProperties(ref r, "bundle control");
        return new BundleControl(id, type, flags, props);
    }

    /// <summary>ofputil_format_bundle_ctrl_request: <c>\n bundle_id=0x1 type=OPEN_REQUEST flags=atomic ordered</c>.</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append("\n bundle_id=");
        Bundle.FormatId(s, BundleId);
        s.Append(" type=").Append(ControlType switch
        {
            BundleControlType.OpenRequest => "OPEN_REQUEST",
            BundleControlType.OpenReply => "OPEN_REPLY",
            BundleControlType.CloseRequest => "CLOSE_REQUEST",
            BundleControlType.CloseReply => "CLOSE_REPLY",
            BundleControlType.CommitRequest => "COMMIT_REQUEST",
            BundleControlType.CommitReply => "COMMIT_REPLY",
            BundleControlType.DiscardRequest => "DISCARD_REQUEST",
            BundleControlType.DiscardReply => "DISCARD_REPLY",
            _ => "",
        });
        s.Append(" flags=");
        Bundle.FormatFlags(s, Flags);
    }
}
