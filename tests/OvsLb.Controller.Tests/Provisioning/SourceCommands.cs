using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// The programs the repository's code runs, read from its sources (src/, tests/, lab/ and the shell
/// scripts of .ci/), for <see cref="ProvisionedCommandsTests"/>. Rules, per language:
/// <list type="bullet">
/// <item>C#: the string literal first argument of <c>ProcessRunner.Run/Start</c>, <c>ChildProcess.Start</c>
/// and <c>new ProcessStartInfo</c>, or a <c>const string</c> of the same file named there; the literal
/// first argument of a same-file wrapper, i.e. a method whose <c>string</c> first parameter is passed
/// to one of those (<c>Spawn("ovsdb-server", ...)</c>); the literal after <c>"netns", "exec", NS,</c>;
/// the literal first argument of <c>.Exec(...)</c> (NetNamespace.Exec runs it in a namespace).</item>
/// <item>Python: the first string of a list literal passed to <c>subprocess.*</c>, <c>run</c> or
/// <c>Popen</c>, or of a module constant list <c>NAME = ["cmd", ...]</c> passed as <c>NAME + ...</c>; the
/// string given to Mininet's <c>.cmd/.cmdPrint/.sendCmd/.popen/.pexec</c> or <c>os.system</c>, read as
/// a shell command line (Mininet runs it in bash), or the module string constant given instead.</item>
/// <item>Shell: <see cref="ShellCommandScanner"/>, less the functions each script defines.</item>
/// </list>
/// Commands run through a shell (shell scripts, Mininet strings) that are bash builtins or keywords
/// (<c>compgen -b</c>, <c>compgen -k</c>) are dropped; a literal exec'd directly (C#, subprocess) is a
/// program even when bash has a builtin of that name. Comment lines are skipped, and so is
/// <see cref="OwnFixtures"/>, whose strings are examples for the scanners.
/// </summary>
internal static partial class SourceCommands
{
    public const string OwnFixtures = "tests/OvsLb.Controller.Tests/Provisioning/CommandScannerTests.cs";

    private static readonly string[] SkippedDirs = ["bin", "obj", "TestResults", "BenchmarkDotNet.Artifacts"];

