using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace OvsLb.Benchmarks;

/// <summary>"--name value" and "--flag" command-line options of the load benchmarks.</summary>
public sealed class Options(string[] args)
{
    public string? Get(string name)
    {
        int i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;
    public int Int(string name, int dflt) => Get(name) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : dflt;
    public double Double(string name, double dflt) => Get(name) is { } v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : dflt;
    public string String(string name, string dflt) => Get(name) ?? dflt;
}

/// <summary>Process facts the benchmarks print and need: file descriptor limit, CPUs, GC mode, how to start this program again.</summary>
public static class ProcessFacts
{
    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    private const int RlimitNofile = 7;

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit limit);

    /// <summary>
    /// Makes sure this process may open <paramref name="needed"/> descriptors: raises the soft
    /// RLIMIT_NOFILE up to the hard limit if it is lower (.NET already does so at start-up on Linux);
    /// returns the limits seen and done, or throws naming the command to raise the hard limit.
    /// </summary>
    public static string EnsureFileLimit(int needed)
    {
        if (!OperatingSystem.IsLinux()) return "n/a";
        if (getrlimit(RlimitNofile, out var lim) != 0) return "unknown";
        string before = $"{lim.Current}/{lim.Max}";
        if (lim.Current >= (ulong)needed) return $"soft/hard {before}, need ~{needed}";
        if (lim.Max < (ulong)needed)
        {
            throw new InvalidOperationException($"need ~{needed} file descriptors but the hard limit is {lim.Max}: run as root with `prlimit --nofile={needed * 2}:{needed * 2} -- COMMAND` or raise it in limits.conf");
        }
        lim.Current = lim.Max;
        if (setrlimit(RlimitNofile, ref lim) != 0) throw new InvalidOperationException($"setrlimit(RLIMIT_NOFILE) failed: errno {Marshal.GetLastPInvokeError()}");
        return $"soft/hard {before} raised to {lim.Current}/{lim.Max}, need ~{needed}";
    }

    /// <summary>The CPUs this process may run on (Linux Cpus_allowed_list), e.g. "0-1".</summary>
    public static string AllowedCpus()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static string Describe() =>
        $"{Environment.ProcessorCount} CPUs usable (allowed: {AllowedCpus()}), .NET {Environment.Version}, " +
        $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? " (concurrent)" : "")}, load average {LoadAverage()}";

    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (IOException) { return "?"; }
    }

    /// <summary>
    /// This program as a command, for its child-process modes: its apphost when it is the running
    /// program, else <c>dotnet OvsLb.Benchmarks.dll</c> (e.g. when a test host loaded it).
    /// </summary>
    public static (string File, string[] Args) Self()
    {
        var exe = Environment.ProcessPath;
        var self = typeof(ProcessFacts).Assembly;
        bool dotnetHost = exe is not null && Path.GetFileNameWithoutExtension(exe) == "dotnet";
        if (System.Reflection.Assembly.GetEntryAssembly() == self && exe is not null && !dotnetHost) return (exe, []);
        return (dotnetHost ? exe! : "dotnet", [self.Location]);
    }

    public static int OpenFileDescriptors()
    {
        try { return Directory.GetFiles("/proc/self/fd").Length; } catch (IOException) { return -1; }
    }

    public static TimeSpan CpuTime()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }
}

/// <summary>Counts warnings and errors the controller logs (keeping the first few) and echoes them to a writer.</summary>
public sealed class ProblemLog(TextWriter? echo = null, int keep = 20) : ILoggerProvider
{
    private int _count;

    private TextWriter? Echo { get; } = echo;
    private int Keep { get; } = keep;
    public ConcurrentQueue<string> First { get; } = new();
    public int Count => _count;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Warning));

    public void Dispose() { }

    private sealed class Logger(ProblemLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = $"{logLevel}: {formatter(state, exception)}";
            if (Interlocked.Increment(ref owner._count) <= owner.Keep)
            {
                owner.First.Enqueue(line);
                owner.Echo?.WriteLine(line);
            }
        }
    }
}

/// <summary>A Markdown table printer for the benchmark summaries.</summary>
public static class Table
{
    public static void Print(TextWriter w, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        void Line(IReadOnlyList<string> r) => w.WriteLine("| " + string.Join(" | ", r.Select((c, i) => c.PadRight(widths[i]))) + " |");
        Line(header);
        w.WriteLine("|" + string.Join("|", widths.Select(x => new string('-', x + 2))) + "|");
        foreach (var r in all.Skip(1)) Line(r);
    }

    public static string Ms(TimeSpan t) => t.TotalSeconds >= 10 ? $"{t.TotalSeconds:0.0} s" : $"{t.TotalMilliseconds:0} ms";
    public static string Mb(double bytes) => $"{bytes / (1024 * 1024):0.0} MiB";
    public static string Kb(double bytes) => $"{bytes / 1024:0.0} KiB";
}
