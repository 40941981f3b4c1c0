using System.Diagnostics;
using System.Globalization;

namespace OvsLb.Benchmarks;

/// <summary>
/// <c>scale --transports pipelines,dotnetty</c>: each run in a fresh process of this program, alternating (p, d, p, d), and the
/// figures side by side. A fresh process per run because the heap per connection is a difference of two heap sizes in one
/// process: pools a previous run filled (DotNetty's pooled buffer arenas, the sockets' memory pools) would count against the
/// next run's baseline, and did (3 to 40 KiB per connection where a fresh process measures 93).
/// </summary>
public static class ScaleTransports
{
    private const string Marker = "SCALE-RESULT";

    /// <summary>The line a single-run child prints for its parent: handshaken ms, reconciled ms, heap bytes per connection, CPU s, verified, problems.</summary>
    public static string ResultLine(ScaleResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{Marker} {r.Options.Transport} {r.Handshaken.TotalMilliseconds:0.0} {r.Reconciled.TotalMilliseconds:0.0} {r.HeapPerConnection:0} {r.Cpu.TotalSeconds:0.000} {r.Verified} {r.Problems}");

    public static async Task<int> RunAsync(string[] args, ScaleOptions o, IReadOnlyList<string> transports, int rounds, TextWriter w)
    {
        var results = new List<(string Transport, double[] Figures, int Verified, int Problems)>();
        var (file, pre) = ProcessFacts.Self();
        var passOn = StripOptions(args, "transports", "rounds");
        foreach (var (round, transport) in TransportRuns.Order(transports, rounds))
        {
            w.WriteLine($"=== {transport}, round {round} (fresh process)");
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var x in (string[])[.. pre, "scale", .. passOn, "--transports", transport, "--rounds", "1"]) psi.ArgumentList.Add(x);
            using var p = Process.Start(psi)!;
            string? line, result = null;
            while ((line = await p.StandardOutput.ReadLineAsync()) is not null)
            {
                if (line.StartsWith(Marker + " ", StringComparison.Ordinal)) result = line;
                else w.WriteLine(line);
            }
            await p.WaitForExitAsync();
            if (result is null) throw new InvalidOperationException($"scale run on {transport} (round {round}) printed no result; exit code {p.ExitCode}");
            var f = result.Split(' ');
            results.Add((transport, [.. f[2..6].Select(v => double.Parse(v, CultureInfo.InvariantCulture))],
                int.Parse(f[6], CultureInfo.InvariantCulture), int.Parse(f[7], CultureInfo.InvariantCulture)));
        }
        IReadOnlyList<double> Of(string tr, int i) => [.. results.Where(r => r.Transport == tr).Select(r => r.Figures[i])];
        TransportRuns.PrintTable(w, $"scale, {o.Switches} switches x {o.Flows} flows, fakes {(o.FakesInChildProcess ? "in a child process" : "in the measured process")}, a fresh process per run, median of {rounds} round(s)", transports,
        [
            ("all handshaken", false, tr => Of(tr, 0), "ms"),
            ("all reconciled", false, tr => Of(tr, 1), "ms"),
            ("managed heap per connection", false, tr => [.. Of(tr, 2).Select(b => b / 1024)], "KiB"),
            ("process CPU time", false, tr => Of(tr, 3), "s"),
        ]);
        return results.All(r => r.Verified == o.Switches && r.Problems == 0) ? 0 : 1;
    }

    /// <summary><paramref name="args"/> without the named <c>--name value</c> options.</summary>
    private static List<string> StripOptions(string[] args, params string[] names)
    {
        var kept = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (names.Any(n => args[i] == "--" + n)) i++;
            else kept.Add(args[i]);
        }
        return kept;
    }
}
