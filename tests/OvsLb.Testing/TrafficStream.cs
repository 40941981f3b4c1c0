using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OvsLb.Testing;

/// <summary>One connection of a <see cref="TrafficStream"/>.</summary>
/// <param name="Started">Wall-clock time the connection was started, Unix seconds (compare with <see cref="TrafficStream.Now"/>).</param>
/// <param name="Backend">The name the server answered with (null on failure).</param>
/// <param name="Milliseconds">Connect + answer time, or time until the failure.</param>
public sealed record StreamConnection(
    [property: JsonPropertyName("t")] double Started,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("backend")] string? Backend,
    [property: JsonPropertyName("ms")] double Milliseconds,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>
/// <c>lbstream.py</c> in a namespace: a steady stream of new TCP connections (one every
/// <c>interval</c>, overlapping, so a lost SYN does not stall it), each reported as it finishes with its
/// wall-clock start time and the backend that answered. For failover measurements: take a port down,
/// note <see cref="Now"/>, and read from <see cref="Connections"/> when the last connection to that
/// backend (or the last failure) started. <see cref="Stop"/> ends the stream and waits for the
/// connections in flight; <see cref="Dispose"/> kills it.
/// </summary>
public sealed class TrafficStream : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<StreamConnection> _connections = [];
    private readonly List<string> _other = [];
    private bool _ready;

    private TrafficStream(Process process) => _process = process;

    /// <summary>The wall clock as <c>lbstream.py</c> reads it (CLOCK_REALTIME), in Unix seconds.</summary>
    public static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    /// <summary>Starts the stream to <paramref name="target"/>:<paramref name="port"/> and returns once it runs.</summary>
    public static TrafficStream Start(NetNamespace ns, string target, int port, TimeSpan interval, TimeSpan timeout, TimeSpan maxDuration)
    {
        var p = ProcessRunner.Start("ip", ["netns", "exec", ns.Name, "python3", "-u", TrafficTools.Script("lbstream.py"),
            "--target", $"{target}:{port}",
            "--interval", interval.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture),
            "--timeout", timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "--duration", maxDuration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)], redirectStdin: true);
        var s = new TrafficStream(p);
        p.OutputDataReceived += (_, e) => s.OnLine(e.Data);
        p.ErrorDataReceived += (_, e) => s.OnLine(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!ProcessRunner.WaitUntil(() => s.Ready || p.HasExited, TimeSpan.FromSeconds(15)) || !s.Ready)
        {
            string output = s.Output;
            s.Dispose();
            throw new InvalidOperationException($"lbstream to {target}:{port} in {ns.Name} did not start: {output}");
        }
        return s;
    }

    private bool Ready
    {
        get { lock (_lock) return _ready; }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            if (line == "READY") _ready = true;
            else if (line.StartsWith('{') && JsonSerializer.Deserialize<StreamConnection>(line) is { } c) _connections.Add(c);
            else _other.Add(line);
        }
    }

    /// <summary>Connections finished so far, in the order they finished.</summary>
    public IReadOnlyList<StreamConnection> Connections
    {
        get { lock (_lock) return [.. _connections]; }
    }

    /// <summary>Lines that were not connection reports (errors).</summary>
    public string Output
    {
        get { lock (_lock) return string.Join('\n', _other); }
    }

    /// <summary>Waits until at least <paramref name="count"/> connections finished after <paramref name="since"/> (Unix seconds).</summary>
    public bool WaitForConnections(int count, double since, TimeSpan timeout) =>
        ProcessRunner.WaitUntil(() => Connections.Count(c => c.Started >= since) >= count || _process.HasExited, timeout, TimeSpan.FromMilliseconds(10))
        && Connections.Count(c => c.Started >= since) >= count;

    /// <summary>Stops starting connections, waits for those in flight, returns every connection sorted by start time.</summary>
    public IReadOnlyList<StreamConnection> Stop(TimeSpan? wait = null)
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        if (!_process.WaitForExit(wait ?? TimeSpan.FromSeconds(10))) ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.WaitForExit();
        return [.. Connections.OrderBy(c => c.Started)];
    }

    public void Dispose()
    {
        ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
