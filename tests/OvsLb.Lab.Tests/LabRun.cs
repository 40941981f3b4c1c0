using System.Reflection;
using System.Text.RegularExpressions;

namespace OvsLb.Lab.Tests;

/// <summary>One check line of the lab's report: <c>  [PASS] tcp      100/100 connections ...</c>.</summary>
public sealed record CheckLine(string Mode, bool Passed, string Name, string Detail);

/// <summary>
/// A finished <c>lab/run.sh</c>: exit code, everything it printed, and its report parsed into check
/// lines and RESULT lines per mode.
/// </summary>
public sealed partial record LabRun(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>The source tree (recorded at build time: the test binaries may live elsewhere).</summary>
    public static string RepoRoot { get; } = typeof(LabRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    /// <summary>
    /// Runs <c>lab/run.sh ARGS</c> to its end (see <see cref="LabProcess"/>). On timeout it gets
    /// SIGTERM first (its trap stops the topology, the controller and the OVS it started) and is
    /// killed only if that cleanup hangs.
    /// </summary>
    public static LabRun Start(TimeSpan timeout, params string[] args)
    {
        using var lab = LabProcess.Start(args);
        return lab.WaitForExit(timeout);
    }

    /// <summary>The directory a failed run kept its logs in ("lab: logs kept in DIR"), or null.</summary>
    public string? KeptLogs => KeptRegex().Match(Output) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>Every <c>[PASS]</c>/<c>[FAIL]</c> line, with the mode whose section it is in.</summary>
    public IReadOnlyList<CheckLine> Checks
    {
        get
        {
            var list = new List<CheckLine>();
            string mode = "";
            foreach (var line in Output.Split('\n'))
            {
                var header = SectionRegex().Match(line);
                if (header.Success) mode = header.Groups[1].Value;
                var m = CheckRegex().Match(line);
                if (m.Success) list.Add(new CheckLine(mode, m.Groups[1].Value == "PASS", m.Groups[2].Value, m.Groups[3].Value.TrimEnd()));
            }
            return list;
        }
    }

    public IEnumerable<CheckLine> ChecksOf(string mode, string name) => Checks.Where(c => c.Mode == mode && c.Name == name);

    /// <summary>The summary's RESULT line per mode: mode → PASS/FAIL.</summary>
    public IReadOnlyDictionary<string, string> Results =>
        ResultRegex().Matches(Output).GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.Last().Groups[2].Value);

    /// <summary>Connections per backend in a tally text: "c1 -> b1 31, b2 31, b3 38 (100 ok, 0 failed ...); c2 -> ..." summed over clients.</summary>
    public static IReadOnlyDictionary<string, int> Tally(string detail, IEnumerable<string> backends)
    {
        var names = backends.ToHashSet();
        var sum = new Dictionary<string, int>();
        foreach (Match m in TallyRegex().Matches(detail))
        {
            if (!names.Contains(m.Groups[1].Value)) continue;
            sum[m.Groups[1].Value] = sum.GetValueOrDefault(m.Groups[1].Value) + int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary>"(100 ok, 0 failed" per client, summed: (ok, failed).</summary>
    public static (int Ok, int Failed) Answered(string detail)
    {
        int ok = 0, failed = 0;
        foreach (Match m in AnsweredRegex().Matches(detail))
        {
            ok += int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            failed += int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return (ok, failed);
    }

    public override string ToString() => $"{Command} (exit {ExitCode}, {Elapsed.TotalSeconds:0.0} s):\n{Output}";

    [GeneratedRegex(@"^=== (\w+): ")]
    private static partial Regex SectionRegex();

    [GeneratedRegex(@"^  \[(PASS|FAIL)\] (\S+) +(.*)$")]
    private static partial Regex CheckRegex();

    [GeneratedRegex(@"^RESULT (\w+) (PASS|FAIL)", RegexOptions.Multiline)]
    private static partial Regex ResultRegex();

    [GeneratedRegex(@"(?<=[>,] )(\w+) (\d+)(?=[,(]| \()")]
    private static partial Regex TallyRegex();

    [GeneratedRegex(@"^lab: logs kept in (\S+)", RegexOptions.Multiline)]
    private static partial Regex KeptRegex();

    [GeneratedRegex(@"\((\d+) ok, (\d+) failed")]
    private static partial Regex AnsweredRegex();
}
