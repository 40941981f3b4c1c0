using OvsLb.Pipeline;
using OvsLb.State;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb flows --config FILE --bridge NAME [--ports name=no,...] [--down svc/backend,...] [--switch TARGET] [--plain | --plain-groups]</c>:
/// the flows and groups the controller wants on a bridge, computed from the configuration alone, in
/// <c>ovs-ofctl --no-stats dump-flows</c> / <c>dump-groups</c> syntax. By default annotated: a comment
/// per table (number, name, purpose) and per group (its service and how many buckets each backend
/// owns). <c>--plain</c> prints only the flow lines, exactly as in <c>flows/&lt;scenario&gt;/&lt;bridge&gt;.flows.txt</c>;
/// <c>--plain-groups</c> only the group lines (<c>.groups.txt</c>).
/// </summary>
public static class FlowsCommand
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) => CommandLine.RunVerbAsync("flows", stderr, async () =>
    {
        var a = BridgeArgs.Parse("flows", args, "--plain", "--plain-groups");
        if (a.Flags.Contains("--plain") && a.Flags.Contains("--plain-groups")) throw new UsageException("--plain and --plain-groups exclude each other (one prints the flows file, the other the groups file)");
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        var dp = await DebugPlan.BuildAsync(a, readInstalled: a.Switch is not null).ConfigureAwait(false);
        foreach (var w in dp.Plan.Warnings) await stderr.WriteLineAsync($"ovslb flows: warning: {w}").ConfigureAwait(false);
        if (a.Flags.Contains("--plain")) foreach (var l in OrderedFlows(dp.Plan.State)) await stdout.WriteLineAsync(l.Text).ConfigureAwait(false);
        else if (a.Flags.Contains("--plain-groups")) foreach (var l in dp.Plan.State.GroupLines()) await stdout.WriteLineAsync(l).ConfigureAwait(false);
        else await stdout.WriteAsync(Annotated(dp)).ConfigureAwait(false);
        return CommandLine.ExitOk;
    });

    /// <summary>Flows in pipeline order, as a reader follows them: table, then priority high to low, then text.</summary>
    public static IReadOnlyList<FlowEntry> OrderedFlows(SwitchState s) =>
        s.Flows.Values.OrderBy(f => f.TableId).ThenByDescending(f => f.Priority).ThenBy(f => f.Text, StringComparer.Ordinal).ToList();

    /// <summary>The annotated listing: table headers, flows, then groups with their service and bucket shares.</summary>
    public static string Annotated(DebugPlan dp)
    {
        var sb = new System.Text.StringBuilder();
        var state = dp.Plan.State;
        string source = dp.Switch is null ? "ports from --ports and the configuration, all up" : $"ports from the switch (datapath {dp.Switch.DatapathId:x16})";
        sb.Append("# ovslb flows: bridge ").Append(dp.Bridge.Name).Append(" from ").Append(dp.ConfigPath).Append(": ")
          .Append(state.Flows.Count).Append(" flows, ").Append(state.Groups.Count).Append(state.Groups.Count == 1 ? " group; " : " groups; ").Append(source).Append('\n');
        if (dp.View.DownBackends.Count > 0) sb.Append("# backends held down: ").Append(string.Join(", ", dp.View.DownBackends.Order(StringComparer.Ordinal))).Append('\n');
        var byTable = OrderedFlows(state).GroupBy(f => f.TableId).ToDictionary(g => g.Key, g => g.ToList());
        var tables = LbPipeline.Tables.Select(t => t.Id).Concat(byTable.Keys).Distinct().Order();
        foreach (byte id in tables)
        {
            var t = LbPipeline.ById(id);
            sb.Append("\n# table=").Append(id).Append(' ').Append(t?.Name ?? "(not a pipeline table)").Append(": ").Append(t?.Purpose ?? "").Append('\n');
            if (!byTable.TryGetValue(id, out var flows))
            {
                sb.Append("#   (no flows on this bridge)\n");
                continue;
            }
            foreach (var f in flows) sb.Append(f.Text).Append('\n');
        }
        sb.Append("\n# groups: one select group per TCP service with a live backend (OVS picks bucket dp_hash & (buckets-1)); per UDP service, one fast-failover group per live backend on a local port (table 27's slot flows use them)\n");
        if (state.Groups.Count == 0) sb.Append("#   (none)\n");
        IReadOnlyDictionary<string, uint>? failover = null;
        foreach (var g in state.Groups.Values.OrderBy(g => g.GroupId))
        {
            var sp = dp.Plan.Services.FirstOrDefault(p => p.GroupId == g.GroupId);
            if (sp is not null)
            {
                var s = sp.Service;
                var shares = sp.SlotKeys.GroupBy(k => k).ToDictionary(x => x.Key, x => x.Count());
                string owners = string.Join(", ", sp.LiveBackends.Select(b => $"{b.Name} ×{shares.GetValueOrDefault(PipelineBuilder.BackendKey(s, b))}"));
                sb.Append("# group ").Append(g.GroupId).Append(": service '").Append(s.Name).Append("' (")
                  .Append(s.Protocol.ToString().ToLowerInvariant()).Append(' ').Append(string.Join(" and ", s.Views().Select(v => v.IsIpv6 ? $"[{v.Vip6}]" : v.Vip.ToString()).Select(x => x + ":" + (s.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "*"))))
                  .Append(", ").Append(s.Mode.ToString().ToLowerInvariant()).Append("), ").Append(g.Buckets.Length).Append(" buckets: ").Append(owners).Append('\n');
            }
            else if (g.Type == OpenFlow.Messages.Groups.GroupType.FastFailover && g.Buckets.Length > 0
                && (failover ??= PipelineBuilder.AssignFailoverGroupIds(dp.Config, dp.Settings.GroupIdFirst, dp.Settings.GroupIdLast)).FirstOrDefault(x => x.Value == g.GroupId).Key is string owner)
            {
                sb.Append("# group ").Append(g.GroupId).Append(": UDP slot owner '").Append(owner).Append("' (fast failover: its port ").Append(g.Buckets[0].WatchPort)
                  .Append(", then ").Append(g.Buckets.Length - 1).Append(" live backup(s))\n");
            }
            sb.Append(g.Text).Append('\n');
        }
        if (state.Meters.Count > 0)
        {
            sb.Append("\n# meters: rate limits of what the flows send to the controller (packets/s): 1 the onEmpty \"reject\" flows (table 20), 2 the renewal of reused connection entries (table 25)\n");
            foreach (var m in state.MeterLines()) sb.Append(m).Append('\n');
        }
        return sb.ToString();
    }
}
