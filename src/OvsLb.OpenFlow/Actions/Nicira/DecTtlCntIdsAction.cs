using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_DEC_TTL_CNT_IDS (21): decrement the IP TTL / hop limit; when it would reach zero, send a
/// packet-in (reason invalid_ttl) to each listed controller connection id instead of only id 0
/// (plain <c>dec_ttl</c> is the standard OFPAT_DEC_NW_TTL). Prints <c>dec_ttl(1,2)</c>.
/// <code>
/// struct nx_action_cnt_ids {
///     ovs_be16 type, len;        /* 0xffff, 16 + ids padded to 8 */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 21 */
///     ovs_be16 n_controllers;
///     uint8_t zeros[4];          /* must be zero */
///     /* ovs_be16 cnt_ids[n_controllers]; zero padding to 8 */
/// };
/// </code>
/// </summary>
public sealed record DecTtlCntIdsAction(EquatableArray<ushort> ControllerIds) : OfpAction
{
    public DecTtlCntIdsAction(params ushort[] ids) : this(new EquatableArray<ushort>(ids)) { }

    public override int WireLength => 16 + Pad.To8(2 * ControllerIds.Count);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.DecTtlCntIds);
        w.WriteU16((ushort)ControllerIds.Count);
        w.WriteZeros(4);
        foreach (var id in ControllerIds) w.WriteU16(id);
        w.PadTo8(start);
    }

    /// <summary>decode_NXAST_RAW_DEC_TTL_CNT_IDS (lib/ofp-actions.c).</summary>
    internal static DecTtlCntIdsAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectMinLength(r, 16, "dec_ttl_cnt_ids", at);
        int n = r.ReadU16("dec_ttl n_controllers");
        NxWire.Zeros(ref r, 4, "dec_ttl_cnt_ids: zeros", at);
        if (2 * n > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"dec_ttl_cnt_ids: {n} controller ids need {2 * n} bytes, the action has {r.Remaining}", at);
        }
        var ids = new ushort[n];
        for (int i = 0; i < n; i++) ids[i] = r.ReadU16("controller id");
        NxWire.TrailingPad(ref r, "dec_ttl_cnt_ids", at);
        return new DecTtlCntIdsAction(ids);
    }

    public override void Format(StringBuilder s)
    {
        s.Append("dec_ttl(");
        for (int i = 0; i < ControllerIds.Count; i++)
        {
            if (i > 0) s.Append(',');
            s.Append(ControllerIds[i]);
        }
        s.Append(')');
    }
}
