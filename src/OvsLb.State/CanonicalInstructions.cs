using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.State;

/// <summary>
/// Instructions and group buckets as the bytes the switch keeps. OVS decodes a flow's instructions
/// into one list in a fixed order (meter, apply-actions, clear-actions, write-actions,
/// write-metadata, goto-table: ofpacts_pull_openflow_instructions) and drops an empty apply-actions,
/// so the canonical form sorts them that way and leaves empty apply-actions out. Actions and buckets
/// are encoded as this codec writes them (the golden vectors check that encoding against OVS's), with
/// one normalisation: an output to a port other than CONTROLLER carries no max_len that matters (OVS
/// neither uses nor prints it, and ovs-ofctl writes 0 where we write 0xffff), so it is encoded as 0.
/// Actions nested inside other actions (clone, ct exec, learn) are encoded as they are.
/// </summary>
public static class CanonicalInstructions
{
    /// <summary>ofp_header (8) + the fixed part of ofp_flow_mod (40) + an empty ofp_match (8).</summary>
    private const int FlowModInstructionsAt = 56;

    /// <summary>ofp_header (8) + the fixed part of ofp_group_mod (8).</summary>
    private const int GroupModBucketsAt = 16;

    /// <summary>OFPP_CONTROLLER: the one output whose max_len (bytes sent in the PACKET_IN) matters.</summary>
    private const uint ControllerPort = OfctlFormat.Ports.Controller;

    public static byte[] Encode(EquatableArray<OfpInstruction> instructions)
    {
        if (instructions.IsEmpty) return [];
        var list = new List<OfpInstruction>(instructions.Count);
        foreach (var i in instructions)
        {
            switch (i)
            {
                case ApplyActionsInstruction { Actions.IsEmpty: true }:
                    continue;
                case ApplyActionsInstruction a:
                    list.Add(Normalise(a.Actions) is { } na ? new ApplyActionsInstruction(na) : a);
                    break;
                case WriteActionsInstruction w:
                    list.Add(Normalise(w.Actions) is { } nw ? new WriteActionsInstruction(nw) : w);
                    break;
                default:
                    list.Add(i);
                    break;
            }
        }
        if (list.Count == 0) return [];
        // A stable sort: two instructions of one type (which OVS refuses) keep their order.
        var sorted = list.Select((i, n) => (i, n)).OrderBy(x => x.i.Order).ThenBy(x => x.n).Select(x => x.i).ToArray();
        var wire = OfpEncoder.ToArray(new FlowMod { Match = OfpMatch.Any, Instructions = sorted });
        return wire.AsSpan(FlowModInstructionsAt).ToArray();
    }

    /// <summary>The group's type and buckets in wire form (the group id is the state's key, not content).</summary>
    public static byte[] EncodeGroup(GroupType type, EquatableArray<Bucket> buckets)
    {
        Bucket[]? normal = null;
        for (int i = 0; i < buckets.Count; i++)
        {
            if (Normalise(buckets[i].Actions) is not { } actions) continue;
            normal ??= buckets.AsSpan().ToArray();
            normal[i] = buckets[i] with { Actions = actions };
        }
        var wire = OfpEncoder.ToArray(new GroupMod(GroupModCommand.Add, type, 0, normal ?? buckets));
        var bytes = new byte[1 + wire.Length - GroupModBucketsAt];
        bytes[0] = (byte)type;
        wire.AsSpan(GroupModBucketsAt).CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>The actions with max_len 0 on outputs to ports other than CONTROLLER, or null when none needs it.</summary>
    private static OfpAction[]? Normalise(EquatableArray<OfpAction> actions)
    {
        OfpAction[]? copy = null;
        for (int i = 0; i < actions.Count; i++)
        {
            if (actions[i] is not OutputAction { MaxLen: not 0 } o || o.Port == ControllerPort) continue;
            copy ??= actions.AsSpan().ToArray();
            copy[i] = o with { MaxLen = 0 };
        }
        return copy;
    }
}
