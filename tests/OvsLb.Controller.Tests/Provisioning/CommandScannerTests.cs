namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// The extraction rules of <see cref="ShellCommandScanner"/> and <see cref="SourceCommands"/> on
/// fixtures holding each construct the project's sources use, including the ones that must yield
/// nothing (case patterns, quoted text, comments, for-lists, functions, our own scripts' paths).
/// (This file is left out of the repository scan: its strings are examples, not commands.)
/// </summary>
[TestFixture]
public class CommandScannerTests
{
    private const string Script = """
        #!/bin/bash
        # a comment with an apostrophe: don't; rm -rf
        set -euo pipefail
        readonly PY=/usr/bin/python3
        A="ip netns exec $ns"
        helper() { grep -q x "$1" 2>/dev/null || return 1; }
        case $1 in
          start | stop) tcpdump -c 1 ;;
          -h | --help) sed -n '2p;q' "$0"; exit 0 ;;
        esac
        for t in ovs-vsctl mn; do command -v "$t" >/dev/null || echo "missing: $t; run apt"; done
        out=$(awk '{ print $1 }' <"$f" | sort -u)
        echo "inside quotes: $(tr a b <<<"x")"
        [[ -x /usr/bin/foo || $x == "(y)" ]] && DEBIAN_FRONTEND=noninteractive apt-get install -y x 2>&1 | tee log
        ((n > 1)) || helper "$out"
        $A ping -c 1 192.0.2.1 9>&- &
        "$PY" -c 'import os; os.system("ls")'
        env LC_ALL=C exec sleep 1
        tests/run.sh --filter x; exec "$(dirname "$0")/../lab/provision.sh" \
          --deps-only
        mapfile -t pids < <(pgrep -f x)
        arr=(one "two three" $(seq 3))
        """;

    [Test]
    public void Shell_commands_are_first_words_of_simple_commands_with_lines()
    {
        var scan = ShellCommandScanner.Scan(Script);

        Assert.That(scan.Commands, Is.EqualTo(new (string, int)[]
        {
            ("set", 3), ("readonly", 4), ("grep", 6), ("return", 6), ("tcpdump", 8), ("sed", 9), ("exit", 9),
            ("command", 11), ("echo", 11), ("awk", 12), ("sort", 12), ("echo", 13), ("tr", 13), ("apt-get", 14), ("tee", 14),
            ("helper", 15), ("ip", 16), ("ping", 16), ("/usr/bin/python3", 17), ("env", 18), ("exec", 18), ("sleep", 18),
            ("exec", 19), ("dirname", 19), ("mapfile", 21), ("pgrep", 21), ("seq", 22),
        }));
        Assert.That(scan.Functions, Is.EquivalentTo(new[] { "helper" }));
    }

    [Test]
    public void Shell_uses_leave_out_builtins_keywords_and_the_scripts_own_functions()
    {
        var uses = SourceCommands.InShell("x.sh", Script).Select(u => u.Command).Distinct();

        Assert.That(uses, Is.EqualTo(new[] { "grep", "tcpdump", "sed", "awk", "sort", "tr", "apt-get", "tee", "ip", "ping", "/usr/bin/python3", "env", "sleep", "dirname", "pgrep", "seq" }));
    }

    [Test]
    public void A_here_document_or_an_unterminated_quote_is_refused_rather_than_guessed()
    {
        Assert.That(() => ShellCommandScanner.Scan("cat <<EOF\nrm -rf /\nEOF\n"), Throws.TypeOf<NotSupportedException>().With.Message.Contains("line 1"));
        Assert.That(() => ShellCommandScanner.Scan("echo ok\necho 'open\n"), Throws.TypeOf<FormatException>().With.Message.Contains("line 2"));
    }

    [Test]
    public void CSharp_commands_are_process_start_literals_constants_wrappers_and_netns_exec_targets()
    {
        const string code = """
            class X
            {
                private const string Tool = "ovs-testcontroller";
                // ProcessRunner.Run("commented-out", []);
                void A(NetNamespace ns)
                {
                    ProcessRunner.Run("ip", ["netns", "exec", ns.Name, "arping", "-c", "1"]);
                    ChildProcess.Start(Tool, ["-v"]);
                    var psi = new ProcessStartInfo("/usr/bin/python3");
                    ns.Exec("sysctl", "-q");
                    Spawn("ovsdb-server", []);
                    Ovslb.Run("which", "--config");
                    Run("not-a-wrapper-call");
                }
                Process Spawn(string file, IEnumerable<string> args) => ProcessRunner.Start(file, args);
            }
            """;

        var uses = SourceCommands.InCSharp("X.cs", code).Select(u => (u.Command, u.Line));

        Assert.That(uses, Is.EquivalentTo(new[]
        {
            ("ip", 7), ("arping", 7), ("ovs-testcontroller", 8), ("/usr/bin/python3", 9), ("sysctl", 10), ("ovsdb-server", 11),
        }));
    }

    [Test]
    public void Python_commands_are_subprocess_lists_list_constants_and_mininet_shell_strings()
    {
        const string code = """
            import subprocess
            OFCTL = ["ovs-ofctl", "-O", "OpenFlow13"]
            PYTHON = "/usr/bin/python3"
            # h.cmd("commented")
            def f(h, argv):
                subprocess.run(["ovs-vsctl", "show"], check=True)
                subprocess.run(OFCTL + ["dump-flows", "br0"])
                run(["tcpdump", "-r", "x"])
                subprocess.run(argv)
                h.cmd("ip addr add %s/32 dev lo; sysctl -qw x=1" % vip)
                h.cmd('kill %d 2>/dev/null; wait %d' % (pid, pid))
                h.cmd(PYTHON, "x.py")
                out = h.cmd("ping -c 1 %s | grep -c ttl" % ip)
            """;

        var uses = SourceCommands.InPython("x.py", code).Select(u => (u.Command, u.Line));

        Assert.That(uses, Is.EquivalentTo(new[]
        {
            ("ovs-vsctl", 6), ("ovs-ofctl", 7), ("tcpdump", 8), ("ip", 10), ("sysctl", 10), ("/usr/bin/python3", 12), ("ping", 13), ("grep", 13),
        }));
    }
}
