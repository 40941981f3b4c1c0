using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Bundles;

/// <summary>
/// ONFT_BUNDLE_ADD_MESSAGE (ONF extension 230 for OpenFlow 1.3; OpenFlow 1.4.1 §7.3.9.6): adds one
/// complete message (FLOW_MOD, GROUP_MOD, PORT_MOD, PACKET_OUT...) to an open bundle.
/// The embedded message's xid must equal this message's xid (the switch answers OFPBFC_MSG_BAD_XID
/// otherwise); <see cref="Wrap"/> keeps them equal, and a decoded message keeps both xids exactly as
/// received so it re-encodes byte-identically.
/// <code>
/// struct onf_bundle_add_msg {            /* OFPT_EXPERIMENTER */
///     struct ofp_header header;
///     uint32_t experimenter;             /* 0x4F4E4600 */
///     uint32_t exp_type;                 /* 2301 */
///     uint32_t bundle_id;
///     uint16_t type;                     /* unused: 0 */
///     uint16_t flags;                    /* OFPBF_* */
///     struct ofp_header message;         /* the whole message, its length from its own header */
///     /* Only if properties follow: 0-7 zero bytes to align on 8, then properties. */
/// };
/// </code>
/// </summary>
public sealed record BundleAdd(uint BundleId, BundleFlags Flags, OfpMessage Message, Bytes Properties) : OfpMessage
{
    /// <summary>Bundles <paramref name="message"/> into <paramref name="bundleId"/>; the outer xid is the message's xid.</summary>
    public static BundleAdd Wrap(uint bundleId, OfpMessage message, BundleFlags flags = BundleFlags.Atomic | BundleFlags.Ordered) =>
        new(bundleId, flags, message, Bytes.Empty) { Xid = message.Xid };

    /// <summary>The "type" word of ofp14_bundle_ctrl_msg, unused in an add; kept as received.</summary>
    public ushort UnusedType { get; init; }

    /// <summary>True when the embedded message carries the outer xid, as the specification requires.</summary>
    public bool XidsMatch => Message.Xid == Xid;

    private int PaddingLength => Properties.IsEmpty ? 0 : Pad.To8(Message.WireLength) - Message.WireLength;

    public override OfpType Type => OfpType.Experimenter;
    public override string OvsName => "ONFT_BUNDLE_ADD_MESSAGE";
    public override int BodyLength => 16 + Message.WireLength + PaddingLength + Properties.Length;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(Bundle.OnfExperimenter);
        w.WriteU32(Bundle.AddMessageExpType);
        w.WriteU32(BundleId);
        w.WriteU16(UnusedType);
        w.WriteU16((ushort)Flags);
        w.WriteU8(Message.Version);
        w.WriteU8((byte)Message.Type);
        w.WriteU16((ushort)Message.WireLength);
        w.WriteU32(Message.Xid);
        Message.WriteBody(ref w);
        w.WriteZeros(PaddingLength);
        w.WriteBytes(Properties.Span);
    }

    /// <summary>Reads the body after the experimenter header (experimenter and exp_type already consumed).</summary>
    internal static BundleAdd Read(ref OfpReader r)
    {
        uint id = r.ReadU32("bundle_id");
        ushort unused = r.ReadU16("bundle add type");
        var flags = (BundleFlags)r.ReadU16("bundle flags");
        int at = r.AbsolutePosition;
        if (r.Remaining < HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"bundle add has {r.Remaining} bytes for the embedded message, less than its 8-byte header", at, "OFPBFC_MSG_BAD_LEN");
        }
        byte version = r.Rest[0];
        ushort innerLen = r.PeekU16At(2, "embedded message length");
        if (version != Version13)
        {
            throw new OfpProtocolException(OfpErrorKind.BadVersion, $"embedded message version 0x{version:x2} differs from the bundle's 0x04", at, "OFPBFC_BAD_VERSION");
        }
        if (innerLen < HeaderLength || innerLen > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"embedded message length {innerLen} does not fit the {r.Remaining} bytes after the bundle header", at + 2, "OFPBFC_MSG_BAD_LEN");
        }
        byte innerType = r.Rest[1];
        if (innerType == (byte)OfpType.Experimenter && innerLen >= 16 && r.PeekU32At(8) == Bundle.OnfExperimenter
            && r.PeekU32At(12) is Bundle.ControlExpType or Bundle.AddMessageExpType)
        {
            throw new OfpProtocolException(OfpErrorKind.BadType, "a bundle message cannot be added to a bundle", at, "OFPBFC_MSG_UNSUP");
        }
        var bytes = r.ReadMemory(innerLen, "embedded message");
        OfpMessage inner;
        try
        {
            inner = OfpDecoder.Decode(bytes);
        }
        catch (OfpProtocolException e)
        {
            // OVS refuses an embedded message it cannot even identify with OFPBFC_MSG_UNSUP.
            string? name = Text.OfpRawNames.Identify(bytes.Span, out _) is null ? "OFPBFC_MSG_UNSUP" : e.ErrorName;
            int cut = e.Offset >= 0 ? e.Message.LastIndexOf(" (at byte ", StringComparison.Ordinal) : -1;
            string what = cut >= 0 ? e.Message[..cut] : e.Message;
            throw new OfpProtocolException(e.Kind, $"embedded message: {what}", at + Math.Max(e.Offset, 0), name);
        }
        var props = Bytes.Empty;
        if (!r.End)
        {
            int pad = Pad.To8(innerLen) - innerLen;
            var padding = r.ReadMemory(pad, "padding before bundle properties").Span;
            if (padding.IndexOfAnyExcept((byte)0) >= 0)
            {
                throw new OfpProtocolException(OfpErrorKind.BadValue, "nonzero padding between the embedded message and the bundle properties", r.AbsolutePosition - pad);
            }
            if (r.End)
            {
                throw new OfpProtocolException(OfpErrorKind.BadLength, $"{pad} bytes of padding after the embedded message but no property", r.AbsolutePosition);
            }
            props = Bundle.ReadProperties(ref r, "bundle add");
        }
        return new BundleAdd(id, flags, inner, props) { UnusedType = unused };
    }

    /// <summary>
    /// The bundle error OVS answers for this message before opening the bundle, or null
    /// (ofputil_decode_bundle_add): OFPBFC_MSG_BAD_XID when the xids differ, OFPBFC_MSG_UNSUP for a
    /// message OVS does not bundle (anything but FLOW_MOD, GROUP_MOD, PORT_MOD and PACKET_OUT).
    /// </summary>
    public string? CheckError() =>
        !XidsMatch ? "OFPBFC_MSG_BAD_XID"
        : Message.Type is OfpType.FlowMod or OfpType.GroupMod or OfpType.PortMod or OfpType.PacketOut ? null
        : "OFPBFC_MSG_UNSUP";

    /// <summary>
    /// ofputil_format_bundle_add: <c>\n bundle_id=0 flags=atomic\n</c> then the embedded message as
    /// ofp-print shows it; a message OVS refuses to decode (<see cref="CheckError"/>) prints as its decode error.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (CheckError() is { } error)
        {
            OfpPrinter.DecodeError(s, this, error);
            return;
        }
        s.Append("\n bundle_id=");
        Bundle.FormatId(s, BundleId);
        s.Append(" flags=");
        Bundle.FormatFlags(s, Flags);
        s.Append('\n').Append(OfpPrinter.Print(Message)).Append('\n');
    }
}
