using System.Text;
using OvsLb.Runtime;
using OvsLb.State;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb diff --config FILE --switch TARGET [--bridge NAME] [--down svc/backend,...]</c>: desired versus
/// installed, like <c>ovs-ofctl diff-flows</c>. Reads the switch's ports, flows and groups
/// (<see cref="SwitchSnapshot.ReadAsync"/>), computes the desired state with the switch's real ports and its groups'
/// bucket assignment (as a restarting controller would), and prints the reconciler's own difference
/// (<see cref="StateDiff"/>): <c>-</c> for what is installed but not wanted, <c>+</c> for what is wanted
/// but not installed (a changed flow or group shows both). Flows the controller does not manage
/// (learned next hops, flows of other cookies) are listed apart, not as differences.
/// Exit code 0 when equal, 2 when they differ, 1 on error.
/// </summary>
public static class DiffCommand
{
    public const int ExitDiffers = 2;

    // Like diff(1) and ovs-ofctl diff-flows, every failure is 1: 2 means "they differ".
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) => CommandLine.RunVerbAsync("diff", stderr, async () =>
    {
        var a = BridgeArgs.Parse("diff", args);
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        if (a.Switch is null) throw new UsageException("--switch unix:/var/run/openvswitch/BRIDGE.mgmt | tcp:HOST:PORT | BRIDGE is required");
        var dp = await DebugPlan.BuildAsync(a, readInstalled: true).ConfigureAwait(false);
        foreach (var w in dp.Plan.Warnings) await stderr.WriteLineAsync($"ovslb diff: warning: {w}").ConfigureAwait(false);
        var (text, differs) = Format(dp, a.Switch);
        await stdout.WriteAsync(text).ConfigureAwait(false);
        return differs ? ExitDiffers : CommandLine.ExitOk;
    }, usageExit: CommandLine.ExitError);

    /// <summary>The diff listing and whether desired and installed differ.</summary>
    public static (string Text, bool Differs) Format(DebugPlan dp, string target)
    {
        var desired = dp.Plan.State;
        var installed = dp.Switch!.Installed;
        var own = dp.Ownership;
        var diff = StateDiff.Compute(desired, installed, own);
        var managedFlows = installed.Flows.Values.Count(own.OwnsFlow);
        var managedGroups = installed.Groups.Values.Count(g => own.OwnsGroup(g.GroupId));
        var sb = new StringBuilder();
        sb.Append("# ovslb diff: bridge ").Append(dp.Bridge.Name).Append(" (datapath ").Append(dp.Switch.DatapathId.ToString("x16")).Append(") at ").Append(target)
          .Append(" vs ").Append(dp.ConfigPath).Append('\n');
        sb.Append("# desired ").Append(desired.Flows.Count).Append(" flows, ").Append(desired.Groups.Count).Append(" groups; installed and managed ")
          .Append(managedFlows).Append(" flows, ").Append(managedGroups).Append(" groups\n");

        // Flows: deletions, then for each added or changed flow the installed version (if any) and the wanted one.
        var lines = new List<(string Sort, string Line)>();
        foreach (var f in diff.FlowDeletes) lines.Add((f.Text, "-" + f.Text));
        foreach (var f in diff.FlowAdds)
        {
        if (installed.Flows.TryGetValue(f.Key, out var have)) lines.Add((have.Text, "-" + have.Text));
        lines.Add((f.Text, "+" + f.Text));
        }
        foreach (var g in diff.GroupMods) lines.Add((installed.Groups[g.GroupId].Text, "-" + installed.Groups[g.GroupId].Text));
        foreach (var g in diff.GroupMods.Concat(diff.GroupAdds)) lines.Add((g.Text, "+" + g.Text));
        foreach (var g in diff.GroupDeletes) lines.Add((g.Text, "-" + g.Text));
        foreach (var m in diff.MeterMods) lines.Add((installed.Meters[m.MeterId].Text, "-" + installed.Meters[m.MeterId].Text));
        foreach (var m in diff.MeterMods.Concat(diff.MeterAdds)) lines.Add((m.Text, "+" + m.Text));
        foreach (var m in diff.MeterDeletes) lines.Add((m.Text, "-" + m.Text));
        // Flows before groups; within each, in text order so the same flow's - and + sit together.
        foreach (var (_, line) in lines.OrderBy(l => l.Line.AsSpan(1).StartsWith("group_id=", StringComparison.Ordinal) ? 1 : l.Line.AsSpan(1).StartsWith("meter=", StringComparison.Ordinal) ? 2 : 0)
                 .ThenBy(l => l.Sort, StringComparer.Ordinal).ThenBy(l => l.Line[0] == '-' ? 0 : 1))
        {
        sb.Append(line).Append('\n');
        }
        if (diff.IsEmpty) sb.Append("# no difference: the switch holds exactly the desired flows and groups\n");
        else sb.Append("# ").Append(diff.FlowDeletes.Count).Append(" flows to delete, ").Append(diff.FlowAdds.Count).Append(" to add or change, ")
             .Append(diff.GroupAdds.Count + diff.GroupMods.Count).Append(" groups to add or change, ").Append(diff.GroupDeletes.Count).Append(" to delete")
             .Append(diff.MeterCount == 0 ? "" : $", {diff.MeterAdds.Count + diff.MeterMods.Count} meters to add or change, {diff.MeterDeletes.Count} to delete").Append('\n');

        var foreign = installed.Flows.Values.Where(f => !own.OwnsFlow(f) && !desired.Flows.ContainsKey(f.Key))
        .OrderBy(f => f.TableId).ThenByDescending(f => f.Priority).ThenBy(f => f.Text, StringComparer.Ordinal).ToList();
        var foreignGroups = installed.Groups.Values.Where(g => !own.OwnsGroup(g.GroupId) && !desired.Groups.ContainsKey(g.GroupId)).OrderBy(g => g.GroupId).ToList();
        if (foreign.Count + foreignGroups.Count > 0)
        {
        int learned = foreign.Count(f => own.Cookies.IsLearned(f.Cookie));
        sb.Append("# not managed (left alone by the controller): ").Append(learned).Append(" learned (cookie feature 0x")
          .Append(CookieLayout.LearnedFeature.ToString("x2")).Append("), ").Append(foreign.Count - learned).Append(" with another cookie, ")
          .Append(foreignGroups.Count).Append(" groups outside the owned id range\n");
        foreach (var f in foreign) sb.Append(' ').Append(f.Text).Append('\n');
        foreach (var g in foreignGroups) sb.Append(' ').Append(g.Text).Append('\n');
        }
        return (sb.ToString(), !diff.IsEmpty);
    }
}
