using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Bundles;

/// <summary>Bundle control message types (OpenFlow 1.4.1 §7.3.9.1, enum ofp_bundle_ctrl_type; u16).</summary>
public enum BundleControlType : ushort
{
    OpenRequest = 0,
    OpenReply = 1,
    CloseRequest = 2,
    CloseReply = 3,
    CommitRequest = 4,
    CommitReply = 5,
    DiscardRequest = 6,
    DiscardReply = 7,
}

/// <summary>Bundle flags (enum ofp_bundle_flags; u16). Unknown bits are kept.</summary>
[Flags]
public enum BundleFlags : ushort
{
    None = 0,
    /// <summary>OFPBF_ATOMIC: all of the bundle or none of it is applied.</summary>
    Atomic = 1,
    /// <summary>OFPBF_ORDERED: messages are applied in the order they were added.</summary>
    Ordered = 2,
}

/// <summary>
/// Shared pieces of the ONF bundle extension for OpenFlow 1.3 (ONF EXT-230, as Open vSwitch implements
/// it in lib/ofp-bundle.c): OFPT_EXPERIMENTER with experimenter 0x4F4E4600 and exp_type 2300
/// (BUNDLE_CONTROL) or 2301 (BUNDLE_ADD_MESSAGE), each starting with the OpenFlow 1.4 body
/// <code>
/// struct ofp14_bundle_ctrl_msg {
///     uint32_t bundle_id;
///     uint16_t type;     /* OFPBCT_*; unused in BUNDLE_ADD_MESSAGE */
///     uint16_t flags;    /* OFPBF_* */
/// };                     /* 8 bytes, followed by (add only) the message, then properties */
/// </code>
/// </summary>
public static class Bundle
{
    /// <summary>ONF experimenter id ("ONF\0").</summary>
    public const uint OnfExperimenter = 0x4F4E4600;
    public const uint ControlExpType = 2300;
    public const uint AddMessageExpType = 2301;

    /// <summary>ofp_print_bit_names with ' ': "0", "atomic", "atomic ordered", unknown bits as "0x..".</summary>
    internal static void FormatFlags(StringBuilder s, BundleFlags flags)
    {
        uint bits = (ushort)flags;
        if (bits == 0)
        {
            s.Append('0');
            return;
        }
        int n = 0;
        if ((bits & 1) != 0) { s.Append("atomic"); n++; }
        if ((bits & 2) != 0) { if (n++ > 0) s.Append(' '); s.Append("ordered"); }
        bits &= ~3u;
        if (bits != 0)
        {
            if (n > 0) s.Append(' ');
            s.Append("0x").Append(bits.ToString("x"));
        }
    }

    /// <summary>C's "%#x" for the bundle id: "0" for zero, else "0x..".</summary>
    internal static void FormatId(StringBuilder s, uint id) =>
        s.Append(id == 0 ? "0" : "0x" + id.ToString("x"));

    /// <summary>
    /// Checks a bundle property list (struct ofp_bundle_prop_header { uint16_t type; uint16_t length; },
    /// each padded to 8) and returns it unparsed: OVS defines no bundle property for OpenFlow 1.3,
    /// so they are kept as bytes and re-encoded as received.
    /// </summary>
    internal static Bytes ReadProperties(ref OfpReader r, string owner)
    {
        int start = r.AbsolutePosition;
        if (r.Remaining % 8 != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{owner} properties are {r.Remaining} bytes, not a multiple of 8", start);
        }
        var all = r.RestMemory;
        var p = new OfpReader(all, start);
        while (!p.End)
        {
            int at = p.AbsolutePosition;
            p.ReadU16("bundle property type");
            ushort len = p.ReadU16("bundle property length");
            if (len < 4)
            {
                throw new OfpProtocolException(OfpErrorKind.BadLength, $"{owner} property length {len} is below 4", at);
            }
            int padded = Pad.To8(len);
            if (padded - 4 > p.Remaining)
            {
                throw new OfpProtocolException(OfpErrorKind.BadLength, $"{owner} property length {len} overruns the message", at);
            }
            p.Skip(padded - 4, "bundle property");
        }
        r.Skip(all.Length);
        return new Bytes(all);
    }
}
