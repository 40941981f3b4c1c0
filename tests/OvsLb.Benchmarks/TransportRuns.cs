using System.Globalization;
using OvsLb.Runtime.Transport;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Benchmarks;

/// <summary>
/// The <c>--transports pipelines,dotnetty</c> option of packetin, scale and lbscale (issue 10, item 4): which transports
/// carry the controller's connections, run alternating (p, d, p, d) in one process so machine load hits both alike,
/// and each figure printed with its DotNetty/Pipelines ratio.
/// </summary>
public static class TransportRuns
{
    /// <summary>The transports named by <c>--transports</c> (default both, Pipelines first); registers "dotnetty" as <c>ovslb</c> does.</summary>
    public static IReadOnlyList<string> Parse(Options a)
    {
        Transports.Register(DotNettyTransport.TransportName, () => new DotNettyTransport());
        var names = a.String("transports", $"{PipelinesTransport.TransportName},{DotNettyTransport.TransportName}")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names)
        {
            if (!Transports.IsKnown(n)) throw new ArgumentException($"--transports: '{n}' is not one of {string.Join(", ", Transports.Names)}");
        }
        return names.Length > 0 ? names : throw new ArgumentException("--transports: name at least one transport");
    }

    /// <summary>The run order: <paramref name="rounds"/> passes over the transports (p, d, p, d for two rounds).</summary>
    public static IEnumerable<(int Round, string Transport)> Order(IReadOnlyList<string> transports, int rounds) =>
        Enumerable.Range(1, rounds).SelectMany(r => transports.Select(t => (r, t)));

    /// <summary>
    /// One row per figure: its median per transport over the rounds (all values in brackets when more than one), and
    /// DotNetty/Pipelines of the medians when both ran. <paramref name="higherIsBetter"/> says which way "worse" points.
    /// </summary>
    public static void PrintTable(TextWriter w, string title, IReadOnlyList<string> transports,
        IReadOnlyList<(string Figure, bool HigherIsBetter, Func<string, IReadOnlyList<double>> Values, string Unit)> figures)
    {
        w.WriteLine();
        w.WriteLine($"Transports: {title}");
        bool both = transports.Contains(PipelinesTransport.TransportName) && transports.Contains(DotNettyTransport.TransportName);
        var rows = figures.Select(f =>
        {
            var cells = new List<string> { f.Figure };
            foreach (var t in transports)
            {
                var v = f.Values(t);
                cells.Add(v.Count == 0 ? "-" : $"{Fmt(Median(v))} {f.Unit}" + (v.Count > 1 ? $" ({string.Join(", ", v.Select(Fmt))})" : ""));
            }
            if (both)
            {
                double p = Median(f.Values(PipelinesTransport.TransportName)), d = Median(f.Values(DotNettyTransport.TransportName));
                double ratio = d / p;
                double worse = f.HigherIsBetter ? 1 - ratio : ratio - 1;
                cells.Add(string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}") + (worse > 0.15 ? " (dotnetty worse by more than 15 %)" : ""));
            }
            return (IReadOnlyList<string>)cells;
        }).ToList();
        Table.Print(w, ["figure", .. transports, .. (IEnumerable<string>)(both ? ["dotnetty/pipelines"] : [])], rows);
        w.WriteLine($"load average: {LoadAverage()}");
    }

    public static double Median(IReadOnlyList<double> v)
    {
        if (v.Count == 0) return double.NaN;
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>/proc/loadavg's three averages (the machine is shared; figures beside it read as ratios).</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string Fmt(double v) => v.ToString(Math.Abs(v) >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture);
}
