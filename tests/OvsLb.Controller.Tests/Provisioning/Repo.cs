using System.Reflection;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// The source tree these tests check (scripts, Vagrantfile, README), located from the path the build
/// recorded, since the test binaries may live outside the tree (OVSLB_ARTIFACTS).
/// </summary>
internal static partial class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Runs <c>lab/provision.sh</c> with <paramref name="args"/> (and extra environment variables).</summary>
    public static CommandResult Provision(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        ProcessRunner.Run("bash", [PathOf("lab/provision.sh"), .. args], env, timeout ?? TimeSpan.FromMinutes(10));

    /// <summary>The package names <c>lab/provision.sh --list</c> prints, in order.</summary>
    public static IReadOnlyList<string> ProvisionPackages()
    {
        var r = Provision(["--list"]).EnsureSuccess();
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>A step line of <c>lab/provision.sh</c>: state (<c>ok</c>, <c>todo</c>, <c>run</c>), step name, detail.</summary>
    public sealed record StepLine(string State, string Step, string Detail);

    /// <summary>The step lines in a provision.sh output (other lines, such as the build's own, are skipped).</summary>
    public static IReadOnlyList<StepLine> Steps(string output) =>
        [.. StepLineRegex().Matches(output).Select(m => new StepLine(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value.Trim()))];

    /// <summary>
    /// Every shell script in lab/, tests/ and .ci/: files named *.sh and files whose #! line runs
    /// sh or bash (such as <c>.ci/run</c>), outside build output. Paths relative to the root.
    /// </summary>
    public static IReadOnlyList<string> ShellScripts()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dir in new[] { "lab", "tests", ".ci" })
        {
            var full = PathOf(dir);
            if (!Directory.Exists(full)) continue;
            foreach (var file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(Root, file);
                var parts = rel.Split(Path.DirectorySeparatorChar);
                if (parts.Any(p => p is "bin" or "obj" or "TestResults" or "BenchmarkDotNet.Artifacts")) continue;
                if (rel.EndsWith(".sh", StringComparison.Ordinal) || IsShellShebang(file)) found.Add(rel);
            }
        }
        return [.. found];
    }

    private static bool IsShellShebang(string file)
    {
        using var reader = new StreamReader(file);
        var first = reader.ReadLine();
        return first is not null && ShellShebangRegex().IsMatch(first);
    }

    private static string FindRoot()
    {
        var recorded = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "OvsLbController.sln"))) return recorded;
        throw new DirectoryNotFoundException($"the source tree recorded at build time ('{recorded}') has no OvsLbController.sln");
    }

    [GeneratedRegex(@"^(ok|todo|run) +([a-z-]+): (.*)$", RegexOptions.Multiline)]
    private static partial Regex StepLineRegex();

    [GeneratedRegex(@"^#!\s*(\S*/)?(env\s+)?(ba|da)?sh(\s|$)")]
    private static partial Regex ShellShebangRegex();
}
