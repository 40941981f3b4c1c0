using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_STACK_PUSH (27) and NXAST_STACK_POP (28): push a field's bits onto the per-packet stack, or pop
/// the top of the stack into a field, e.g. to save a register around a resubmit that reuses it.
/// Prints <c>push:NXM_NX_REG0[]</c> / <c>pop:NXM_NX_REG1[0..15]</c>.
/// <code>
/// struct nx_action_stack {
///     ovs_be16 type, len;    /* 0xffff, 24 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 27 (push) or 28 (pop) */
///     ovs_be16 offset;       /* bit offset into the field */
///     /* field header (4 bytes, or 8 with an experimenter id), then ovs_be16 n_bits,
///        then zeros to 24 bytes */
///     uint8_t pad[12];
/// };
/// </code>
/// </summary>
public sealed record StackAction(bool Pop, Subfield Field) : OfpAction
{
    public static StackAction Push(Subfield src) => new(false, src);
    public static StackAction PopInto(Subfield dst) => new(true, dst);

    public override int WireLength => 24;

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, 24, Pop ? NiciraActions.StackPop : NiciraActions.StackPush);
        w.WriteU16((ushort)Field.Ofs);
        Field.Ref.Write(ref w);
        w.WriteU16((ushort)Field.NBits);
        w.WriteZeros(24 - (w.Position - start));
    }

    /// <summary>
    /// decode_stack_action, nxm_stack_push_check (mf_check_src) and nxm_stack_pop_check (mf_check_dst)
    /// (lib/ofp-actions.c, lib/nx-match.c).
    /// </summary>
    internal static StackAction Read(ushort subtype, ref OfpReader r, int at)
    {
        bool pop = subtype == NiciraActions.StackPop;
        string name = pop ? "pop" : "push";
        NxWire.ExpectLength(r, 24, name, at);
        int ofs = r.ReadU16($"{name} offset");
        var field = FieldRef.Read(ref r);
        int nBits = r.ReadU16($"{name} n_bits");
        NxWire.Zeros(ref r, r.Remaining, $"{name}: padding", at);
        var sf = pop ? NxWire.Dst(field, ofs, nBits, $"{name} field", at) : NxWire.Src(field, ofs, nBits, $"{name} field", at);
        return new StackAction(pop, sf);
    }

    public override void Format(StringBuilder s) => s.Append(Pop ? "pop:" : "push:").Append(Field.ToString());
}
