using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_CHECK_PKT_LARGER (49): set one bit of a field to 1 when the packet is longer than
/// <see cref="PacketLength"/> bytes, else to 0, so later tables can treat oversized packets (e.g. send
/// ICMP "fragmentation needed") differently. Prints <c>check_pkt_larger(1500)-&gt;NXM_NX_REG0[0]</c>.
/// <code>
/// struct nx_action_check_pkt_larger {
///     ovs_be16 type, len;    /* 0xffff, 24 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 49 */
///     ovs_be16 pkt_len;      /* packet length to compare with */
///     ovs_be16 offset;       /* result bit offset in the destination */
///     /* destination field header (4 or 8 bytes), then zeros to 24 bytes */
///     uint8_t pad[10];
/// };
/// </code>
/// </summary>
public sealed record CheckPktLargerAction(ushort PacketLength, Subfield Dst) : OfpAction
{
    /// <summary>Writes the result into bit <paramref name="bit"/> of <paramref name="field"/>.</summary>
    public static CheckPktLargerAction Create(ushort packetLength, Match.MfId field, int bit) =>
        new(packetLength, Subfield.Bits(field, bit, 1));

    public override int WireLength => 24;

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, 24, NiciraActions.CheckPktLarger);
        w.WriteU16(PacketLength);
        w.WriteU16((ushort)Dst.Ofs);
        Dst.Ref.Write(ref w);
        w.WriteZeros(24 - (w.Position - start));
    }

    /// <summary>decode_NXAST_RAW_CHECK_PKT_LARGER (lib/ofp-actions.c): a writable 1-bit destination.</summary>
    internal static CheckPktLargerAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 24, "check_pkt_larger", at);
        ushort pktLen = r.ReadU16("check_pkt_larger pkt_len");
        int ofs = r.ReadU16("check_pkt_larger offset");
        var dst = FieldRef.Read(ref r);
        var zeros = r.ReadMemory(r.Remaining, "check_pkt_larger padding").Span;
        if (zeros.ContainsAnyExcept((byte)0))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, "check_pkt_larger: padding must be zero", at, "NXBRC_MUST_BE_ZERO");
        }
        return new CheckPktLargerAction(pktLen, NxWire.Dst(dst, ofs, 1, "check_pkt_larger dst", at));
    }

    public override void Format(StringBuilder s) => s.Append("check_pkt_larger(").Append(PacketLength).Append(")->").Append(Dst.ToString());
}
