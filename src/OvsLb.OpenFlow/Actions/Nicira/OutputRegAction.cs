using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_OUTPUT_REG (15) and NXAST_OUTPUT_REG2 (32): output to the port number held in a field, e.g. a
/// register a previous stage loaded with the chosen uplink. Prints <c>output:NXM_NX_REG1[]</c> (the
/// max_len is not printed). OVS uses OUTPUT_REG2 only for a field that has no 4-byte header.
/// <code>
/// struct nx_action_output_reg {        struct nx_action_output_reg2 {
///     ovs_be16 type, len;  /* 24 */        ovs_be16 type, len;  /* 24 */
///     ovs_be32 vendor;                     ovs_be32 vendor;
///     ovs_be16 subtype;    /* 15 */        ovs_be16 subtype;    /* 32 */
///     ovs_be16 ofs_nbits;                  ovs_be16 ofs_nbits;
///     ovs_be32 src;                        ovs_be16 max_len;
///     ovs_be16 max_len;                    /* src header (4 or 8 bytes), zeros to 24 */
///     uint8_t zero[6];                 };
/// };
/// </code>
/// </summary>
public sealed record OutputRegAction(Subfield Src, ushort MaxLen = 0xffff) : OfpAction
{
    /// <summary>Encode as NXAST_OUTPUT_REG2 (set when decoded from subtype 32, or needed for an 8-byte header).</summary>
    public bool Reg2 { get; init; }

    private bool IsReg2 => Reg2 || Src.Ref.Class == 0xffff;

    public override int WireLength => 24;

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        if (IsReg2)
        {
            NiciraActions.WriteHeader(ref w, 24, NiciraActions.OutputReg2);
            w.WriteU16(NxWire.EncodeOfsNbits(Src));
            w.WriteU16(MaxLen);
            Src.Ref.Write(ref w);
            w.WriteZeros(24 - (w.Position - start));
        }
        else
        {
            NiciraActions.WriteHeader(ref w, 24, NiciraActions.OutputReg);
            w.WriteU16(NxWire.EncodeOfsNbits(Src));
            w.WriteU32(Src.Ref.Header);
            w.WriteU16(MaxLen);
            w.WriteZeros(6);
        }
    }

    /// <summary>decode_NXAST_RAW_OUTPUT_REG / decode_NXAST_RAW_OUTPUT_REG2 (lib/ofp-actions.c).</summary>
    internal static OutputRegAction Read(ushort subtype, ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 24, "output_reg", at);
        var (ofs, nBits) = NxWire.OfsNbits(r.ReadU16("output_reg ofs_nbits"));
        if (subtype == NiciraActions.OutputReg)
        {
            var src = NxWire.ReadHeader32(ref r, "output_reg src");
            ushort maxLen = r.ReadU16("output_reg max_len");
            NxWire.Zeros(ref r, 6, "output_reg: zero", at);
            return new OutputRegAction(NxWire.Src(src, ofs, nBits, "output_reg src", at), maxLen);
        }
        ushort maxLen2 = r.ReadU16("output_reg2 max_len");
        var src2 = FieldRef.Read(ref r);
        NxWire.Zeros(ref r, r.Remaining, "output_reg2: padding", at);
        return new OutputRegAction(NxWire.Src(src2, ofs, nBits, "output_reg2 src", at), maxLen2) { Reg2 = true };
    }

    public override void Format(StringBuilder s) => s.Append("output:").Append(Src.ToString());
}
