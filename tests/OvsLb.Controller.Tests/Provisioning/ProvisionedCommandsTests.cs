using System.Text.RegularExpressions;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// A fresh Debian 12 machine gets every program the code runs: CI starts from a bare machine and
/// installs only <c>lab/provision.sh</c>'s PACKAGES (plus the .NET SDK), so a test calling a tool that
/// happens to be installed here (arping was one) passes here and fails there. Each command found in
/// src/, tests/, lab/ and .ci/ must come from a package that PACKAGES lists (<c>provision.sh --list</c>)
/// or that every Debian system has (Essential: yes or Priority: required); dpkg on this machine says
/// which package owns the file the command runs from (/usr/sbin, /usr/bin, /sbin, /bin). A failure
/// names the command, the file:line running it and its package. Extraction (details and fixtures in
/// <see cref="SourceCommands"/>, <see cref="ShellCommandScanner"/>, <see cref="CommandScannerTests"/>):
/// <list type="bullet">
/// <item>C#: string literals (or same-file <c>const string</c>s) first in <c>ProcessRunner.Run/Start</c>,
/// <c>ChildProcess.Start</c>, <c>new ProcessStartInfo</c> and same-file wrappers of them; the literal
/// after <c>"netns", "exec", NS,</c>; the first literal of <c>.Exec(...)</c>.</item>
/// <item>Python: the first string of a list given to <c>subprocess.*</c>/<c>run</c>/<c>Popen</c> (also
/// through a <c>NAME = ["cmd", ...]</c> constant); Mininet <c>.cmd(...)</c>-style and <c>os.system</c>
/// strings, read as shell.</item>
/// <item>Shell: first words of simple commands (also in <c>$(...)</c>, after <c>exec</c>/<c>env</c>/
/// <c>ip netns exec NS</c>, and through <c>$VAR</c> with one literal value); not case patterns, quoted
/// text, comments, for-lists, functions the script defines, or relative paths (our own scripts).</item>
/// <item>Bash builtins and keywords (<c>compgen -b</c>/<c>-k</c>) are dropped where a shell runs the
/// command; comment lines are skipped.</item>
/// </list>
/// </summary>
[TestFixture]
public partial class ProvisionedCommandsTests
{
    /// <summary>Commands that do not come from PACKAGES, and why that is right. Each must still be used.</summary>
    private static readonly Dictionary<string, string> NotFromPackages = new(StringComparer.Ordinal)
    {
        // provision.sh's dotnet step installs the SDK (apt's dotnet-sdk-10.0, else dotnet-install.sh,
        // which dpkg knows nothing about).
        ["dotnet"] = "the .NET SDK, from provision.sh's dotnet step",
        // Used only by that step when it falls back to dotnet-install.sh, which installs curl right
        // before (with ca-certificates).
        ["curl"] = "installed by provision.sh's dotnet step where it needs it",
        // Called only when /run/systemd/system exists, i.e. systemd runs (and so is installed);
        // without it (a container) the lab and the tests use ovs-ctl.
        ["systemctl"] = "only used where systemd is running",
    };

    private static readonly Lazy<IReadOnlyList<CommandUse>> Uses = new(SourceCommands.InRepository);

    /// <summary>The commands of PACKAGES' PACKAGE:COMMAND entries: the proof of a package even where it is not installed.</summary>
    private static readonly Lazy<HashSet<string>> ListedCommands = new(() =>
    {
        var array = PackagesArrayRegex().Match(Repo.Read("lab/provision.sh"));
        Assert.That(array.Success, Is.True, "no readonly PACKAGES=( ... ) in lab/provision.sh");
        return [.. PackageEntryRegex().Matches(array.Groups[1].Value).Select(m => m.Groups[1].Value)];
    });

    [Test]
    public void Every_command_the_code_runs_comes_from_a_listed_or_essential_package()
    {
        var uses = Uses.Value;
        // The scan finds the tools the suite is known to run (so an extraction that finds nothing fails).
        Assert.That(uses.Select(u => u.Command).Distinct(), Is.SupersetOf(new[]
            { "arping", "ping", "tcpdump", "tshark", "ip", "ss", "sysctl", "ps", "python3", "ovs-vsctl", "ovs-ofctl", "ovs-testcontroller", "shellcheck", "dpkg-query" }));

        Assert.That(ListedCommands.Value, Is.SupersetOf(new[] { "ovs-vswitchd", "arping", "sysctl", "vagrant" }), "PACKAGE:COMMAND entries read from lab/provision.sh");

        var problems = Problems(uses, Repo.ProvisionPackages(), log: true);

        Assert.That(problems, Is.Empty, "lab/provision.sh's PACKAGES misses what a fresh Debian 12 lacks:\n" + string.Join("\n", problems));
    }

