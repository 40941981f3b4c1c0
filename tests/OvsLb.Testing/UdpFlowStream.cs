using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OvsLb.Testing;

/// <summary>One datagram of a <see cref="UdpFlowStream"/>.</summary>
/// <param name="Sent">Wall-clock send time, Unix seconds (compare with <see cref="TrafficStream.Now"/>).</param>
/// <param name="Flow">The flow's source address.</param>
public sealed record UdpProbe(
    [property: JsonPropertyName("t")] double Sent,
    [property: JsonPropertyName("flow")] string Flow,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("backend")] string? Backend);

/// <summary>
/// <c>lbudpflows.py</c> in a namespace: UDP flows with fixed 5-tuples (one per source address, one source port),
/// each sending a datagram every interval and recording which backend answered, until <see cref="Stop"/>.
/// </summary>
public sealed class UdpFlowStream : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<UdpProbe> _probes = [];
    private readonly List<string> _other = [];
    private bool _ready;

    private UdpFlowStream(Process process) => _process = process;

    public static UdpFlowStream Start(NetNamespace ns, string target, int port, IReadOnlyList<string> binds, int sourcePort, TimeSpan interval, TimeSpan maxDuration)
    {
        var p = ProcessRunner.Start("ip", ["netns", "exec", ns.Name, "python3", "-u", TrafficTools.Script("lbudpflows.py"),
            "--target", $"{target}:{port}", "--binds", string.Join(',', binds), "--src-port", sourcePort.ToString(CultureInfo.InvariantCulture),
            "--interval", interval.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture),
            "--duration", maxDuration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)], redirectStdin: true);
        var s = new UdpFlowStream(p);
        p.OutputDataReceived += (_, e) => s.OnLine(e.Data);
        p.ErrorDataReceived += (_, e) => s.OnLine(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool Ready()
        {
            lock (s._lock) return s._ready;
        }
        if (!ProcessRunner.WaitUntil(() => Ready() || p.HasExited, TimeSpan.FromSeconds(15)) || !Ready())
        {
            string output = s.Output;
            s.Dispose();
            throw new InvalidOperationException($"lbudpflows to {target}:{port} in {ns.Name} did not start: {output}");
        }
        return s;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            if (line == "READY") _ready = true;
            else if (line.StartsWith('{') && JsonSerializer.Deserialize<UdpProbe>(line) is { } c) _probes.Add(c);
            else _other.Add(line);
        }
    }

    /// <summary>Datagrams so far, in the order they finished.</summary>
    public IReadOnlyList<UdpProbe> Probes
    {
        get { lock (_lock) return [.. _probes]; }
    }

    public string Output
    {
        get { lock (_lock) return string.Join('\n', _other); }
    }

    /// <summary>Stops the flows and returns every datagram, sorted by send time.</summary>
    public IReadOnlyList<UdpProbe> Stop()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.WaitForExit();
        return [.. Probes.OrderBy(p => p.Sent)];
    }

    public void Dispose()
    {
        ProcessRunner.KillTree(_process, TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
