using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OvsLb.Testing;

public enum TrafficProtocol { Tcp, Udp, Both }

/// <summary>The Python tools under <c>tests/OvsLb.Testing/tools/</c>, copied next to the test binaries.</summary>
public static class TrafficTools
{
    /// <summary>Full path of a tool script; throws when it was not copied to the output.</summary>
    public static string Script(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "tools", name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"test tool {name} not found next to the test binaries (tests/OvsLb.Testing/tools is copied to the output)", path);
    }

    internal static string Text(TrafficProtocol p) => p switch
    {
        TrafficProtocol.Tcp => "tcp",
        TrafficProtocol.Udp => "udp",
        _ => "both",
    };
}

/// <summary>
/// <c>lbserver.py</c> running in a namespace: answers each TCP connection (and each UDP datagram) with
/// <c>"NAME PEER_IP:PEER_PORT\n"</c>, the peer being the address the server saw (so a test sees both which
/// backend answered and whether the client's source address survived the path). <see cref="Start"/> returns
/// once the sockets listen; <see cref="Dispose"/> kills the process.
/// </summary>
public sealed class TrafficServer : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly Lock _lock = new();

    private TrafficServer(Process process, string name, int port)
    {
        _process = process;
        Name = name;
        Port = port;
    }

    public string Name { get; }
    public int Port { get; }
    public bool Running => !_process.HasExited;

    public static TrafficServer Start(NetNamespace ns, string name, int port, string bind = "0.0.0.0", TrafficProtocol protocol = TrafficProtocol.Tcp)
    {
        var p = ProcessRunner.Start("ip", ["netns", "exec", ns.Name, "python3", "-u", TrafficTools.Script("lbserver.py"), "--name", name,
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", bind, "--proto", TrafficTools.Text(protocol)]);
        var server = new TrafficServer(p, name, port);
        p.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        p.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        int ready = protocol == TrafficProtocol.Both ? 2 : 1;
        if (!ProcessRunner.WaitUntil(() => server.ReadyLines >= ready || p.HasExited, TimeSpan.FromSeconds(15)) || server.ReadyLines < ready)
        {
            string output = server.Output;
            server.Dispose();
            throw new InvalidOperationException($"lbserver {name} in {ns.Name} did not start listening on {bind}:{port}: {output}");
        }
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lock) _output.Add(line);
    }

    private int ReadyLines
    {
        get { lock (_lock) return _output.Count(l => l.StartsWith("READY ", StringComparison.Ordinal)); }
    }

    /// <summary>Everything the server printed (READY lines, errors).</summary>
    public string Output
    {
        get { lock (_lock) return string.Join('\n', _output); }
    }

    public void Dispose()
    {
        ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}

/// <summary>
/// What <c>lbclient.py</c> should do: connect to <paramref name="Target"/>:<paramref name="Port"/> once per source
/// port. Give <see cref="SourcePorts"/> (explicit ports; a port may repeat when <see cref="Parallel"/> is 1), or
/// <see cref="Count"/> (the kernel picks the ports; the report records them).
/// </summary>
public sealed record TrafficRequest(string Target, int Port)
{
    public TrafficProtocol Protocol { get; init; } = TrafficProtocol.Tcp;
    public IReadOnlyList<int>? SourcePorts { get; init; }
    public int Count { get; init; }

    /// <summary>Source address to bind (default: whatever the route chooses).</summary>
    public string? Bind { get; init; }

    /// <summary>Source addresses used in turn: connection i binds <c>Binds[i % Count]</c> (the host must hold them,
    /// see <see cref="TopologyHost.AddAddresses"/>). Overrides <see cref="Bind"/>.</summary>
    public IReadOnlyList<string>? Binds { get; init; }

    /// <summary>Connections in flight at once.</summary>
    public int Parallel { get; init; } = 8;

    /// <summary>Per connection: connect + answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>One connection from each port in [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>).</summary>
    public static IReadOnlyList<int> PortRange(int first, int count) => Enumerable.Range(first, count).ToArray();
}

/// <summary>One connection (or UDP exchange) of a <see cref="TrafficReport"/>.</summary>
/// <param name="SourceIp">The bound source address (TCP: as the socket reports it; UDP: the one asked for, else null).</param>
/// <param name="SourcePort">The client's source port.</param>
/// <param name="Backend">The name the server answered with (null on failure).</param>
/// <param name="Peer">The client address the server saw, <c>IP:PORT</c>.</param>
/// <param name="Error">Why it failed (exception type and message), or null.</param>
public sealed record ConnectionResult(
    [property: JsonPropertyName("src_ip")] string? SourceIp,
    [property: JsonPropertyName("src_port")] int SourcePort,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("backend")] string? Backend,
    [property: JsonPropertyName("peer")] string? Peer,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("ms")] double Milliseconds);

