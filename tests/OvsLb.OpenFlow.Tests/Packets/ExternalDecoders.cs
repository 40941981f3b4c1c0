using System.Diagnostics;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// Runs decoders this project did not write — Wireshark's tshark and tcpdump (Debian packages
/// tshark and tcpdump) — on a pcap file. Tests that need one are ignored when it is not installed.
/// </summary>
public static class ExternalDecoders
{
    public static bool Has(string tool) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    public static void Require(string tool)
    {
        if (!Has(tool)) Assert.Ignore($"{tool} is not installed (apt-get install -y tshark tcpdump)");
    }

    /// <summary>
    /// One row per frame, one column per field (first occurrence only, so an ICMP error's quoted
    /// inner header does not mix in), with checksum validation turned on for IPv4, TCP and UDP.
    /// </summary>
    public static List<Dictionary<string, string>> Tshark(string pcap, params string[] fields)
    {
        var args = new List<string>
        {
            "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=f",
        };
        foreach (var f in fields) args.AddRange(["-e", f]);
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in Run("tshark", args).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var cols = line.Split('|');
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < fields.Length; i++) row[fields[i]] = i < cols.Length ? cols[i] : "";
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>tcpdump -nn -vv -e output, one string per frame (continuation lines joined).</summary>
    public static List<string> Tcpdump(string pcap)
    {
        var frames = new List<string>();
        foreach (var line in Run("tcpdump", ["-r", pcap, "-nn", "-vv", "-e", "-t"]).Split('\n'))
        {
            if (line.Length == 0) continue;
            if (char.IsWhiteSpace(line[0]) && frames.Count > 0) frames[^1] += " " + line.Trim();
            else frames.Add(line);
        }
        return frames;
    }

    private static string Run(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} did not finish in 60 s");
        }
        Assert.That(p.ExitCode, Is.EqualTo(0), $"{tool} {string.Join(' ', args)}: {stderr.Result}");
        return stdout;
    }
}
