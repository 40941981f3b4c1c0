using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

/// <summary>
/// The <c>conns</c> benchmark's <c>noreuse</c> case (issue 11: what table 25 <c>reuse</c> costs): the learned direct
/// mode as it was before table 25. After the controller's first commit, table 20's service flow is rewritten with
/// ovs-ofctl without its <c>resubmit(,25)</c> (same cookie, priority and match; table 25's own flows stay, unreached),
/// so no packet matches TCP flags and no SYN is copied to the controller. The controller would put the flow back only
/// by reconciling with a read-back (a reconnect): its other reconciles diff against what it last installed, and the
/// service's desired flow does not change in this run. At its end the case checks with a dump that table 20 still lacks
/// <c>resubmit(,25)</c> (the case fails otherwise), and says whether the controller reconciled or reconnected since.
/// </summary>
public static partial class ConnsBenchmark
{
    private const string ReuseResubmit = "resubmit(,25)";

    /// <summary>Table 20's flows of the VIP, one per line, as ovs-ofctl prints them (no statistics).</summary>
    private static List<string> ServiceFlows(OvsSandbox ovs) =>
        ovs.Ofctl("--no-stats", "dump-flows", Bridge, $"table=20,tcp,nw_dst={Vip}").Stdout.Split('\n')
            .Select(l => l.Trim()).Where(l => l.StartsWith("cookie=", StringComparison.Ordinal)).ToList();

    /// <summary>Rewrites table 20's service flow without <c>resubmit(,25)</c>; returns the session's last reconcile at that moment.</summary>
    private static ReconcileResult? RewriteWithoutReuse(OvsSandbox ovs, SwitchSession session, TextWriter log)
    {
        var before = session.LastReconcile;
        var flows = ServiceFlows(ovs).Where(l => l.Contains(ReuseResubmit, StringComparison.Ordinal)).ToList();
        if (flows.Count != 1) throw new InvalidOperationException($"expected one table-20 service flow with {ReuseResubmit}, found {flows.Count}");
        string rewritten = flows[0].Replace(ReuseResubmit + ",", "", StringComparison.Ordinal);
        string file = Path.Combine(ovs.Dir, "cbn-noreuse.flows");
        File.WriteAllLines(file, [rewritten]);
        ovs.Ofctl("add-flows", Bridge, file);
        log.WriteLine($"  table 20 rewritten without {ReuseResubmit}: {rewritten}");
        return before;
    }

    /// <summary>
    /// At the end of a <c>noreuse</c> case: did the rewrite survive? Returns "" when table 20's service flow still lacks
    /// <c>resubmit(,25)</c> (nothing would take it out again once restored, so this dump decides), else why not; and, in
    /// <paramref name="note"/>, what the controller did since the rewrite (reconciles, read-back, reconnect).
    /// </summary>
    private static string RewriteLost(OvsSandbox ovs, TopologyController ctl, SwitchSession session, ReconcileResult? atRewrite, out string note)
    {
        bool sameSession = ctl.Controller.Sessions.TryGetValue(DatapathId, out var now) && ReferenceEquals(now, session);
        var last = now?.LastReconcile;
        note = !sameSession ? "the bridge reconnected (a new session, whose first reconcile reads the flows back)"
            : ReferenceEquals(last, atRewrite) ? "no reconcile since the rewrite"
            : $"reconciled since the rewrite, the last one at {last!.CompletedAt:HH:mm:ss.fff}: read back {last.ReadBack}, {last.FlowModsSent} FLOW_MODs, {last.GroupModsSent} GROUP_MODs (same session)";
        var flows = ServiceFlows(ovs);
        if (flows.Count != 1) return $"table 20 has {flows.Count} service flows for {Vip}";
        if (flows[0].Contains(ReuseResubmit, StringComparison.Ordinal)) return "table 20's service flow has resubmit(,25) again: " + flows[0];
        return "";
    }

    [GeneratedRegex(@"tcp_flags\(([^)]*)\)")]
    private static partial Regex TcpFlagsRe();

    /// <summary>
    /// The datapath's megaflows counted by their tcp_flags match (<c>dpctl/dump-flows</c>; "any" when a flow does not
    /// match the flags), most first: how table 25's flag matches (syn, ack, fin, rst) split a connection's packets.
    /// </summary>
    private static string TcpFlagsMasks(OvsUnixctl ctl)
    {
        var counts = ctl.Call("dpctl/dump-flows").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => TcpFlagsRe().Match(l)).GroupBy(m => m.Success ? m.Groups[1].Value : "any")
            .Select(g => (Mask: g.Key, Count: g.Count())).OrderByDescending(g => g.Count).ToList();
        return counts.Count == 0 ? "none" : string.Join(", ", counts.Select(g => $"{g.Mask}: {g.Count}"));
    }

    /// <summary>Table 25's cost: <c>learn</c> as a ratio to <c>noreuse</c> of the same round, one line per round with both.</summary>
    private static void PrintReuseRatios(IReadOnlyList<ConnsCaseResult> results, ConnsOptions o, TextWriter w)
    {
        static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);
        for (int round = 1; round <= o.Rounds; round++)
        {
            string suffix = o.Rounds > 1 ? $" #{round}" : "";
            var b = results.FirstOrDefault(r => r.Case == "noreuse" + suffix);
            var l = results.FirstOrDefault(r => r.Case == "learn" + suffix);
            if (b is null || l is null) continue;
            w.WriteLine($"ratio learn / noreuse{suffix} (table 25's cost; prefill {o.Prefill}): setup rate {F(l.Rate / b.Rate, "0.00")}; ovs-vswitchd CPU per connection while opening {F(l.VswitchdCpuOpen / Math.Max(1, l.Opened) / (b.VswitchdCpuOpen / Math.Max(1, b.Opened)), "0.00")}; " +
                $"upcalls while opening {F(l.UpcallsOpen / (double)Math.Max(1, b.UpcallsOpen), "0.00")}; RSS delta per connection {F(l.RssPerConnection / b.RssPerConnection, "0.00")}; megaflows after opening {F(l.AfterOpen.Megaflows / (double)b.AfterOpen.Megaflows, "0.00")}, after verifying {F(l.Loaded.Megaflows / (double)b.Loaded.Megaflows, "0.00")}");
        }
    }
}
