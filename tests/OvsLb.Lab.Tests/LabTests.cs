using System.Text.Json;
using System.Text.RegularExpressions;

namespace OvsLb.Lab.Tests;

/// <summary>
/// The lab as a user runs it: <c>lab/run.sh</c> (the README's quick-start command) and one mode at a
/// time. Each run builds real Mininet networks on the system Open vSwitch (userspace datapath), runs
/// the controller, sends TCP connections through the VIP and takes a backend's link down. These
/// tests read the report the script prints and check it against the lab's configuration files
/// (the lbMac each client must resolve, the backends the tally must cover, connection counts), and
/// check that the machine is left as it was: OVS running or not as before, no lab bridge,
/// interface, process or temporary directory left.
/// </summary>
[TestFixture, Category("Lab"), NonParallelizable]
public class LabTests
{
    private static readonly string[] Modes = ["direct", "translate", "portgroup", "distributed"];

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

    private MachineState _before = null!;

    [SetUp]
    public void CaptureMachine() => _before = MachineState.Capture();

    [TearDown]
    public void MachineIsAsFound()
    {
        var diff = MachineState.Capture().DifferencesFrom(_before).ToArray();
        Assert.That(diff, Is.Empty, "the lab left the machine changed");
    }

    [Test]
    public void The_quick_start_command_runs_every_mode_and_every_check_passes()
    {
        var run = LabRun.Start(TimeSpan.FromMinutes(6));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Results, Is.EqualTo(Modes.ToDictionary(m => m, _ => "PASS")), run.ToString());
        Assert.That(run.Output, Does.Contain("lab: 4/4 modes passed"));
        foreach (var mode in Modes) AssertModeReport(run, mode, connections: 100);
        TestContext.Out.WriteLine($"lab/run.sh (all modes) took {run.Elapsed.TotalSeconds:0.0} s");
        TestContext.Out.WriteLine(run.Output);
    }

    [TestCase("direct")]
    [TestCase("translate")]
    [TestCase("portgroup")]
    [TestCase("distributed")]
    public void One_mode_passes_its_checks(string mode)
    {
        var run = LabRun.Start(TimeSpan.FromMinutes(3), mode, "--connections", "40");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Results, Is.EqualTo(new Dictionary<string, string> { [mode] = "PASS" }), run.ToString());
        AssertModeReport(run, mode, connections: 40);
        TestContext.Out.WriteLine($"lab/run.sh {mode} took {run.Elapsed.TotalSeconds:0.0} s");
    }

    [Test]
    public void A_failing_check_makes_the_runner_exit_non_zero_and_it_still_cleans_up()
    {
        // The controller answers the VIP with a MAC other than the one the topology expects.
        var config = Path.Combine(Path.GetTempPath(), $"ovslb-labtest-{Guid.NewGuid():N}.json");
        var text = File.ReadAllText(Path.Combine(LabRun.RepoRoot, "lab", "direct", "config.json"));
        File.WriteAllText(config, text.Replace("02:00:00:00:00:fe", "02:00:00:00:00:ef", StringComparison.Ordinal));
        string? kept = null;
        try
        {
            var run = LabRun.Start(TimeSpan.FromMinutes(3), "direct", "--connections", "20", "--config", config);
            kept = Regex.Match(run.Output, @"lab: logs kept in (\S+)").Groups[1].Value;

            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Results, Is.EqualTo(new Dictionary<string, string> { ["direct"] = "FAIL" }), run.ToString());
            var arp = run.ChecksOf("direct", "arp").Single();
            Assert.That(arp.Passed, Is.False);
            Assert.That(arp.Detail, Does.Contain("lladdr 02:00:00:00:00:ef").And.Contain("lbMac of lbdirect: 02:00:00:00:00:fe"));
            Assert.That(run.Output, Does.Contain("lab: 0/1 modes passed"));
            Assert.That(kept, Is.Not.Empty, "a failed run keeps its logs and says where");
            Assert.That(File.ReadAllText(Path.Combine(kept, "controller-direct.log")), Does.Contain("Reconciled"));
        }
        finally
        {
            File.Delete(config);
            if (!string.IsNullOrEmpty(kept) && Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
        }
    }

    /// <summary>Checks one mode's section of the report against lab/MODE/config.json.</summary>
    private static void AssertModeReport(LabRun run, string mode, int connections)
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
