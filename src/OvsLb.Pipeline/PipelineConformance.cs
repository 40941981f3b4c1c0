using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>
/// Holds a desired state to the pipeline as <see cref="LbPipeline"/> declares it: every flow sits in a
/// declared table; every field it matches is one its table may match; every field it (or a bucket of a
/// group it uses) writes is one its table may write; every goto_table/resubmit goes to a declared next
/// table; every output is a declared exit; every learn writes a declared table, with matches, writes and
/// outputs that table declares. Pure: the result is the list of violations, one sentence each.
/// </summary>
public static class PipelineConformance
{
    public static IReadOnlyList<string> Violations(SwitchState state)
    {
        var errors = new List<string>();
        foreach (var f in state.Flows.Values.OrderBy(f => f.Text, StringComparer.Ordinal))
        {
            if (LbPipeline.ById(f.TableId) is not PipelineTable table)
            {
                errors.Add($"{f.Text}: table {f.TableId} is not declared");
                continue;
            }
            var check = new FlowCheck(table, f.Text, errors, state.Meters);
            foreach (var e in f.Match.Fields) check.Matched(e.Field?.Id);
            // What OVS 3.1 itself would refuse (prerequisites such as ct_nw_* needing ct_state +trk with -inv or a state).
            if (f.Match.CheckError() is { } bad) check.Fail($"OVS refuses the match: {bad.Name} ({bad.Detail})");
            bool outputs = false;
            foreach (var ins in f.Instructions)
            {
                switch (ins)
                {
                    case GotoTableInstruction g:
                        check.Continues(g.TableId);
                        // OpenFlow 1.3 §5.1: goto_table may only go forward (OVS refuses the flow: OFPBIC_BAD_TABLE_ID); resubmit may go back.
                        if (g.TableId <= f.TableId) check.Fail($"goto_table:{g.TableId} does not go forward (use resubmit to go back)");
                        outputs = true;
                        break;
                    case ActionsInstruction a:
                        foreach (var act in a.Actions)
                        {
                            outputs |= check.Action(act);
                            if (act is GroupAction ga && state.Groups.TryGetValue(ga.GroupId, out var group))
                            {
                                foreach (var b in group.Buckets)
                                {
                                    foreach (var ba in b.Actions) check.Action(ba, $" (bucket of group {ga.GroupId})");
                                }
                            }
                        }
                        break;
                    case MeterInstruction m:
                        if (!table.Meters) check.Fail($"meter:{m.MeterId}, but {table.Name} does not declare meters");
                        else if (!state.Meters.ContainsKey(m.MeterId)) check.Fail($"meter:{m.MeterId} is not in the state (OVS refuses the flow: OFPMMFC_UNKNOWN_METER)");
                        break;
                    default:
                        check.Fail($"instruction {ins.GetType().Name} is not used by this pipeline");
                        break;
                }
            }
            if (!outputs) check.Exit(TableExit.Drop, "drop");
        }
        return errors.Distinct().ToList(); // a group's buckets repeat one violation per bucket
    }

    /// <summary>The checks of one flow against its table; collects violations.</summary>
    private sealed class FlowCheck(PipelineTable table, string flow, List<string> errors, IReadOnlyDictionary<uint, MeterEntry> meters)
    {
        public void Fail(string why, string where = "") => errors.Add($"{flow}{where}: {why} ({table})");

        public void Matched(MfId? id)
        {
            if (id is not MfId m) Fail("matches a field OVS does not know");
            else if (!table.Matches.Contains(m)) Fail($"matches {FieldTable.Get(m).Name}, which {table.Name} does not declare");
        }

        public void Wrote(MfId? id, string where)
        {
            if (id is not MfId m) Fail("writes a field OVS does not know", where);
            else if (!table.Sets.Contains(m)) Fail($"writes {FieldTable.Get(m).Name}, which {table.Name} does not declare", where);
        }

