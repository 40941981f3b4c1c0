using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OvsLb.Testing;

/// <summary>What one held connection answered in a round of <see cref="HeldConnections"/>.</summary>
/// <param name="SourcePort">The client's source port (identifies the connection).</param>
/// <param name="Backend">The name the backend answered with (null on failure).</param>
/// <param name="Peer">The client address the backend saw, <c>IP:PORT</c>.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record HeldAnswer(
    [property: JsonPropertyName("src_port")] int SourcePort,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("backend")] string? Backend,
    [property: JsonPropertyName("peer")] string? Peer,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>
/// <c>lbhold.py</c> in a namespace: many TCP connections opened once and held open; each <see cref="Round"/> sends a
/// line on every one of them and returns which backend answered on each (the servers are <see cref="EchoServer"/>s).
/// For persistence: a connection that keeps answering with the same backend name across configuration changes
/// and controller restarts was never moved or broken. <see cref="Dispose"/> closes them all.
/// </summary>
public sealed class HeldConnections : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly ConcurrentQueue<string> _errors = new();

    private HeldConnections(Process process) => _process = process;

    /// <summary>The answers when the connections were opened (each connection's first exchange).</summary>
    public IReadOnlyList<HeldAnswer> Opened { get; private set; } = [];

    /// <summary>
    /// Opens one connection from each of <paramref name="sourcePorts"/> to <paramref name="target"/>:<paramref name="port"/>
    /// (at most <paramref name="parallel"/> connecting at once; from <paramref name="sourceIp"/> when given; with
    /// <paramref name="firstAlone"/>, the first connection alone and the others that long after it; with <paramref name="reuse"/>,
    /// each connection is reset once it answered and opened again at once from the same port, and the second ones are held);
    /// returns once every one was opened (or failed) and answered once.
    /// </summary>
    public static HeldConnections Open(NetNamespace ns, string target, int port, IReadOnlyList<int> sourcePorts, TimeSpan? timeout = null,
        string? sourceIp = null, int parallel = 32, TimeSpan? firstAlone = null, bool reuse = false)
    {
        var p = ProcessRunner.Start("ip", ["netns", "exec", ns.Name, "python3", "-u", TrafficTools.Script("lbhold.py"),
            "--target", $"{target}:{port}", "--src-port-list", string.Join(',', sourcePorts),
            "--bind-ip", sourceIp ?? "0.0.0.0", "--parallel", parallel.ToString(CultureInfo.InvariantCulture),
            .. (firstAlone is { } f ? new[] { "--first-alone", f.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) } : Array.Empty<string>()),
            .. (reuse ? new[] { "--reuse" } : Array.Empty<string>()),
            "--timeout", (timeout ?? TimeSpan.FromSeconds(2)).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)], redirectStdin: true);
        var h = new HeldConnections(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) h._lines.Add(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) h._errors.Enqueue(e.Data);
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            h.Opened = h.Read("opened", TimeSpan.FromSeconds(30 + sourcePorts.Count / 10.0));
            return h;
        }
        catch
        {
            h.Dispose();
            throw;
        }
    }

    /// <summary>Asks every connection once (all at once) and returns the answers in the order the connections were opened.</summary>
    public IReadOnlyList<HeldAnswer> Round(TimeSpan? wait = null)
    {
        _process.StandardInput.WriteLine("round");
        _process.StandardInput.Flush();
        return Read("round", wait ?? TimeSpan.FromSeconds(30));
    }

    private IReadOnlyList<HeldAnswer> Read(string key, TimeSpan wait)
    {
        if (!_lines.TryTake(out var line, wait))
        {
            throw new TimeoutException($"lbhold.py printed no '{key}' line within {wait.TotalSeconds:0} s (exited: {_process.HasExited}): {string.Join("\n", _errors)}");
        }
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty(key).Deserialize<List<HeldAnswer>>()
            ?? throw new InvalidOperationException($"lbhold.py: bad line {line}");
    }

    private int _disposed;

    /// <summary>Closes every connection and ends lbhold.py; a second call does nothing (a test may close a group early).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
                _process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (IOException)
        {
        }
        ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.Dispose();
        _lines.Dispose();
    }
}

/// <summary>
/// <c>lbecho.py</c> in a namespace: a backend that keeps each TCP connection open and answers every line with
/// <c>"NAME PEER_IP:PEER_PORT"</c> (see <see cref="HeldConnections"/>). <see cref="Dispose"/> kills it.
/// </summary>
public sealed class EchoServer : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private EchoServer(Process process) => _process = process;

    public static EchoServer Start(NetNamespace ns, string name, int port, string bind = "0.0.0.0")
    {
        var p = ProcessRunner.Start("ip", ["netns", "exec", ns.Name, "python3", "-u", TrafficTools.Script("lbecho.py"), "--name", name,
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", bind]);
        var s = new EchoServer(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) s._output.Enqueue(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) s._output.Enqueue(e.Data);
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!ProcessRunner.WaitUntil(() => s._output.Any(l => l.StartsWith("READY ", StringComparison.Ordinal)) || p.HasExited, TimeSpan.FromSeconds(15))
            || !s._output.Any(l => l.StartsWith("READY ", StringComparison.Ordinal)))
        {
            string output = string.Join("\n", s._output);
            s.Dispose();
            throw new InvalidOperationException($"lbecho {name} in {ns.Name} did not start listening on {bind}:{port}: {output}");
        }
        return s;
    }

    public void Dispose()
    {
        ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
