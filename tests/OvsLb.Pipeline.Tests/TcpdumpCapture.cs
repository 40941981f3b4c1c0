using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>One IPv4 TCP/UDP packet as <c>tcpdump -nn -e</c> printed it.</summary>
public sealed record CapturedPacket(string EthSrc, string EthDst, string IpSrc, int PortSrc, string IpDst, int PortDst, string Line)
{
    public override string ToString() => Line;
}

/// <summary>
/// <c>tcpdump</c> on an interface of a test namespace: what really crossed the wire, independent of our
/// own code (the kernel socket only says a connection worked, the capture says which addresses the
/// packets carried). Starts tcpdump, returns once it listens; <see cref="Wait"/> waits for
/// <c>count</c> packets (tcpdump's <c>-c</c>); <see cref="Dispose"/> kills it (by its pid) if still running.
/// </summary>
public sealed partial class TcpdumpCapture : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();

    private TcpdumpCapture(Process process) => _process = process;

    /// <summary>Starts capturing at most <paramref name="count"/> packets matching <paramref name="filter"/> (a pcap expression).</summary>
    public static TcpdumpCapture Start(NetNamespace ns, string iface, int count, string filter)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns.Name, "tcpdump", "-nn", "-e", "-l", "-i", iface, "-c", count.ToString(CultureInfo.InvariantCulture), filter })
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start tcpdump");
        var c = new TcpdumpCapture(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (c._lock) c._stdout.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (c._lock) c._stderr.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!ProcessRunner.WaitUntil(() => c.Stderr.Contains("listening on", StringComparison.Ordinal) || p.HasExited, TimeSpan.FromSeconds(10))
            || p.HasExited && !c.Stderr.Contains("listening on", StringComparison.Ordinal))
        {
            string err = c.Stderr;
            c.Dispose();
            throw new InvalidOperationException($"tcpdump on {iface} in {ns.Name} did not start: {err}");
        }
        return c;
    }

    public string Stderr
    {
        get { lock (_lock) return string.Join('\n', _stderr); }
    }

    /// <summary>Waits until tcpdump exits having seen its <c>count</c> packets; false on timeout.</summary>
    public bool Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // the parameterless wait also drains the asynchronous readers
        return true;
    }

    [GeneratedRegex(@"^\S+ (?<smac>[0-9a-f:]{17}) > (?<dmac>[0-9a-f:]{17}), ethertype IPv4 \(0x0800\), length \d+: (?<src>\d+\.\d+\.\d+\.\d+)\.(?<sport>\d+) > (?<dst>\d+\.\d+\.\d+\.\d+)\.(?<dport>\d+):")]
    private static partial Regex PacketLine();

    /// <summary>The packets captured so far (lines tcpdump printed that parse as IPv4 with ports).</summary>
    public IReadOnlyList<CapturedPacket> Packets
    {
        get
        {
            List<string> lines;
            lock (_lock) lines = [.. _stdout];
            return lines.Select(l => PacketLine().Match(l)).Where(m => m.Success)
                .Select(m => new CapturedPacket(m.Groups["smac"].Value, m.Groups["dmac"].Value, m.Groups["src"].Value,
                    int.Parse(m.Groups["sport"].Value, CultureInfo.InvariantCulture), m.Groups["dst"].Value,
                    int.Parse(m.Groups["dport"].Value, CultureInfo.InvariantCulture), m.Value))
                .ToList();
        }
    }

    /// <summary>Everything tcpdump printed on stdout (for failure messages).</summary>
    public string Output
    {
        get { lock (_lock) return string.Join('\n', _stdout); }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
