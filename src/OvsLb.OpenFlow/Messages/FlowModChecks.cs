using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// The part of OVS's FLOW_MOD decoding that refuses well-formed messages (ofputil_decode_flow_mod and
/// ofpacts_check in lib/ofp-actions.c, with max port OFPP_MAX and 255 tables; the action and
/// instruction part is <see cref="ActionChecks"/>). Used so the FLOW_MOD a switch echoes in an
/// OFPT_ERROR, or one ofp-print is given, prints as ofp-print prints it.
/// </summary>
internal static class FlowModChecks
{
    /// <summary>The OVS error name, or null when OVS decodes the message.</summary>
    public static string? CheckError(FlowMod m)
    {
        // ofputil_decode_flow_mod, in its order: the match (strict OXM decoding), the table, out_port,
        // the conntrack tuple's IP version, the command, then the instructions.
        if (m.Match.CheckError() is { } matchError) return matchError.Name;
        if (m.TableId == FlowMod.AllTables && m.Command is not (FlowModCommand.Delete or FlowModCommand.DeleteStrict)) return "OFPFMFC_BAD_TABLE_ID";
        if (m.OutPort is >= 0xff00 and < 0xffffff00) return "OFPBAC_BAD_OUT_PORT";
        if (CtTupleInconsistent(m.Match)) return "OFPBAC_MATCH_INCONSISTENT";
        if ((byte)m.Command > (byte)FlowModCommand.DeleteStrict) return "OFPFMFC_BAD_COMMAND";
        // ofpacts_pull_openflow_instructions (decode), then ofpacts_check_consistency against the match.
        return ActionChecks.InstructionsDecodeError(m.Instructions)
            ?? ActionChecks.ConsistencyError(m.Match, m.Instructions, m.TableId);
    }

    /// <summary>
    /// ct_nw_src/ct_nw_dst need eth_type=0x800 and ct_ipv6_src/ct_ipv6_dst need eth_type=0x86dd in
    /// the match itself (not only as a prerequisite), else OVS answers OFPBAC_MATCH_INCONSISTENT.
    /// </summary>
    private static bool CtTupleInconsistent(OfpMatch match)
    {
        uint dlType = match.Find(MfId.EthType) is { } t ? (uint)t.Value : 0;
        bool v4 = false, v6 = false;
        foreach (var e in match.Fields)
        {
            switch (e.Field?.Id)
            {
                case MfId.CtNwSrc or MfId.CtNwDst: v4 |= e.EffectiveMask != 0; break;
                case MfId.CtIpv6Src or MfId.CtIpv6Dst: v6 |= e.EffectiveMask != 0; break;
            }
        }
        return (v4 && dlType != 0x0800) || (v6 && dlType != 0x86dd);
    }
}