        public void Continues(byte tableId, string where = "")
        {
            if (!table.Next.Any(t => t.Id == tableId)) Fail($"continues in table {tableId}, which is not a declared next table of {table.Name}", where);
        }

        public void Exit(TableExit exit, string what, string where = "")
        {
            if (!table.Exits.HasFlag(exit)) Fail($"ends in {what}, which {table.Name} does not declare as an exit", where);
        }

        /// <summary>Checks one action; true when it sends the packet somewhere (output, group, resubmit).</summary>
        public bool Action(OfpAction a, string where = "")
        {
            switch (a)
            {
                case OutputAction o:
                    Exit(o.Port switch
                    {
                        OfctlFormat.Ports.Normal => TableExit.Normal,
                        OfctlFormat.Ports.InPort => TableExit.InPort,
                        OfctlFormat.Ports.Controller => TableExit.Controller,
                        _ => TableExit.Output,
                    }, $"output:{OfctlFormat.Port(o.Port)}", where);
                    return true;
                case GroupAction:
                    Exit(TableExit.Group, "a group", where);
                    return true;
                case ResubmitAction r:
                    Continues(r.Table, where);
                    return true;
                case SetFieldAction s:
                    Wrote(s.Field.Field?.Id, where);
                    return false;
                case RegLoadAction l:
                    Wrote(l.Dst.Ref.Field?.Id, where);
                    return false;
                case RegMoveAction m:
                    Wrote(m.Dst.Ref.Field?.Id, where);
                    return false;
                case MultipathAction mp:
                    Wrote(mp.Dst.Ref.Field?.Id, where);
                    return false;
                case LearnAction l:
                    Exit(TableExit.Learn, "learn", where);
                    Learned(l, where);
                    return false;
                case Controller2Action c2:
                    // A copy to the controller (the packet goes on); its meter, if any, must be one the state installs.
                    Exit(TableExit.Controller, "controller(...)", where);
                    if (c2.MeterId != ControllerAction.NoMeter && !table.Meters) Fail($"controller(meter_id={c2.MeterId}), but {table.Name} does not declare meters", where);
                    else if (c2.MeterId != ControllerAction.NoMeter && !meters.ContainsKey(c2.MeterId)) Fail($"controller(meter_id={c2.MeterId}): the meter is not in the state (OVS refuses the flow: OFPMMFC_UNKNOWN_METER)", where);
                    return false;
                case CtAction ct:
                    // The tracker's own actions: nat, and writes to ct_mark/ct_label, which the table must declare.
                    foreach (var inner in ct.Actions.Where(x => x is not NatAction)) Action(inner, where + " (inside ct)");
                    if (ct.RecircTable == CtAction.NoRecirc) return false;
                    Continues(ct.RecircTable, where);
                    return true;
                default:
                    Fail($"action {a.GetType().Name} is not used by this pipeline", where);
                    return false;
            }
        }

        /// <summary>A learn action's flows are held to the table they are written into.</summary>
        private void Learned(LearnAction l, string where)
        {
            if (table.LearnsInto.FirstOrDefault(t => t.Id == l.TableId) is not PipelineTable into)
            {
                Fail($"learns into table {l.TableId}, which {table.Name} does not declare", where);
                return;
            }
            var learned = new FlowCheck(into, $"{flow}{where} learned flow", errors, meters);
            foreach (var spec in l.Specs)
            {
                switch (spec)
                {
                    case LearnMatchField m: learned.Matched(m.Dst.Ref.Field?.Id); break;
                    case LearnMatchValue m: learned.Matched(m.Dst.Ref.Field?.Id); break;
                    case LearnLoadField m: learned.Wrote(m.Dst.Ref.Field?.Id, ""); break;
                    case LearnLoadValue m: learned.Wrote(m.Dst.Ref.Field?.Id, ""); break;
                    case LearnOutput: learned.Exit(TableExit.Output, "output"); break;
                }
            }
        }
    }
}