    [Test]
    public void Without_iputils_arping_and_tcpdump_listed_the_check_names_their_commands_uses_and_packages()
    {
        var uses = Uses.Value;
        var listed = Repo.ProvisionPackages();
        Assert.That(listed, Is.SupersetOf(new[] { "iputils-arping", "tcpdump" }));

        var problems = Problems(uses, [.. listed.Where(p => p is not ("iputils-arping" or "tcpdump"))]);

        Assert.That(problems, Has.Count.EqualTo(2), string.Join("\n", problems));
        Assert.That(problems[0], Does.Match(@"^arping: tests/OvsLb\.Pipeline\.Tests/PortGroupTrafficTests\.cs:\d+ .* package iputils-arping \(Priority: optional, not Essential\)"));
        Assert.That(problems[1], Does.Match(@"^tcpdump: \S+:\d+ .* package tcpdump \(Priority: optional, not Essential\)"));
        // The file:line given is a line that runs it.
        foreach (var (problem, command) in problems.Zip(new[] { "arping", "tcpdump" }))
        {
            var where = problem.Split(' ')[1].Split(':');
            Assert.That(File.ReadLines(Repo.PathOf(where[0])).ElementAt(int.Parse(where[1], System.Globalization.CultureInfo.InvariantCulture) - 1), Does.Contain(command), problem);
        }
    }

    [Test]
    public void Every_command_exempted_from_the_package_list_is_still_used()
    {
        var used = Uses.Value.Select(u => u.Command).ToHashSet();

        Assert.That(NotFromPackages.Keys.Where(c => !used.Contains(c)), Is.Empty, "exemptions for commands nothing runs any more");
    }

    /// <summary>One line per command that a fresh machine with LISTED installed may lack; with LOG, each command's verdict in the test output too.</summary>
    private static List<string> Problems(IReadOnlyList<CommandUse> uses, IReadOnlyList<string> listed, bool log = false)
    {
        var groups = uses.Where(u => !NotFromPackages.ContainsKey(u.Command)).GroupBy(u => u.Command)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (Command: g.Key, Uses: g.ToList(), Path: DebianPackages.Locate(g.Key))).ToList();
        var owners = DebianPackages.Owners(groups.Select(g => g.Path).OfType<string>());
        var statuses = DebianPackages.StatusOf(owners.Values);
        var problems = new List<string>();
        foreach (var (command, found, path) in groups)
        {
            var where = $"{found[0].Where}{(found.Count > 1 ? $" (and {found.Count - 1} more)" : "")}";
            var name = Path.GetFileName(command);
            if (log)
            {
                var verdict = path is null ? "not installed" : owners.TryGetValue(path, out var p) ? $"{p}: {(listed.Contains(p) ? "listed" : statuses[p].ToString())}" : "no package";
                TestContext.Out.WriteLine($"{command,-40} {verdict,-56} {where}");
            }
            if (path is null && ListedCommands.Value.Contains(command)) continue;   // (an optional package the apt sources lack)
            if (path is null)
            {
                problems.Add($"{command}: {where} runs it, but it is not installed here, so its package is unknown: install it and add PACKAGE:{name} to PACKAGES in lab/provision.sh");
            }
            else if (!owners.TryGetValue(path, out var package))
            {
                problems.Add($"{command}: {where} runs it, but {path} belongs to no Debian package: install it through a package, or exempt it in {nameof(ProvisionedCommandsTests)} saying why");
            }
            else if (!listed.Contains(package) && statuses[package] is { OnEveryMachine: false } status)
            {
                problems.Add($"{command}: {where} runs it; {path} is in package {package} ({status}), which a fresh Debian 12 may lack: add {package}:{name} to PACKAGES in lab/provision.sh");
            }
        }
        return problems;
    }

    [GeneratedRegex(@"^readonly PACKAGES=\((.*?)^\)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex PackagesArrayRegex();

    /// <summary>An entry line "  package:command" or "  package:command:optional".</summary>
    [GeneratedRegex(@"^\s*[a-z0-9][a-z0-9.+-]+:([^:\s]+)(?::optional)?\s*$", RegexOptions.Multiline)]
    private static partial Regex PackageEntryRegex();
}
