using System.Globalization;
using OvsLb.Controller.Cli;

namespace OvsLb.Controller.Tests;

/// <summary>Runs <c>ovslb</c> verbs in-process (the same <see cref="CommandLine.RunAsync"/> Program.cs calls)
/// and reads the golden scenarios under <c>flows/</c> copied next to the test binaries.</summary>
internal static class Ovslb
{
    public static readonly string[] Scenarios = ["direct", "translate", "portgroup", "distributed", "ipv6", "dualstack"];

    /// <summary>How long an in-process verb may run before the test calls it hung.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(2);

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var run = CommandLine.RunAsync(args, stdout, stderr);
        // A verb that hangs fails its test instead of the whole run (a probe once waited for ever: ProbeCapture.Left).
        if (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(HangLimit))
            throw new TimeoutException($"ovslb {string.Join(' ', args)} did not finish within {HangLimit.TotalSeconds:0} s; stdout so far:\n{stdout}\nstderr:\n{stderr}");
        int code = run.GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    public static string Dir(string scenario) => Path.Combine(AppContext.BaseDirectory, "flows", scenario);
    public static string Config(string scenario) => Path.Combine(Dir(scenario), "config.json");

    /// <summary>The scenario's ports.txt: (bridge, ofport, name) per line.</summary>
    public static IReadOnlyList<(string Bridge, uint No, string Name)> Ports(string scenario) =>
        File.ReadAllLines(Path.Combine(Dir(scenario), "ports.txt"))
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(t => t.Length >= 3 && !t[0].StartsWith('#'))
            .Select(t => (t[0], uint.Parse(t[1], CultureInfo.InvariantCulture), t[2]))
            .ToList();

    /// <summary>The <c>--ports</c> value for one bridge of a scenario.</summary>
    public static string PortsArg(string scenario, string bridge) =>
        string.Join(",", Ports(scenario).Where(p => p.Bridge == bridge).Select(p => $"{p.Name}={p.No}"));

    public static IEnumerable<string> Bridges(string scenario) => Ports(scenario).Select(p => p.Bridge).Distinct();

    /// <summary>Non-empty lines.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A temporary file removed on dispose.</summary>
    public sealed class TempFile : IDisposable
    {
        public TempFile(string text, string ext = ".json")
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ovslb-test-{Guid.NewGuid():N}{ext}");
            File.WriteAllText(Path, text);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
