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
        ["nat"] = ["peer", "add"],
        ["fullnat"] = ["snat-ip"],
    };

    private static readonly string[] CommonChecks = ["program", "arp", "tcp", "no-pktin"];
    private static readonly string[] FailoverChecks = ["failover", "recover"];

    /// <summary>The failover backend per mode (the topologies take its link down); fullnat has no failover check.</summary>
    private static readonly Dictionary<string, string> FailoverBackend = new()
    {
        ["direct"] = "s1", ["translate"] = "b1", ["portgroup"] = "p1", ["distributed"] = "w11", ["nat"] = "b1",
    };

    /// <summary>Backends a mode's checks add to the configuration before the failover (nat's <c>add</c> check).</summary>
    private static readonly Dictionary<string, string[]> AddedBackends = new()
    {
        ["nat"] = ["b3"],
    };

    /// <summary>Checks one mode's section of the report against lab/MODE/config.json.</summary>
    public static void AssertMode(LabRun run, string mode, int connections)
    {
        var config = LabConfig.Load(mode);
        var names = run.Checks.Where(c => c.Mode == mode).Select(c => c.Name).Distinct().ToArray();
        var expected = CommonChecks.Concat(ExtraChecks[mode]).Concat(FailoverBackend.ContainsKey(mode) ? FailoverChecks : []);
        Assert.That(names, Is.SupersetOf(expected), $"{mode}: checks in the report\n{run}");
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

        if (mode == "nat")
        {
            // Every client's answers came from VIP:80 on the wire; the held connections neither broke nor moved when b3 was added.
            Assert.That(run.ChecksOf(mode, "peer").Single().Detail, Does.Contain("c1 <- 10.0.0.100:80 ").And.Contain("c2 <- 10.0.0.100:80 "));
            var add = run.ChecksOf(mode, "add").Single().Detail;
            Assert.That(add, Does.Match(@"held connections after it: (\d+) kept, 0 moved, 0 broke"), add);
        }
        if (mode == "fullnat")
        {
            var snat = run.ChecksOf(mode, "snat-ip").Single().Detail;
            Assert.That(snat, Does.Contain("c1 -> {'192.168.100.254': ").And.Contain("c2 -> {'192.168.100.254': "), snat);
        }

        // Failover: the same number of connections, none to the backend whose link is down.
        if (FailoverBackend.TryGetValue(mode, out var down))
        {
            var failover = run.ChecksOf(mode, "failover").Single();
            var after = LabRun.Tally(failover.Detail, config.Backends.Concat(AddedBackends.GetValueOrDefault(mode, [])));
            Assert.That(LabRun.Answered(failover.Detail), Is.EqualTo((clients.Ok, 0)), failover.Detail);
            Assert.That(after.GetValueOrDefault(down), Is.Zero, failover.Detail);
            Assert.That(after.Values.Sum(), Is.EqualTo(clients.Ok), failover.Detail);
        }

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
