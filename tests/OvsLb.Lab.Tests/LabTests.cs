namespace OvsLb.Lab.Tests;

/// <summary>
/// The lab as a user runs it: <c>lab/run.sh</c> (the README's quick-start command, all six modes) and
/// a run whose check fails. Each run builds real Mininet networks on the system Open vSwitch
/// (userspace datapath), runs the controller, sends TCP connections through the VIP and takes a
/// backend's link down. These tests read the report the script prints and check it against the
/// lab's configuration files (<see cref="LabReport"/>), and check that the machine is left as it was.
/// <para>
/// Each mode is checked once, in the quick-start run: a second run of every mode on its own would
/// add six start-ups of OVS, controller and Mininet (a third of the suite's Lab time on 2 cores)
/// and prove nothing the quick start does not. A single <c>MODE --connections N</c> run is checked
/// by <see cref="LabInterruptTests"/> (the run after a killed one) and here with a failing check.
/// </para>
/// </summary>
[TestFixture, Category("Lab"), NonParallelizable]
public class LabTests : LabTestBase
{
    private static readonly string[] Modes = ["direct", "translate", "portgroup", "distributed", "nat", "fullnat"];

    [Test]
    public void The_quick_start_command_runs_every_mode_and_every_check_passes()
    {
        var run = LabRun.Start(TimeSpan.FromMinutes(9));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Results, Is.EqualTo(Modes.ToDictionary(m => m, _ => "PASS")), run.ToString());
        Assert.That(run.Output, Does.Contain($"lab: {Modes.Length}/{Modes.Length} modes passed"));
        foreach (var mode in Modes) LabReport.AssertMode(run, mode, connections: 100);
        TestContext.Out.WriteLine($"lab/run.sh (all modes) took {run.Elapsed.TotalSeconds:0.0} s");
        TestContext.Out.WriteLine(run.Output);
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
            kept = run.KeptLogs;

            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Results, Is.EqualTo(new Dictionary<string, string> { ["direct"] = "FAIL" }), run.ToString());
            var arp = run.ChecksOf("direct", "arp").Single();
            Assert.That(arp.Passed, Is.False);
            Assert.That(arp.Detail, Does.Contain("lladdr 02:00:00:00:00:ef").And.Contain("lbMac of lbdirect: 02:00:00:00:00:fe"));
            Assert.That(run.Output, Does.Contain("lab: 0/1 modes passed"));
            Assert.That(kept, Is.Not.Null, "a failed run keeps its logs and says where");
            Assert.That(File.ReadAllText(Path.Combine(kept!, "controller-direct.log")), Does.Contain("Reconciled"));
            Assert.That(Directory.EnumerateFileSystemEntries(kept!).Select(Path.GetFileName), Is.EquivalentTo(new[] { "controller-direct.log", "direct.out" }),
                "the kept directory holds the logs only (the topology's scratch files are gone)");
        }
        finally
        {
            File.Delete(config);
            if (kept is not null && Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
        }
    }
}
