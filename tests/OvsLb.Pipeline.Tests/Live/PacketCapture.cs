using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests.Live;

/// <summary>
/// <c>tcpdump -n -e -l</c> on an interface inside a namespace: a witness of what actually crossed the
/// wire, link-layer addresses included, that owes nothing to the controller or to OVS. Lines are
/// collected as they come; disposing stops it.
/// </summary>
public sealed class PacketCapture : IDisposable
{
    private readonly ChildProcess _p;

    private PacketCapture(ChildProcess p) => _p = p;

    /// <summary>Starts capturing <paramref name="filter"/> on <paramref name="iface"/> in <paramref name="ns"/>; returns once tcpdump listens.</summary>
    public static PacketCapture Start(NetNamespace ns, string iface, string filter)
    {
        var p = ChildProcess.Start("ip", ["netns", "exec", ns.Name, "tcpdump", "-i", iface, "-n", "-e", "-l", "-U", filter]);
        var c = new PacketCapture(p);
        if (!ProcessRunner.WaitUntil(() => p.Stderr.Any(l => l.Contains("listening on", StringComparison.Ordinal)) || p.HasExited, TimeSpan.FromSeconds(10))
            || p.HasExited)
        {
            string output = p.Output();
            c.Dispose();
            throw new InvalidOperationException($"tcpdump on {iface} in {ns.Name} did not start: {output}");
        }
        return c;
    }

    /// <summary>Captured packets so far, one line each (<c>SRC_MAC > DST_MAC, ethertype …: …</c>).</summary>
    public IReadOnlyList<string> Lines => [.. _p.Stdout];

    /// <summary>Waits until a captured line matches <paramref name="pattern"/>; returns it or null.</summary>
    public string? WaitFor(string pattern, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        string? found = null;
        ProcessRunner.WaitUntil(() => (found = _p.Stdout.FirstOrDefault(l => re.IsMatch(l))) is not null, timeout);
        return found;
    }

    public void Dispose() => _p.Dispose();
}
