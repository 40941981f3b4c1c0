using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_DEC_NSH_TTL (48, OpenFlow 1.3+): decrement the NSH header's TTL. OVS accepts it only in a
/// flow that matches NSH (packet_type NSH or eth_type 0x894f); see <see cref="ActionChecks"/>.
/// Prints <c>dec_nsh_ttl</c>.
/// <code>
/// struct nx_action_header { be16 type, len /* 16 */; be32 vendor; be16 subtype /* 48 */; uint8_t pad[6]; };
/// </code>
/// </summary>
public sealed record DecNshTtlAction : OfpAction
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.DecNshTtl);
        w.WriteZeros(6);
    }

    /// <summary>decode_NXAST_RAW_DEC_NSH_TTL (lib/ofp-actions.c).</summary>
    internal static DecNshTtlAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "dec_nsh_ttl", at);
        NxWire.Zeros(ref r, 6, "dec_nsh_ttl: pad", at);
        return new DecNshTtlAction();
    }

    public override void Format(StringBuilder s) => s.Append("dec_nsh_ttl");
}
