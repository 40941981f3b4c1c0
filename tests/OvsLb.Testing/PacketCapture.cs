using System.Globalization;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>One IPv4 TCP/UDP packet as <c>tcpdump -nn -e</c> printed it.</summary>
public sealed record CapturedPacket(string EthSrc, string EthDst, string IpSrc, int PortSrc, string IpDst, int PortDst, string Line)
{
    public override string ToString() => Line;
}

/// <summary>
/// <c>tcpdump -nn -e -l</c> on an interface inside a test namespace: a witness of what actually crossed the
/// wire, link-layer addresses included, that owes nothing to the controller or to OVS (a kernel socket only
/// says a connection worked; the capture says which addresses its packets carried). Lines are collected as
/// they come, as text (<see cref="Lines"/>) or parsed (<see cref="Packets"/>); with a packet count tcpdump stops
/// by itself (<see cref="WaitForExit"/>). Disposing stops it.
/// </summary>
public sealed partial class PacketCapture : IDisposable
{
    private readonly ChildProcess _p;

    private PacketCapture(ChildProcess p) => _p = p;

    /// <summary>
    /// Starts capturing <paramref name="filter"/> (a pcap expression) on <paramref name="iface"/> in <paramref name="ns"/>,
    /// at most <paramref name="count"/> packets when given (tcpdump's <c>-c</c>); returns once tcpdump listens.
    /// </summary>
    public static PacketCapture Start(NetNamespace ns, string iface, string filter, int? count = null)
    {
        string[] limit = count is int n ? ["-c", n.ToString(CultureInfo.InvariantCulture)] : [];
        var p = ChildProcess.Start("ip", ["netns", "exec", ns.Name, "tcpdump", "-i", iface, "-nn", "-e", "-l", "-U", .. limit, filter]);
        var c = new PacketCapture(p);
        bool Listening() => p.Stderr.Any(l => l.Contains("listening on", StringComparison.Ordinal));
        if (!ProcessRunner.WaitUntil(() => Listening() || p.HasExited, TimeSpan.FromSeconds(10)) || p.HasExited && !Listening())
        {
            string output = p.Output();
            c.Dispose();
            throw new InvalidOperationException($"tcpdump on {iface} in {ns.Name} did not start: {output}");
        }
        return c;
    }

    /// <summary>Captured packets so far, one line each (<c>TIME SRC_MAC > DST_MAC, ethertype …: …</c>).</summary>
    public IReadOnlyList<string> Lines => [.. _p.Stdout];

    [GeneratedRegex(@"^\S+ (?<smac>[0-9a-f:]{17}) > (?<dmac>[0-9a-f:]{17}), ethertype IPv4 \(0x0800\), length \d+: (?<src>\d+\.\d+\.\d+\.\d+)\.(?<sport>\d+) > (?<dst>\d+\.\d+\.\d+\.\d+)\.(?<dport>\d+):")]
    private static partial Regex PacketLine();

    /// <summary>The captured lines that parse as IPv4 with ports.</summary>
    public IReadOnlyList<CapturedPacket> Packets =>
        Lines.Select(l => PacketLine().Match(l)).Where(m => m.Success)
            .Select(m => new CapturedPacket(m.Groups["smac"].Value, m.Groups["dmac"].Value, m.Groups["src"].Value,
                int.Parse(m.Groups["sport"].Value, CultureInfo.InvariantCulture), m.Groups["dst"].Value,
                int.Parse(m.Groups["dport"].Value, CultureInfo.InvariantCulture), m.Value))
            .ToList();

    /// <summary>Waits until a captured line matches <paramref name="pattern"/>; returns it or null.</summary>
    public string? WaitFor(string pattern, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        string? found = null;
        ProcessRunner.WaitUntil(() => (found = _p.Stdout.FirstOrDefault(l => re.IsMatch(l))) is not null, timeout);
        return found;
    }

    /// <summary>With a packet count: waits until tcpdump exits having seen them all (its output read to the end); false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout) => _p.WaitForExit(timeout);

    /// <summary>The last lines tcpdump printed on stdout and stderr, for failure messages.</summary>
    public string Output() => _p.Output();

    public void Dispose() => _p.Dispose();
}
