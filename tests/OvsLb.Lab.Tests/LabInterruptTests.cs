using System.Diagnostics;
using OvsLb.Testing;

namespace OvsLb.Lab.Tests;

/// <summary>
/// The lab cut short: Ctrl-C (SIGINT to run.sh's process group, as a terminal sends it) in the middle
/// of the traffic check, Ctrl-C again while it cleans up, the topology killed (SIGKILL), the whole run
/// killed, a topology's building cut short. Each time the machine must end up as it was found
/// (<see cref="LabTestBase"/>): OVS running or not as before, no lab bridge, veth, Mininet shell,
/// server, snoop, controller or temporary file left; and a run after a killed one must pass.
/// The runs use the direct topology, the cheapest, with so many connections that the traffic check
/// is still running when the signal comes (it starts right after the <c>arp</c> line).
/// </summary>
[TestFixture, Category("Lab"), NonParallelizable]
public class LabInterruptTests : LabTestBase
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>run.sh waits up to 15 s for the topology after SIGTERM, then OVS stops: generous.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] LongRun = ["direct", "--connections", "1000000"];

    [Test]
    public void Ctrl_C_during_the_traffic_check_stops_the_run_and_leaves_the_machine_as_found()
    {
        using var lab = LabProcess.Start(LongRun);
        lab.WaitForOutput("] arp ", StartTimeout);

        var signalled = lab.Elapsed;
        lab.SignalGroup(Posix.SigInt);
        var run = lab.WaitForExit(ExitTimeout);
        var took = lab.Elapsed - signalled;
        DeleteKeptLogs(run);

        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        // The topology got SIGTERM from run.sh, interrupted the host's tcp_client (^C on its shell)
        // and stopped its network itself: no fallback needed.
        Assert.That(run.Output, Does.Contain("[FAIL] run      interrupted (signal 15); cleaning up"), run.ToString());
        Assert.That(run.Results, Is.EqualTo(new Dictionary<string, string> { ["direct"] = "FAIL" }), run.ToString());
        Assert.That(run.Output, Does.Not.Contain("did not end on ^C").And.Not.Contain("did not stop within 15 s").And.Not.Contain("left behind"), run.ToString());
        Assert.That(run.ChecksOf("direct", "tcp"), Is.Empty, "the signal came during the traffic check");
        TestContext.Out.WriteLine($"lab/run.sh {string.Join(' ', LongRun)}: exited {took.TotalSeconds:0.0} s after Ctrl-C\n{run.Output}");
    }

    [Test]
    public void Ctrl_C_again_while_the_lab_cleans_up_does_not_cut_the_cleanup_short()
    {
        using var lab = LabProcess.Start(LongRun);
        lab.WaitForOutput("] arp ", StartTimeout);

        var signalled = lab.Elapsed;
        lab.SignalGroup(Posix.SigInt);
        lab.SignalGroup(Posix.SigInt);                       // an impatient double Ctrl-C
        lab.WaitForOutput("interrupted (signal 15)", ExitTimeout);
        lab.SignalGroup(Posix.SigInt);                       // and one while run.sh waits for the topology's cleanup
        var run = lab.WaitForExit(ExitTimeout);
        var took = lab.Elapsed - signalled;
        DeleteKeptLogs(run);

        // Killed by the second or third SIGINT, run.sh would leave the controller (started in the
        // background, it ignores SIGINT) and the OVS it started running: TearDown would see them.
        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        Assert.That(run.Output, Does.Contain("RESULT direct FAIL"), "the topology finished its cleanup and its report");
        if (!Before.OvsRunning) Assert.That(run.Output, Does.Contain("lab: stopping Open vSwitch"), run.ToString());
        TestContext.Out.WriteLine($"exited {took.TotalSeconds:0.0} s after the first of three Ctrl-C\n{run.Output}");
    }

    [Test]
    public void Killing_the_topology_leaves_nothing_behind()
    {
        using var lab = LabProcess.Start(LongRun);
        lab.WaitForOutput("] arp ", StartTimeout);

        Posix.Kill(lab.TopologyPid("direct"), Posix.SigKill);
        var run = lab.WaitForExit(ExitTimeout);
        DeleteKeptLogs(run);

        // Mininet could not stop its network: run.sh removed what it left (its bridge at least; the
        // snoop on it too, which only ends with the bridge) and reported it.
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Output, Does.Contain("RESULT direct FAIL (the topology stopped with exit code 137"), run.ToString());
        Assert.That(run.Output, Does.Contain("lab: removed what the topology left behind:").And.Contain("  bridge lbdirect"), run.ToString());
        TestContext.Out.WriteLine(run.Output);
    }

    [Test]
    public void A_topology_that_does_not_stop_on_SIGTERM_is_killed_and_what_it_left_is_removed()
    {
        using var lab = LabProcess.Start(LongRun);
        lab.WaitForOutput("] arp ", StartTimeout);
        var topology = lab.TopologyPid("direct");
        try
        {
            Posix.Kill(topology, Posix.SigStop);             // a hung Mininet: SIGTERM stays pending
            var signalled = lab.Elapsed;
            lab.SignalGroup(Posix.SigInt);
            var run = lab.WaitForExit(ExitTimeout);
            var took = lab.Elapsed - signalled;
            DeleteKeptLogs(run);

            Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
            Assert.That(run.Output, Does.Contain("lab: the topology did not stop within 15 s of SIGTERM; killing it"), run.ToString());
            Assert.That(run.Output, Does.Contain("lab: removed what the topology left behind:").And.Contain("  bridge lbdirect"), run.ToString());
            Assert.That(took, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(15)), "run.sh gave the topology its 15 s");
            TestContext.Out.WriteLine($"exited {took.TotalSeconds:0.0} s after Ctrl-C\n{run.Output}");
        }
        finally
        {
            // Gone already, unless run.sh failed to kill it (then it would stay stopped forever).
            if (LabProcess.IsTopology(topology, "direct")) Posix.Kill(topology, Posix.SigKill);
        }
    }

    [Test]
    public void A_run_after_a_killed_run_removes_its_leftovers_and_passes()
    {
        string? killedLogs = null;
        try
        {
            using (var killed = LabProcess.Start(LongRun))
            {
                killed.WaitForOutput("] arp ", StartTimeout);
                killed.SignalGroup(Posix.SigKill);              // run.sh, the topology, the controller: no cleanup at all
                var dead = killed.WaitForExit(ExitTimeout);
                killedLogs = System.Text.RegularExpressions.Regex.Match(dead.Output, @"log (/tmp/ovslb-lab\.\w+)/controller-direct\.log").Groups[1].Value;
            }
            Assert.That(SystemOvs.Running && SystemOvs.Bridges.Contains("lbdirect"), Is.True, "the killed run left its bridge (and OVS) behind");

            var run = LabRun.Start(StartTimeout, "direct", "--connections", "40");

            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(run.Output, Does.Contain("lab: removed what an earlier lab run (killed before it could clean up) left behind:")
                .And.Contain("  bridge lbdirect"), run.ToString());
            Assert.That(run.Results, Is.EqualTo(new Dictionary<string, string> { ["direct"] = "PASS" }), run.ToString());
            LabReport.AssertMode(run, "direct", connections: 40);
            TestContext.Out.WriteLine(run.Output);
        }
        finally
        {
            // What only the killed run could have undone: its log directory, the OVS it started.
            if (!string.IsNullOrEmpty(killedLogs) && Directory.Exists(killedLogs)) Directory.Delete(killedLogs, recursive: true);
            if (!Before.OvsRunning && SystemOvs.Running) SystemOvs.Stop();
        }
    }

    /// <summary>
    /// Another userspace OVS that was killed leaves its datapath's tap "ovs-netdev" (persistent); the
    /// system ovs-vswitchd takes it over with the lab's first bridge and deletes it with the last one.
    /// The lab did not make it, so it must still be there after the run, with the same tap flags.
    /// </summary>
    [Test]
    public void A_userspace_datapath_device_the_lab_did_not_make_is_still_there_after_a_run()
    {
        static string? Tap() => ProcessRunner.Run("ip", ["tuntap", "show"]).Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("ovs-netdev:", StringComparison.Ordinal));
        string? found = Tap();
        if (found is null) ProcessRunner.Run("ip", ["tuntap", "add", "dev", "ovs-netdev", "mode", "tap"]).EnsureSuccess();
        string before = Tap()!;
        try
        {
            var run = LabRun.Start(StartTimeout, "direct", "--connections", "20");

            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(Tap(), Is.EqualTo(before), run.ToString());
            Assert.That(run.Output, Does.Contain("lab: put back ovs-netdev"), "OVS deleted it with lbdirect; the lab re-created it");
        }
        finally
        {
            if (found is null) ProcessRunner.Run("ip", ["link", "del", "ovs-netdev"]);
        }
    }

    [Test]
    public void A_topology_cut_short_while_it_is_built_is_taken_down_after_its_stale_leftovers_were_removed()
    {
        using var labLock = LabLock.Take(TimeSpan.FromMinutes(10));
        bool startedOvs = SystemOvs.EnsureRunning();
        var peer = "olt" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            // What a killed run of the distributed mode could leave: its bridge, a port of the other.
            ProcessRunner.Run("ovs-vsctl", ["--timeout=10", "add-br", "lbhv1", "--", "set", "bridge", "lbhv1", "datapath_type=netdev"]).EnsureSuccess();
            ProcessRunner.Run("ip", ["link", "add", "lbhv2-eth9", "type", "veth", "peer", "name", peer]).EnsureSuccess();

            var script = Path.Combine(LabRun.RepoRoot, "tests", "OvsLb.Lab.Tests", "cut_short_topology.py");
            var sw = Stopwatch.StartNew();
            var r = ProcessRunner.Run("/usr/bin/python3", [script, LabRun.RepoRoot, "--controller", "127.0.0.1:1"], timeout: TimeSpan.FromMinutes(2));
            var output = r.Stdout + r.Stderr;

            Assert.That(output, Does.Contain("leftovers    removed bridge lbhv1, left by an earlier run of the lab"), output);
            Assert.That(output, Does.Contain("leftovers    removed interface lbhv2-eth9, left by an earlier run of the lab"), output);
            Assert.That(output, Does.Contain("[FAIL] run      interrupted (signal 15); cleaning up").And.Contain("RESULT distributed FAIL"), output);
            Assert.That(r.ExitCode, Is.EqualTo(1), output);
            // The veth between the bridges had both ends in the root namespace: only stopping the
            // half-built network removes it (the hosts' veths go with their namespaces anyway).
            var now = MachineState.Capture();
            Assert.That(now.LabInterfaces.Except(Before.LabInterfaces).Where(i => i != "ovs-netdev"), Is.Empty, output);
            Assert.That(now.LabProcesses.Except(Before.LabProcesses), Is.Empty, output);
            Assert.That(now.Bridges.Except(Before.Bridges), Is.Empty, output);
            TestContext.Out.WriteLine($"cut short and cleaned up in {sw.Elapsed.TotalSeconds:0.0} s\n{output}");
        }
        finally
        {
            ProcessRunner.Run("ovs-vsctl", ["--timeout=10", "--if-exists", "del-br", "lbhv1"]);
            if (Directory.Exists("/sys/class/net/lbhv2-eth9")) ProcessRunner.Run("ip", ["link", "del", "lbhv2-eth9"]);
            if (startedOvs) SystemOvs.Stop();
            // The netdev bridge this test added itself took over an "ovs-netdev" tap that was already there
            // (left by another userspace OVS) and OVS deleted it with that bridge: put it back as found, as
            // lab/run.sh's clean-up does after a run (this test runs the topology without run.sh).
            if (Before.LabInterfaces.Contains("ovs-netdev") && !Directory.Exists("/sys/class/net/ovs-netdev"))
                ProcessRunner.Run("ip", ["tuntap", "add", "dev", "ovs-netdev", "mode", "tap"]);
        }
    }

    private static void DeleteKeptLogs(LabRun run)
    {
        if (run.KeptLogs is { } kept && Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
    }
}
