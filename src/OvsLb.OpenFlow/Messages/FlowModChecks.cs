using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// The part of OVS's FLOW_MOD decoding that refuses well-formed messages (ofputil_decode_flow_mod and
/// ofpacts_check in lib/ofp-actions.c, with max port OFPP_MAX and 255 tables). Used so the FLOW_MOD a
/// switch echoes in an OFPT_ERROR prints as ofp-print prints it; only the checks a controller is
/// likely to trip are modelled.
/// </summary>
internal static class FlowModChecks
{
    /// <summary>The OVS error name, or null when OVS decodes the message.</summary>
    public static string? CheckError(FlowMod m)
    {
        foreach (var inst in m.Instructions)
        {
            if (inst is not ActionsInstruction ai) continue;
            foreach (var a in ai.Actions)
            {
                if (a is OutputAction o && !ValidOutputPort(o.Port)) return "OFPBAC_BAD_OUT_PORT";
            }
        }
        foreach (var inst in m.Instructions)
        {
            if (inst is GotoTableInstruction g && m.TableId != 255 && g.TableId <= m.TableId) return "OFPBIC_BAD_TABLE_ID";
        }
        return null;
    }

    /// <summary>
    /// ofputil_port_from_ofp11 + check_output_port: a physical port below OFPP_MAX (0xff00) or one of
    /// IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL.
    /// </summary>
    private static bool ValidOutputPort(uint port) => port < 0xff00 || port is >= 0xfffffff8 and <= 0xfffffffe;
}
