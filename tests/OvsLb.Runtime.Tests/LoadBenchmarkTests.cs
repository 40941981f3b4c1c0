using OvsLb.Benchmarks;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// The load benchmarks of tests/OvsLb.Benchmarks run at a tiny size, so their code keeps working.
/// Only correctness is asserted (every fake holds the desired flows, every packet-in is answered
/// with a valid PACKET_OUT); speed figures come from the full benchmark runs, never from here.
/// </summary>
[TestFixture]
public class LoadBenchmarkTests
{
    private static readonly PacketInLoadOptions TinyLoad = new()
    {
        Switches = 4, Window = 10, Warmup = TimeSpan.FromMilliseconds(200), Duration = TimeSpan.FromSeconds(1),
    };

    [Test]
    public async Task Scale_benchmark_with_20_fakes_puts_exactly_the_desired_flows_in_every_fake()
    {
        var r = await ScaleBenchmark.RunAsync(new ScaleOptions { Switches = 20, Flows = 100, Timeout = TimeSpan.FromSeconds(30) }, TestContext.Out);
        ScaleBenchmark.Print(r, TestContext.Out);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verified, Is.EqualTo(20), "fakes holding exactly the 100 desired flows");
            Assert.That(r.BundleCommits, Is.EqualTo(20), "one bundle per switch");
            Assert.That(r.FlowModsSent, Is.EqualTo(2000));
            Assert.That(r.Disconnects, Is.Zero);
            Assert.That(r.FirstProblems, Is.Empty);
            Assert.That(r.Handshaken, Is.LessThanOrEqualTo(r.Reconciled));
        });
    }

    [Test]
    public async Task Scale_benchmark_with_fakes_in_a_child_process_reports_them_complete()
    {
        var r = await ScaleBenchmark.RunAsync(new ScaleOptions { Switches = 20, Flows = 10, FakesInChildProcess = true, Timeout = TimeSpan.FromSeconds(30) }, TestContext.Out);
        Assert.That(r.Verified, Is.EqualTo(20));
        Assert.That(r.ChildRss, Is.GreaterThan(0));
        Assert.That(r.FirstProblems, Is.Empty);
    }

    [Test]
    public async Task Packet_in_benchmark_gets_an_arp_reply_for_every_packet_in_from_the_runtime()
    {
        var run = await PacketInBenchmark.RunAsync(PacketInTarget.OvsLbInProcess, TinyLoad, null, TestContext.Out);
        AssertAllAnswered(run.Load, arpReplies: true);
    }

    [Test]
    public async Task Packet_in_benchmark_runs_the_runtime_in_a_child_process()
    {
        var run = await PacketInBenchmark.RunAsync(PacketInTarget.OvsLb, TinyLoad, null, TestContext.Out);
        AssertAllAnswered(run.Load, arpReplies: true);
        Assert.That(run.ControllerCpu, Is.Not.Null);
    }

    [Test, Category("Ovs")]
    public async Task Packet_in_benchmark_gets_a_flood_for_every_packet_in_from_ovs_testcontroller()
    {
        if (!OvsTestController.IsInstalled) Assert.Fail($"{OvsTestController.Binary} is missing: apt-get install -y openvswitch-testcontroller");
        var run = await PacketInBenchmark.RunAsync(PacketInTarget.TestController, TinyLoad, null, TestContext.Out, ["-n"]);
        AssertAllAnswered(run.Load, arpReplies: false);
        Assert.That(run.Load.FlowModsDuringLoad, Is.Zero, "-n: no flows, every packet-in answered by a PACKET_OUT");
    }

    private static void AssertAllAnswered(PacketInLoadResult r, bool arpReplies)
    {
        PacketInBenchmark.Print([new PacketInRun("under test", r, null, TimeSpan.Zero, "")], TinyLoad, TestContext.Out);
        Assert.Multiple(() =>
        {
            Assert.That(r.Replies, Is.GreaterThan(0));
            Assert.That(r.BadReplies, Is.Zero, "PACKET_OUTs that were not a valid answer");
            Assert.That(r.Unmatched, Is.Zero, "PACKET_OUTs answering no outstanding packet-in");
            Assert.That(r.Lost, Is.Zero, "packet-ins never answered");
            Assert.That(arpReplies ? r.ArpReplies : r.Floods, Is.EqualTo(r.ArpReplies + r.Floods));
            // Every sent packet-in is answered or still in the window when the run stops.
            Assert.That(r.PacketInsSent - (r.ArpReplies + r.Floods), Is.InRange(0, TinyLoad.Switches * TinyLoad.Window));
            Assert.That(r.P50Micros, Is.LessThanOrEqualTo(r.P99Micros));
        });
    }
}
