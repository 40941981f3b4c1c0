using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Nicira;

/// <summary>
/// NXT_CT_FLUSH_ZONE (Nicira subtype 29): flushes every connection-tracking entry of one zone. The
/// controller flushes a load-balancer's zone when its backends change wholesale.
/// <code>
/// struct nx_zone_id {
///     struct nicira_header nxh;  /* subtype 29 */
///     uint8_t zero[6];           /* must be zero */
///     uint16_t zone_id;
/// };                             /* 24 bytes */
/// </code>
/// </summary>
public sealed record CtFlushZone(ushort ZoneId) : NiciraMessage
{
    public override uint Subtype => NiciraCodec.CtFlushZone;
    public override string OvsName => "NXT_CT_FLUSH_ZONE";
    internal override int PayloadLength => 8;

    internal override void WritePayload(ref OfpWriter w)
    {
        w.WriteZeros(6);
        w.WriteU16(ZoneId);
    }

    /// <summary>Reads the zone; the six leading bytes must be zero (they could not be re-encoded otherwise).</summary>
    internal static CtFlushZone Read(ref OfpReader r)
    {
        NiciraCodec.Zeros(ref r, 6, "ct flush zone zero bytes");
        return new CtFlushZone(r.ReadU16("zone_id"));
    }

    /// <summary>ofp_print_nxt_ct_flush_zone: <c> zone_id=5</c>.</summary>
    public override void FormatBody(StringBuilder s) => s.Append(" zone_id=").Append(ZoneId);
}
