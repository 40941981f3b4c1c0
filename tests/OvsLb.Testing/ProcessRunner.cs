using System.Diagnostics;

namespace OvsLb.Testing;

/// <summary>Result of a finished command.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public CommandResult EnsureSuccess() => ExitCode == 0 ? this
        : throw new InvalidOperationException($"'{Command}' exited {ExitCode}: {Stderr.Trim()} {Stdout.Trim()}");
}

/// <summary>Runs external tools (ovs-vsctl, ovs-ofctl, ip, ...) with a hard timeout.</summary>
public static class ProcessRunner
{
    public static CommandResult Run(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null, string? stdin = null,
        string? workingDirectory = null)
    {
        var argv = args.ToList();
        string command = $"{file} {string.Join(' ', argv)}";
        using var p = Start(file, argv, env, redirectStdin: stdin is not null, workingDirectory);
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (!p.WaitForExit(limit))
        {
            KillTree(p, TimeSpan.Zero);
            throw new TimeoutException($"'{command}' did not finish within {limit.TotalSeconds:0}s");
        }
        p.WaitForExit();
        return new CommandResult(command, p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts <paramref name="file"/> with <paramref name="args"/> (and extra environment variables),
    /// stdout and stderr redirected: the one place the test helpers spawn processes.
    /// </summary>
    internal static Process Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, bool redirectStdin = false, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
    }

    /// <summary>
    /// Kills <paramref name="p"/> and its children if still running and waits up to <paramref name="wait"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: until it is gone); a process already reaped is no error.
    /// </summary>
    internal static void KillTree(Process p, TimeSpan wait)
    {
        try
        {
            if (p.HasExited) return;
            p.Kill(entireProcessTree: true);
            if (wait != TimeSpan.Zero) p.WaitForExit(wait);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// <see cref="WaitUntil"/> for async code: polls with <see cref="Task.Delay(TimeSpan)"/> instead of
    /// blocking a thread-pool thread (which load benchmarks on 2 CPUs cannot spare).
    /// </summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var sw = Stopwatch.StartNew();
        var step = interval ?? TimeSpan.FromMilliseconds(20);
        while (sw.Elapsed < timeout)
        {
            if (condition()) return true;
            await Task.Delay(step).ConfigureAwait(false);
        }
        return condition();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes (never a fixed sleep).</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var sw = Stopwatch.StartNew();
        var step = interval ?? TimeSpan.FromMilliseconds(20);
        while (sw.Elapsed < timeout)
        {
            if (condition()) return true;
            Thread.Sleep(step);
        }
        return condition();
    }
}