    private static readonly Lazy<HashSet<string>> Builtins = new(() =>
        [.. ProcessRunner.Run("bash", ["-c", "compgen -b; compgen -k"]).EnsureSuccess().Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);

    /// <summary>Every command use in the repository, in file order.</summary>
    public static IReadOnlyList<CommandUse> InRepository()
    {
        var uses = new List<CommandUse>();
        foreach (var file in SourceFiles(["src", "tests"], "*.cs")) uses.AddRange(InCSharp(file, Repo.Read(file)));
        foreach (var file in SourceFiles(["lab", "tests"], "*.py")) uses.AddRange(InPython(file, Repo.Read(file)));
        foreach (var file in Repo.ShellScripts()) uses.AddRange(InShell(file, Repo.Read(file)));
        return uses;
    }

    public static IEnumerable<CommandUse> InCSharp(string file, string text)
    {
        text = BlankCommentLines(text, "//");
        var constants = CsConstRegex().Matches(text).GroupBy(m => m.Groups["id"].Value).ToDictionary(g => g.Key, g => g.First().Groups["value"].Value);
        var starts = CsStartRegex().Matches(text).ToList();
        var wrappers = CsMethodRegex().Matches(text)
            .Where(m => starts.Any(s => s.Groups["id"].Value == m.Groups["param"].Value))
            .Select(m => m.Groups["name"].Value).ToHashSet();
        foreach (var m in starts)
        {
            var command = m.Groups["literal"].Success ? m.Groups["literal"].Value : constants.GetValueOrDefault(m.Groups["id"].Value);
            if (command is not null) yield return Use(command, file, text, m.Index);
        }
        foreach (Match m in CsCallRegex().Matches(text))
        {
            if (wrappers.Contains(m.Groups["name"].Value)) yield return Use(m.Groups["literal"].Value, file, text, m.Index);
        }
        foreach (Match m in CsNetnsExecRegex().Matches(text)) yield return Use(m.Groups["literal"].Value, file, text, m.Groups["literal"].Index);
        foreach (Match m in CsExecRegex().Matches(text)) yield return Use(m.Groups["literal"].Value, file, text, m.Index);
    }

    public static IEnumerable<CommandUse> InPython(string file, string text)
    {
        text = BlankCommentLines(text, "#");
        var lists = PyListConstRegex().Matches(text).GroupBy(m => m.Groups["id"].Value).ToDictionary(g => g.Key, g => g.First().Groups["value"].Value);
        var strings = PyStringConstRegex().Matches(text).GroupBy(m => m.Groups["id"].Value).ToDictionary(g => g.Key, g => g.First().Groups["value"].Value);
        foreach (Match m in PyListCallRegex().Matches(text)) yield return Use(m.Groups["value"].Value, file, text, m.Index);
        foreach (Match m in PyConstCallRegex().Matches(text))
        {
            if (lists.TryGetValue(m.Groups["id"].Value, out var command)) yield return Use(command, file, text, m.Index);
        }
        foreach (Match m in PyShellRegex().Matches(text))
        {
            var line = LineOf(text, m.Index);
            var commandLine = m.Groups["value"].Success ? m.Groups["value"].Value : strings.GetValueOrDefault(m.Groups["id"].Value);
            if (commandLine is null) continue;
            foreach (var (command, offset) in ShellCommandScanner.Scan(commandLine).Commands)
            {
                if (!Builtins.Value.Contains(command)) yield return new CommandUse(command, file, line + offset - 1);
            }
        }
    }

    public static IEnumerable<CommandUse> InShell(string file, string text)
    {
        var scan = ShellCommandScanner.Scan(text);
        return scan.Commands.Where(c => !Builtins.Value.Contains(c.Command) && !scan.Functions.Contains(c.Command))
            .Select(c => new CommandUse(c.Command, file, c.Line));
    }

    private static IEnumerable<string> SourceFiles(string[] dirs, string pattern) =>
        dirs.Where(d => Directory.Exists(Repo.PathOf(d)))
            .SelectMany(d => Directory.EnumerateFiles(Repo.PathOf(d), pattern, SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(Repo.Root, f))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(SkippedDirs.Contains) && f != OwnFixtures)
            .Order(StringComparer.Ordinal);

    private static CommandUse Use(string command, string file, string text, int index) => new(command, file, LineOf(text, index));

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    /// <summary>Lines whose first non-blank text is MARKER, blanked (lengths and line numbers kept).</summary>
    private static string BlankCommentLines(string text, string marker) =>
        string.Join('\n', text.Split('\n').Select(l => l.TrimStart().StartsWith(marker, StringComparison.Ordinal) ? new string(' ', l.Length) : l));

    [GeneratedRegex(@"(?:ProcessRunner\.(?:Run|Start)|ChildProcess\.Start|new\s+ProcessStartInfo)\(\s*(?:""(?<literal>[^""\\{}]+)""|(?<id>[A-Za-z_]\w*)\s*[,)])")]
    private static partial Regex CsStartRegex();

    [GeneratedRegex(@"\bconst\s+string\s+(?<id>\w+)\s*=\s*""(?<value>[^""]+)""")]
    private static partial Regex CsConstRegex();

    [GeneratedRegex(@"\b(?<name>[A-Z]\w*)\(\s*string\s+(?<param>\w+)\b")]
    private static partial Regex CsMethodRegex();

    [GeneratedRegex(@"(?<![\w.])(?<name>[A-Z]\w*)\(\s*""(?<literal>[^""\\{}]+)""")]
    private static partial Regex CsCallRegex();

    [GeneratedRegex(@"""netns"",\s*""exec"",\s*[^,\]\)""]+,\s*""(?<literal>[^""]+)""")]
    private static partial Regex CsNetnsExecRegex();

    [GeneratedRegex(@"\.Exec\(\s*\[?\s*""(?<literal>[^""]+)""")]
    private static partial Regex CsExecRegex();

    [GeneratedRegex(@"\b(?:subprocess\.\w+|run|Popen)\(\s*\[\s*(?<q>['""])(?<value>[^'""]+)\k<q>")]
    private static partial Regex PyListCallRegex();

    [GeneratedRegex(@"\b(?:subprocess\.\w+|run|Popen)\(\s*(?<id>[A-Z_][A-Z0-9_]*)\s*\+")]
    private static partial Regex PyConstCallRegex();

    [GeneratedRegex(@"^(?<id>[A-Z_][A-Z0-9_]*)\s*=\s*\[\s*(?<q>['""])(?<value>[^'""]+)\k<q>", RegexOptions.Multiline)]
    private static partial Regex PyListConstRegex();

    [GeneratedRegex(@"^(?<id>[A-Z_][A-Z0-9_]*)\s*=\s*(?<q>['""])(?<value>[^'""]+)\k<q>\s*$", RegexOptions.Multiline)]
    private static partial Regex PyStringConstRegex();

    [GeneratedRegex(@"(?:\.(?:cmd|cmdPrint|sendCmd|popen|pexec)|\bos\.system)\(\s*(?:(?<q>['""])(?<value>(?:\\.|(?!\k<q>)[^\\\n])*)\k<q>|(?<id>[A-Z_][A-Z0-9_]*)\s*[,)])")]
    private static partial Regex PyShellRegex();
}
