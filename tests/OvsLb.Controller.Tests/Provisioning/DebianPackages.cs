using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// What dpkg says about commands on this machine: the file that runs, the package that owns it and
/// whether that package is on every Debian system (Essential: yes, or Priority: required, which
/// debootstrap installs even in a minimal container image). dpkg is the referee, not a hand list.
/// Queries are batched (one dpkg -S for all files): dpkg reads every package's file list per call.
/// </summary>
internal static partial class DebianPackages
{
    /// <summary>A fresh machine's PATH, without /usr/local (where nothing of Debian's lives).</summary>
    private static readonly string[] SystemDirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    public sealed record Status(bool Essential, string Priority)
    {
        public bool OnEveryMachine => Essential || Priority == "required";

        public override string ToString() => $"Priority: {Priority}, {(Essential ? "Essential" : "not Essential")}";
    }

    /// <summary>The file COMMAND (a name, or an absolute path) runs from on a fresh machine's PATH; null when it is not here.</summary>
    public static string? Locate(string command) =>
        command.StartsWith('/') ? (File.Exists(command) ? command : null)
            : SystemDirs.Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);

    /// <summary>
    /// The package owning each path (absent: none). dpkg is asked for the path itself, then the file
    /// its links end at (alternatives such as awk), then, in a system directory, its names in the
    /// other ones (/bin and /usr/bin are one directory since the /usr merge, but dpkg records the
    /// name the package shipped).
    /// </summary>
    public static Dictionary<string, string> Owners(IEnumerable<string> paths)
    {
        var candidates = paths.Distinct().ToDictionary(p => p, Candidates);
        var r = ProcessRunner.Run("dpkg", ["-S", .. candidates.Values.SelectMany(c => c).Distinct()], timeout: TimeSpan.FromMinutes(2));
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in OwnerLineRegex().Matches(r.Stdout)) owners.TryAdd(m.Groups["path"].Value, m.Groups["pkg"].Value);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, names) in candidates)
        {
            if (names.Select(n => owners.GetValueOrDefault(n)).FirstOrDefault(o => o is not null) is { } owner) result[path] = owner;
        }
        return result;
    }

    public static Dictionary<string, Status> StatusOf(IEnumerable<string> packages)
    {
        var list = packages.Distinct().ToList();
        var result = new Dictionary<string, Status>(StringComparer.Ordinal);
        if (list.Count == 0) return result;
        var q = ProcessRunner.Run("dpkg-query", ["-W", "-f=${Package}|${Essential}|${Priority}\n", .. list]).EnsureSuccess();
        foreach (var line in q.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('|');
            result[parts[0]] = new Status(parts[1] == "yes", parts[2]);
        }
        return result;
    }

    private static List<string> Candidates(string path)
    {
        string? target = null;
        try
        {
            target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
        }
        var name = Path.GetFileName(path);
        var aliases = SystemDirs.Contains(Path.GetDirectoryName(path)) ? SystemDirs.Select(d => $"{d}/{name}") : [];
        return [.. new[] { path, target }.OfType<string>().Concat(aliases).Distinct()];
    }

    /// <summary>"pkg: /path", "pkg:amd64: /path" or "pkg1, pkg2: /path" (the first package); not "diversion by ...".</summary>
    [GeneratedRegex(@"^(?!diversion by )(?<pkg>[a-z0-9][a-z0-9.+-]+)(:[a-z0-9]+)?(, [^:]+)?: (?<path>/.*)$", RegexOptions.Multiline)]
    private static partial Regex OwnerLineRegex();
}
