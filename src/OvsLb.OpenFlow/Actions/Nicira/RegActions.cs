using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_REG_MOVE (subtype 6): copy bits from one field to another inside the datapath. The ARP
/// responder uses it to turn a request into a reply, the fake-MAC stage to move eth_dst[0..31]
/// into ip_dst. Prints <c>move:SRC[..]-&gt;DST[..]</c>.
/// <code>
/// struct nx_action_reg_move {
///     ovs_be16 type, len; ovs_be32 vendor; ovs_be16 subtype; /* 6 */
///     ovs_be16 n_bits, src_ofs, dst_ofs;
///     /* src header (4/8 bytes), dst header (4/8 bytes), zero padding to 8 */
/// };
/// </code>
/// </summary>
public sealed record RegMoveAction(Subfield Src, Subfield Dst) : OfpAction
{
    public static RegMoveAction Of(Subfield src, Subfield dst) => new(src, dst);

    public override int WireLength => Pad.To8(16 + Src.Ref.WireLength + Dst.Ref.WireLength);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.RegMove);
        w.WriteU16((ushort)Src.NBits);
        w.WriteU16((ushort)Src.Ofs);
        w.WriteU16((ushort)Dst.Ofs);
        Src.Ref.Write(ref w);
        Dst.Ref.Write(ref w);
        w.PadTo8(start);
    }

    internal static RegMoveAction Read(ref OfpReader r, int at)
    {
        int nBits = r.ReadU16("n_bits"), srcOfs = r.ReadU16("src_ofs"), dstOfs = r.ReadU16("dst_ofs");
        var src = FieldRef.Read(ref r);
        var dst = FieldRef.Read(ref r);
        src.CheckRange(srcOfs, nBits, "move source", at);
        dst.CheckRange(dstOfs, nBits, "move destination", at);
        return new RegMoveAction(new Subfield(src, srcOfs, nBits), new Subfield(dst, dstOfs, nBits));
    }

    public override void Format(StringBuilder s) => s.Append("move:").Append(Src.ToString()).Append("->").Append(Dst.ToString());
}

/// <summary>
/// NXAST_REG_LOAD (subtype 7): load an immediate value into a bit range of a field.
/// Prints <c>load:0x1-&gt;NXM_NX_REG1[0..7]</c>.
/// <code>
/// struct nx_action_reg_load {
///     ovs_be16 type, len /* 24 */; ovs_be32 vendor; ovs_be16 subtype; /* 7 */
///     ovs_be16 ofs_nbits;  /* (ofs &lt;&lt; 6) | (n_bits - 1) */
///     ovs_be32 dst; ovs_be64 value;
/// };
/// </code>
/// </summary>
public sealed record RegLoadAction(Subfield Dst, ulong Value) : OfpAction
{
    public override int WireLength => 24;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 24, NiciraActions.RegLoad);
        w.WriteU16((ushort)((Dst.Ofs << 6) | (Dst.NBits - 1)));
        w.WriteU32(Dst.Ref.Header);
        w.WriteU64(Value);
    }

    internal static RegLoadAction Read(ref OfpReader r, int at)
    {
        ushort ofsNbits = r.ReadU16("ofs_nbits");
        var dst = new FieldRef(r.ReadU32("dst"));
        ulong value = r.ReadU64("value");
        int ofs = ofsNbits >> 6, nBits = (ofsNbits & 63) + 1;
        dst.CheckRange(ofs, nBits, "load destination", at);
        if (nBits < 64 && (value >> nBits) != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"load: value 0x{value:x} does not fit in {nBits} bits", at);
        }
        return new RegLoadAction(new Subfield(dst, ofs, nBits), value);
    }

    public override void Format(StringBuilder s) => s.Append("load:").Append(OfctlFormat.AltHex(Value)).Append("->").Append(Dst.ToString());
}