/// <summary><c>lbclient.py</c>'s JSON: every connection, the tally per backend, failures.</summary>
public sealed record TrafficReport(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("proto")] string Protocol,
    [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
    [property: JsonPropertyName("connections")] IReadOnlyList<ConnectionResult> Connections,
    [property: JsonPropertyName("tally")] IReadOnlyDictionary<string, int> Tally,
    [property: JsonPropertyName("failures")] int Failures)
{
    public IEnumerable<ConnectionResult> Failed => Connections.Where(c => !c.Ok);

    /// <summary>Busiest backend's count over the mean count of <paramref name="backends"/> (a backend that got nothing counts as 0).</summary>
    public double MaxOverMean(IEnumerable<string> backends)
    {
        var counts = backends.Select(b => Tally.GetValueOrDefault(b)).ToList();
        double mean = counts.Average();
        return mean == 0 ? double.PositiveInfinity : counts.Max() / mean;
    }

    /// <summary>Source port → backend that answered, for successful connections (the last one when a port repeats).</summary>
    public IReadOnlyDictionary<int, string> BackendBySourcePort() =>
        Connections.Where(c => c.Ok).GroupBy(c => c.SourcePort).ToDictionary(g => g.Key, g => g.Last().Backend!);

    /// <summary>A one-line summary for test output: counts per backend, failures, time.</summary>
    public string Summary() =>
        $"{Connections.Count} {Protocol} connections to {Target} in {ElapsedSeconds:0.00} s: " +
        string.Join(", ", Tally.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")) +
        $", {Failures} failed{(Failures > 0 ? $" (first: {Failed.First().Error})" : "")}";
}

/// <summary>Runs <c>lbclient.py</c> in a namespace and parses its report.</summary>
public static class TrafficClient
{
    public static TrafficReport Run(NetNamespace ns, TrafficRequest r)
    {
        var args = new List<string> { "netns", "exec", ns.Name, "python3", TrafficTools.Script("lbclient.py"),
            "--target", $"{r.Target}:{r.Port}", "--proto", r.Protocol == TrafficProtocol.Udp ? "udp" : "tcp",
            "--parallel", r.Parallel.ToString(CultureInfo.InvariantCulture), "--timeout", r.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) };
        if (r.SourcePorts is { Count: > 0 } ports) args.AddRange(["--src-port-list", string.Join(',', ports)]);
        else if (r.Count > 0) args.AddRange(["--count", r.Count.ToString(CultureInfo.InvariantCulture)]);
        else throw new ArgumentException("a TrafficRequest needs SourcePorts or Count", nameof(r));
        if (r.Binds is { Count: > 0 } binds) args.AddRange(["--bind-list", string.Join(',', binds)]);
        else if (r.Bind is not null) args.AddRange(["--bind", r.Bind]);
        int n = r.SourcePorts?.Count ?? r.Count;
        var limit = TimeSpan.FromSeconds(30 + r.Timeout.TotalSeconds * n / Math.Max(1, r.Parallel));
        var result = ProcessRunner.Run("ip", args, timeout: limit).EnsureSuccess();
        return JsonSerializer.Deserialize<TrafficReport>(result.Stdout)
            ?? throw new InvalidOperationException($"lbclient printed no report: {result.Stdout} {result.Stderr}");
    }
}
