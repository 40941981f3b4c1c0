using System.Diagnostics;
using System.Text;
using OvsLb.Testing;

namespace OvsLb.Lab.Tests;

/// <summary>
/// A running <c>lab/run.sh</c>, started the way a terminal starts a foreground command: in a
/// process group (and session) of its own, with SIGINT at its default disposition, so a test can
/// press "Ctrl-C" (SIGINT to the whole group, as the terminal driver sends it) or kill parts of it,
/// and read what it printed so far. Disposing it stops whatever still runs (SIGTERM to the group,
/// SIGKILL if that does not end it within a minute).
/// </summary>
public sealed class LabProcess : IDisposable
{
    // setsid: a group of its own (its id is the PID: the exec keeps it). SIGINT back to its default:
    // a test host started in the background of a non-interactive shell inherits it ignored, and a
    // shell cannot trap a signal ignored on entry. SIGPIPE too (Python ignores it for itself).
    private const string Launcher =
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
        + "os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private LabProcess(string[] args)
    {
        Args = args;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-c", Launcher, "bash", Path.Combine(LabRun.RepoRoot, "lab", "run.sh"), .. args]) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>lab/run.sh ARGS</c>.</summary>
    public static LabProcess Start(params string[] args) => new(args);

    public string[] Args { get; }

    /// <summary>run.sh's PID, which is also its process group's id.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything printed so far (stdout and stderr, line by line).</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails the test (with the output) if it does not within <paramref name="timeout"/>.</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        if (!ProcessRunner.WaitUntil(() => Output.Contains(text, StringComparison.Ordinal) || _process.HasExited, timeout)
            || !Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.Fail($"lab/run.sh {string.Join(' ', Args)} did not print '{text}' within {timeout.TotalSeconds:0} s; its output:\n{Output}");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to run.sh's whole process group (what a terminal does on Ctrl-C).</summary>
    public void SignalGroup(int signal) => Posix.Kill(-Pid, signal);

    /// <summary>
    /// The PID of the topology script run.sh is running (<c>lab/MODE/topo.py</c>, a child of run.sh).
    /// </summary>
    public int TopologyPid(string mode)
    {
        var needle = $"lab/{mode}/topo.py";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                if (ppid == Pid && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(needle, StringComparison.Ordinal)) return pid;
            }
            catch (IOException)
            {
                // the process ended while we looked
            }
        }
        throw new InvalidOperationException($"no {needle} under lab/run.sh (pid {Pid}); its output:\n{Output}");
    }

    /// <summary>Whether <paramref name="pid"/> is (still) a <c>lab/MODE/topo.py</c> process.</summary>
    public static bool IsTopology(int pid, string mode)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains($"lab/{mode}/topo.py", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits for run.sh to end. On timeout it gets SIGTERM (its trap stops the topology, the
    /// controller and the OVS it started), is killed if that hangs, and the test fails.
    /// </summary>
    public LabRun WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Stop();
            Assert.Fail($"lab/run.sh {string.Join(' ', Args)} did not finish within {timeout.TotalSeconds:0} s; its output:\n{Output}");
        }
        _process.WaitForExit(); // drains the output events
        return new LabRun("lab/run.sh " + string.Join(' ', Args), _process.ExitCode, Output, _clock.Elapsed);
    }

    /// <summary>Time since the start, to measure how long a step took.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    private void Stop()
    {
        if (_process.HasExited) return;
        try
        {
            SignalGroup(Posix.SigTerm);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            try
            {
                SignalGroup(Posix.SigKill);
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}
