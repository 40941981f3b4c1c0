using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_FIN_TIMEOUT (19): when the flow sees a TCP FIN or RST, shorten its own idle and/or hard timeout
/// (in seconds; 0 leaves that timeout alone), so per-connection flows (e.g. learned ones) expire soon after
/// the connection closes. Prints <c>fin_timeout(idle_timeout=10,hard_timeout=20)</c>, leaving out zeros.
/// <code>
/// struct nx_action_fin_timeout {
///     ovs_be16 type, len;          /* 0xffff, 16 */
///     ovs_be32 vendor;             /* 0x00002320 */
///     ovs_be16 subtype;            /* 19 */
///     ovs_be16 fin_idle_timeout;   /* new idle timeout, if nonzero */
///     ovs_be16 fin_hard_timeout;   /* new hard timeout, if nonzero */
///     ovs_be16 pad;                /* must be zero */
/// };
/// </code>
/// </summary>
public sealed record FinTimeoutAction(ushort IdleTimeout, ushort HardTimeout) : OfpAction
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.FinTimeout);
        w.WriteU16(IdleTimeout);
        w.WriteU16(HardTimeout);
        w.WriteU16(0);
    }

    /// <summary>decode_NXAST_RAW_FIN_TIMEOUT (lib/ofp-actions.c).</summary>
    internal static FinTimeoutAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "fin_timeout", at);
        ushort idle = r.ReadU16("fin_timeout idle_timeout");
        ushort hard = r.ReadU16("fin_timeout hard_timeout");
        NxWire.Zeros(ref r, 2, "fin_timeout: pad", at);
        return new FinTimeoutAction(idle, hard);
    }

    /// <summary>format_FIN_TIMEOUT.</summary>
    public override void Format(StringBuilder s)
    {
        s.Append("fin_timeout(");
        if (IdleTimeout != 0) s.Append("idle_timeout=").Append(IdleTimeout).Append(',');
        if (HardTimeout != 0) s.Append("hard_timeout=").Append(HardTimeout).Append(',');
        if (s[^1] == ',') s.Length--;
        s.Append(')');
    }
}
