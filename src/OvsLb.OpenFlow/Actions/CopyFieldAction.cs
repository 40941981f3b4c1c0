using System.Text;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions;

/// <summary>
/// ONFACT_COPY_FIELD (ONF experimenter 0x4f4e4600, type 3200): the OpenFlow 1.3 extension form of
/// OpenFlow 1.5's copy_field; OVS decodes it into the same action as NXAST_REG_MOVE and prints it
/// the same way, <c>move:SRC[..]-&gt;DST[..]</c>.
/// <code>
/// struct onf_action_copy_field {
///     ovs_be16 type, len;        /* 0xffff, padded to 8 */
///     ovs_be32 experimenter;     /* 0x4f4e4600 */
///     ovs_be16 exp_type;         /* 3200 */
///     uint8_t pad[2];
///     ovs_be16 n_bits, src_offset, dst_offset;
///     uint8_t pad2[2];
///     /* src OXM header, dst OXM header (4 or 8 bytes each), zero padding to 8 */
/// };
/// </code>
/// </summary>
public sealed record CopyFieldAction(Subfield Src, Subfield Dst) : OfpAction
{
    public const ushort ExpType = 3200;

    public override int WireLength => Pad.To8(20 + Src.Ref.WireLength + Dst.Ref.WireLength);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        w.WriteU16(0xffff);
        w.WriteU16((ushort)WireLength);
        w.WriteU32(ActionCodec.OnfVendor);
        w.WriteU16(ExpType);
        w.WriteZeros(2);
        w.WriteU16((ushort)Src.NBits);
        w.WriteU16((ushort)Src.Ofs);
        w.WriteU16((ushort)Dst.Ofs);
        w.WriteZeros(2);
        Src.Ref.Write(ref w);
        Dst.Ref.Write(ref w);
        w.PadTo8(start);
    }

    /// <summary>decode_ONFACT_RAW13_COPY_FIELD (lib/ofp-actions.c); the reader is after exp_type.</summary>
    internal static CopyFieldAction Read(ref OfpReader r, int at)
    {
        NxWire.Zeros(ref r, 2, "copy_field: pad", at);
        int nBits = r.ReadU16("n_bits"), srcOfs = r.ReadU16("src_offset"), dstOfs = r.ReadU16("dst_offset");
        NxWire.Zeros(ref r, 2, "copy_field: pad2", at);
        var src = FieldRef.Read(ref r);
        var dst = FieldRef.Read(ref r);
        src.CheckRange(srcOfs, nBits, "copy_field source", at);
        dst.CheckRange(dstOfs, nBits, "copy_field destination", at);
        NxWire.TrailingPad(ref r, "copy_field", at);
        return new CopyFieldAction(new Subfield(src, srcOfs, nBits), new Subfield(dst, dstOfs, nBits));
    }

    public override void Format(StringBuilder s) => s.Append("move:").Append(Src.ToString()).Append("->").Append(Dst.ToString());
}
