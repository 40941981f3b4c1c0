using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_CLONE (42): run the nested actions on a copy of the packet; changes they make (set_field,
/// push/pop, ...) do not affect the actions that follow the clone. Useful to send a modified copy
/// somewhere (e.g. a mirror with a rewritten eth_dst) and continue with the original.
/// <code>
/// struct ext_action_header {
///     ovs_be16 type, len;    /* 0xffff, 16 + nested actions */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 42 */
///     uint8_t pad[6];
/// };                         /* followed by the nested OpenFlow actions */
/// </code>
/// Prints <c>clone(set_field:02:00:00:00:00:09-&gt;eth_dst,output:2)</c>; no nested action prints
/// <c>clone(drop)</c>, as ofpacts_format prints an empty list.
/// </summary>
public sealed record CloneAction(EquatableArray<OfpAction> Actions) : OfpAction
{
    public CloneAction(params OfpAction[] actions) : this(new EquatableArray<OfpAction>(actions)) { }

    public override int WireLength => 16 + ListLength(Actions);

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.Clone);
        w.WriteZeros(6);
        WriteList(ref w, Actions);
    }

    /// <summary>decode_NXAST_RAW_CLONE (lib/ofp-actions.c): any action allowed in apply-actions may be nested.</summary>
    internal static CloneAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectMinLength(r, 16, "clone", at);
        NxWire.Zeros(ref r, 6, "clone: pad", at);
        return new CloneAction(ActionCodec.ReadList(ref r, r.Remaining));
    }

    public override void Format(StringBuilder s)
    {
        s.Append("clone(");
        FormatList(s, Actions);
        s.Append(')');
    }
}
