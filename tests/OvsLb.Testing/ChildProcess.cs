using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>
/// A long-running helper process (a controller under load, a fleet of fake switches) whose output
/// lines are collected as they come; disposing kills it (and its children) and waits for it.
/// Optionally pinned to CPUs with <c>taskset -c</c>.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    // Children still running when this process ends (normal exit, Ctrl-C, SIGTERM, SIGHUP) are killed too.
    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();
    private static readonly PosixSignalRegistration[] Signals =
        [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(s => PosixSignalRegistration.Create(s, _ => KillAll()))];

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private static void KillAll()
    {
        foreach (var c in Live.Keys) c.Dispose();
    }

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private ChildProcess(Process p)
    {
        _process = p;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) _stdout.Enqueue(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null && _stderr.Count < 10_000) _stderr.Enqueue(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Live.TryAdd(this, 0);
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public IEnumerable<string> Stdout => _stdout;
    public IEnumerable<string> Stderr => _stderr;
    public string CommandLine { get; private init; } = "";

    /// <summary>Runs after the process is gone (also when this process is interrupted): e.g. remove its directory.</summary>
    public Action? Cleanup { get; set; }

    /// <summary>Starts <paramref name="file"/>; with <paramref name="cpus"/> (e.g. "1") under <c>taskset -c</c>.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, string? cpus = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var argv = args.ToList();
        if (cpus is not null)
        {
            argv.InsertRange(0, ["-c", cpus, file]);
            file = "taskset";
        }
        // stdin redirected: the child may watch it to exit with its parent.
        var p = ProcessRunner.Start(file, argv, env, redirectStdin: true);
        return new ChildProcess(p) { CommandLine = $"{file} {string.Join(' ', argv)}" };
    }

    /// <summary>Waits for an output line matching <paramref name="pattern"/> and returns its match; throws with the output on timeout or exit.</summary>
    public Match WaitForLine(string pattern, TimeSpan timeout) => WaitForLineAsync(pattern, timeout).GetAwaiter().GetResult();

    /// <summary><see cref="WaitForLine"/> without blocking a thread while waiting.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        Match? found = null;
        await ProcessRunner.WaitUntilAsync(() => (found = _stdout.Select(l => re.Match(l)).FirstOrDefault(m => m.Success)) is not null || _process.HasExited, timeout, TimeSpan.FromMilliseconds(10));
        found ??= _stdout.Select(l => re.Match(l)).FirstOrDefault(m => m.Success);
        return found ?? throw new TimeoutException($"'{CommandLine}' printed no line matching /{pattern}/ within {timeout.TotalSeconds:0}s{(HasExited ? $" (exited {_process.ExitCode})" : "")}\n{Output()}");
    }

    /// <summary>Waits until the process exits and its output has been read to the end; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // the parameterless wait also drains the asynchronous readers
        return true;
    }

    /// <summary>The exit status once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Writes a line to the child's stdin (for children driven by commands).</summary>
    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public string Output(int lines = 30) => string.Join("\n", _stdout.TakeLast(lines).Concat(_stderr.TakeLast(lines)));

    /// <summary>The TCP port this process listens on, from <c>ss -Hltnp</c> (for servers started on port 0).</summary>
    public int WaitForListeningPort(TimeSpan timeout)
    {
        int port = 0;
        bool ok = ProcessRunner.WaitUntil(() =>
        {
            var r = ProcessRunner.Run("ss", ["-Hltnp"]);
            foreach (var line in r.Stdout.Split('\n'))
            {
                if (!line.Contains($"pid={Pid},", StringComparison.Ordinal)) continue;
                var m = ListenAddress().Match(line);
                if (m.Success && IPEndPoint.TryParse(m.Groups[1].Value, out var ep))
                {
                    port = ep.Port;
                    return true;
                }
            }
            return _process.HasExited;
        }, timeout, TimeSpan.FromMilliseconds(20));
        if (!ok || port == 0) throw new TimeoutException($"'{CommandLine}' is not listening after {timeout.TotalSeconds:0}s{(HasExited ? $" (exited {_process.ExitCode})" : "")}\n{Output()}");
        return port;
    }

    [GeneratedRegex(@"^\S+\s+\d+\s+\d+\s+(\S+)\s")]
    private static partial Regex ListenAddress();

    /// <summary>CPU time (user + system) the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Resident set size of the process now.</summary>
    public long WorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    public void Dispose()
    {
        if (!Live.TryRemove(this, out _)) return;
        ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(10));
        _process.Dispose();
        try { Cleanup?.Invoke(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
