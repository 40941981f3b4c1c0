using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

/// <summary>
/// The <c>conns</c> benchmark's two ways of bounding learned connection entries, measured side by side
/// (issue 11: a configurable cap): <c>--prefill N</c> puts N connection entries into table 21 before the clock
/// starts (so a case opens its connections into a table that already holds N), and the case <c>limit</c> turns
/// the learned direct mode into OVS's own cap, <c>learn(limit=…, result_dst=…)</c>, by rewriting table 24 with
/// ovs-ofctl after the controller converged (the controller does not build it; nothing reconciles it back in
/// this run because nothing changes). The case <c>cap</c> is the learned mode with the controller's cap
/// (<c>options.maxConnections</c>) set high enough never to be reached: the cost of polling the count.
/// </summary>
public static partial class ConnsBenchmark
{
    /// <summary>The one learned cookie of the <c>limit</c> case: OVS counts a learn's limit per cookie, so a
    /// per-bridge cap needs one cookie for every backend's entries.</summary>
    public const ulong LimitCookie = 0x4c42ff00_00000001;

    /// <summary>The learn limit of the <c>limit</c> case: never reached, so only the count's cost shows.</summary>
    public const int LimitNeverReached = 10_000_000;

    [GeneratedRegex(@"cookie=0x4c42ff00[0-9a-f]{8}")]
    private static partial Regex LearnedCookieRe();

    [GeneratedRegex(@"learn\(table=21,.*?priority=(\d+),cookie=(0x[0-9a-f]+).*?load:NXM_NX_REG1\[\]->NXM_NX_REG1\[\]\)")]
    private static partial Regex LearnRe();

    [GeneratedRegex(@"reg1=(0x[0-9a-f]+)")]
    private static partial Regex Reg1Re();

    /// <summary>After convergence: rewrites table 24 for the <c>limit</c> case, then adds the prefilled entries.</summary>
    private static void PrepareLearned(OvsSandbox ovs, string kind, ConnsOptions o, TextWriter log)
    {
        var pick = ovs.Ofctl("--no-stats", "dump-flows", Bridge, "table=24").Stdout.Split('\n')
            .Select(l => l.Trim()).Where(l => l.Contains("learn(", StringComparison.Ordinal)).ToList();
        if (pick.Count == 0) throw new InvalidOperationException("no learning flow in table 24");
        var first = LearnRe().Match(pick[0]);
        if (!first.Success || !Reg1Re().Match(pick[0]).Success) throw new InvalidOperationException("unexpected pick flow: " + pick[0]);
        string priority = first.Groups[1].Value;
        string cookie = first.Groups[2].Value;
        string tag = Reg1Re().Match(pick[0]).Groups[1].Value;
        if (kind == "limit")
        {
            cookie = $"0x{LimitCookie:x16}";
            var rewritten = pick.Select(l => LearnedCookieRe().Replace(l.Replace("learn(", $"learn(limit={LimitNeverReached},result_dst=NXM_NX_REG2[0],", StringComparison.Ordinal), $"cookie={cookie}"));
            string file = Path.Combine(ovs.Dir, "cbn-limit.flows");
            File.WriteAllLines(file, rewritten);
            ovs.Ofctl("add-flows", Bridge, file);
            log.WriteLine($"  table 24 rewritten: {pick.Count} learns with limit={LimitNeverReached},result_dst=NXM_NX_REG2[0] and cookie {cookie}");
        }
        if (o.Prefill > 0)
        {
            var t = Stopwatch.StartNew();
            var sb = new StringBuilder();
            for (int i = 0; i < o.Prefill; i++)
            {
                // 10.200.0.0/16 sources that no client uses; ports 1024.. so every entry is distinct.
                sb.Append(CultureInfo.InvariantCulture, $"table=21,priority={priority},cookie={cookie},idle_timeout=3600,tcp,nw_src=10.200.{i / 50_000}.{1 + i / 250 % 200},nw_dst={Vip},tp_src={1024 + i % 250},tp_dst={ServicePort},actions=load:{tag}->NXM_NX_REG1[]\n");
            }
            string file = Path.Combine(ovs.Dir, "cbn-prefill.flows");
            File.WriteAllText(file, sb.ToString());
            ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "add-flows", Bridge, file], ovs.Env, TimeSpan.FromMinutes(10)).EnsureSuccess();
            log.WriteLine($"  prefilled table 21 with {o.Prefill} entries (cookie {cookie}) in {Table.Ms(t.Elapsed)}");
        }
    }

    /// <summary>What one poll of the learned-entry count costs, timed by ovs-ofctl and by ovs-vswitchd's CPU: an
    /// OFPMP_AGGREGATE over table 21 by the learned cookie mask (visits every entry), and OFPMP_TABLE (table stats,
    /// what the controller's cap sends every interval: OVS keeps each table's flow count).</summary>
    private static string AggregateCost(OvsSandbox ovs, Process vswitchd)
    {
        var cpu0 = Cpu.Of(vswitchd);
        var t = Stopwatch.StartNew();
        const int polls = 5;
        string last = "";
        for (int i = 0; i < polls; i++) last = ovs.Ofctl("dump-aggregate", Bridge, "table=21,cookie=0x4c42ff0000000000/0xffffffff00000000").Stdout;
        var wall = t.Elapsed / polls;
        var cpu = (Cpu.Of(vswitchd) - cpu0) / polls;
        var m = FlowCount().Match(last);
        cpu0 = Cpu.Of(vswitchd);
        t.Restart();
        for (int i = 0; i < polls; i++) ovs.Ofctl("dump-tables", Bridge);
        var tWall = t.Elapsed / polls;
        var tCpu = (Cpu.Of(vswitchd) - cpu0) / polls;
        return $"one poll of table 21 ({(m.Success ? m.Groups[1].Value : "?")} entries), mean of {polls}: aggregate {wall.TotalMilliseconds:0.0} ms wall (ovs-ofctl), {cpu.TotalMilliseconds:0.0} ms ovs-vswitchd CPU; table stats {tWall.TotalMilliseconds:0.0} ms wall, {tCpu.TotalMilliseconds:0.0} ms ovs-vswitchd CPU";
    }
}
