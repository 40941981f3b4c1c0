using System.Text.Json;
using System.Text.RegularExpressions;

namespace OvsLb.Lab.Tests;

/// <summary>
/// What a mode's section of the lab's report must show when the mode works, checked against
/// lab/MODE/config.json: every check present and passed, the VIP resolved to a configured lbMac
/// (answered by the switch), every connection answered by configured backends only (each used),
/// the failover tally without the failed backend, no PACKET_IN.
/// </summary>
public static class LabReport
{
    /// <summary>Mode-specific checks the report must contain besides the common ones.</summary>
    private static readonly Dictionary<string, string[]> ExtraChecks = new()
    {
        ["direct"] = [],
        ["translate"] = ["client-ip"],
        ["portgroup"] = ["master"],
        ["distributed"] = ["local-lb"],
    };

    private static readonly string[] CommonChecks = ["program", "arp", "tcp", "failover", "recover", "no-pktin"];

    /// <summary>The failover backend per mode (the topologies take its link down).</summary>
    private static readonly Dictionary<string, string> FailoverBackend = new()
    {
        ["direct"] = "s1", ["translate"] = "b1", ["portgroup"] = "p1", ["distributed"] = "w11",
    };

    /// <summary>Checks one mode's section of the report against lab/MODE/config.json.</summary>
    public static void AssertMode(LabRun run, string mode, int connections)
    {
        var config = LabConfig.Load(mode);
        var names = run.Checks.Where(c => c.Mode == mode).Select(c => c.Name).Distinct().ToArray();
        Assert.That(names, Is.SupersetOf(CommonChecks.Concat(ExtraChecks[mode])), $"{mode}: checks in the report\n{run}");
        Assert.That(run.Checks.Where(c => c.Mode == mode && !c.Passed), Is.Empty, run.ToString());

        // ARP: every resolver learned the lbMac of a bridge of this configuration.
        foreach (var arp in run.ChecksOf(mode, "arp"))
        {
            var mac = Regex.Match(arp.Detail, @"lladdr ([0-9a-f:]{17})").Groups[1].Value;
            Assert.That(config.LbMacs, Does.Contain(mac), $"{mode}: {arp.Detail}");
            Assert.That(arp.Detail, Does.Match(@"n_packets=[1-9]"), "the switch's ARP responder flow counted the request");
        }
        if (mode == "distributed")
        {
            var macs = run.ChecksOf(mode, "arp").Select(a => Regex.Match(a.Detail, @"lladdr ([0-9a-f:]{17})").Groups[1].Value).ToArray();
            Assert.That(macs, Is.EquivalentTo(config.LbMacs), "each client resolves the VIP to its own bridge's lbMac");
        }

        // Traffic: every connection answered, by the configured backends only, each of them used.
        var tcp = run.ChecksOf(mode, "tcp").Single();
        var clients = LabRun.Answered(tcp.Detail);
        Assert.That(clients.Failed, Is.Zero, tcp.Detail);
        Assert.That(clients.Ok % connections, Is.Zero, tcp.Detail);
        var tally = LabRun.Tally(tcp.Detail, config.Backends);
        Assert.That(tally.Keys, Is.EquivalentTo(config.Backends), tcp.Detail);
        Assert.That(tally.Values.Sum(), Is.EqualTo(clients.Ok), tcp.Detail);
        Assert.That(tally.Values, Has.All.GreaterThan(0), tcp.Detail);

        // Failover: the same number of connections, none to the backend whose link is down.
        var failover = run.ChecksOf(mode, "failover").Single();
        var after = LabRun.Tally(failover.Detail, config.Backends);
        var down = FailoverBackend[mode];
        Assert.That(LabRun.Answered(failover.Detail), Is.EqualTo((clients.Ok, 0)), failover.Detail);
        Assert.That(after.GetValueOrDefault(down), Is.Zero, failover.Detail);
        Assert.That(after.Values.Sum(), Is.EqualTo(clients.Ok), failover.Detail);

        // "...(ovs-ofctl snoop): lbhv1 0, lbhv2 0; CONTROLLER-action flow hits: lbhv1 0, lbhv2 0": one count per bridge, twice.
        var pktin = run.ChecksOf(mode, "no-pktin").Single().Detail;
        var counts = Regex.Matches(pktin, @"(?<=[:,] )(\w+) (\d+)").Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.That(counts, Has.Length.EqualTo(2 * config.Bridges.Length).And.All.Zero, $"no PACKET_IN and no CONTROLLER flow hit: {pktin}");
    }
}

/// <summary>What the tests need from lab/MODE/config.json: the bridges, the lbMacs of those serving the VIP, the backend names.</summary>
public sealed record LabConfig(string[] Bridges, string[] LbMacs, string[] Backends)
{
    public static LabConfig Load(string mode)
    {
        var path = Path.Combine(LabRun.RepoRoot, "lab", mode, "config.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = doc.RootElement;
        var serviceBridges = root.GetProperty("services").EnumerateArray()
            .SelectMany(s => s.TryGetProperty("bridges", out var b) ? b.EnumerateArray().Select(x => x.GetString()!) : [])
            .ToHashSet();
        string[] macs = [.. root.GetProperty("bridges").EnumerateArray()
            .Where(b => serviceBridges.Count == 0 || serviceBridges.Contains(b.GetProperty("name").GetString()!))
            .Select(b => b.GetProperty("lbMac").GetString()!)];
        string[] backends = [.. root.GetProperty("services").EnumerateArray()
            .SelectMany(s => s.GetProperty("backends").EnumerateArray()).Select(b => b.GetProperty("name").GetString()!)];
        string[] bridges = [.. root.GetProperty("bridges").EnumerateArray().Select(b => b.GetProperty("name").GetString()!)];
        return new LabConfig(bridges, macs, backends);
    }
}
