using OvsLb.Benchmarks;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.State;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// PACKET_IN load over the DotNetty transport (PACKET_INs decoded in place from pooled buffers, replies
/// batched per event-loop drain): every packet-in answered with a valid ARP reply; and, on purpose only,
/// the packet-in rate against the pipelines transport in the same run.
/// </summary>
[TestFixture]
public class DotNettyLoadTests
{
    private static async Task<PacketInLoadResult> RunAsync(ITransport? transport, PacketInLoadOptions load)
    {
        await using var controller = new SwitchServer(new ControllerOptions { Listen = ["127.0.0.1:0"] }, new StaticDesiredState(SwitchState.Empty), new ArpResponder(), transport: transport);
        await controller.StartAsync();
        bool Ready() => controller.Sessions.Count == load.Switches && controller.Sessions.Values.All(s => s.State == SessionState.Ready);
        return await PacketInLoadGenerator.RunAsync(controller.LocalEndpoints[0], load, Ready, TestContext.Out);
    }

    [Test]
    public async Task Every_packet_in_gets_an_arp_reply_over_dotnetty()
    {
        var r = await RunAsync(new DotNettyTransport(), new PacketInLoadOptions
        {
            Switches = 4, Window = 10, Warmup = TimeSpan.FromMilliseconds(200), Duration = TimeSpan.FromSeconds(1),
        });
        Assert.Multiple(() =>
        {
            Assert.That(r.Replies, Is.GreaterThan(0));
            Assert.That(r.BadReplies, Is.Zero, "PACKET_OUTs that were not a valid answer");
            Assert.That(r.Unmatched, Is.Zero, "PACKET_OUTs answering no outstanding packet-in");
            Assert.That(r.Lost, Is.Zero, "packet-ins never answered");
            Assert.That(r.Floods, Is.Zero, "every answer is an ARP reply");
            // Every sent packet-in is answered or still in the window when the run stops.
            Assert.That(r.PacketInsSent - r.ArpReplies, Is.InRange(0, 4 * 10));
        });
    }

    [Test, Explicit("measurement: run on purpose; generator and controller share the process and the CPUs")]
    public async Task Packet_in_rate_of_dotnetty_against_pipelines_in_one_run()
    {
        var load = new PacketInLoadOptions { Switches = 16, Window = 100, Warmup = TimeSpan.FromSeconds(1), Duration = TimeSpan.FromSeconds(5) };
        var runs = new List<(string Name, PacketInLoadResult R)>();
        // One short unmeasured run of each first: the first run of a process pays for compiling its path.
        var warm = load with { Warmup = TimeSpan.FromMilliseconds(200), Duration = TimeSpan.FromSeconds(1) };
        await RunAsync(null, warm);
        await RunAsync(new DotNettyTransport(), warm);
        foreach (var name in (string[])["pipelines", "dotnetty", "pipelines", "dotnetty"])
        {
            var r = await RunAsync(name == "dotnetty" ? new DotNettyTransport() : null, load);
            runs.Add((name, r));
            TestContext.Out.WriteLine($"{name}: {r.RepliesPerSecond:0}/s p50 {r.P50Micros} µs p99 {r.P99Micros} µs lost {r.Lost} bad {r.BadReplies}");
        }
        double Rate(string n) => runs.Where(x => x.Name == n).Average(x => x.R.RepliesPerSecond);
        double P(string n, Func<PacketInLoadResult, long> f) => runs.Where(x => x.Name == n).Average(x => (double)f(x.R));
        TestContext.Out.WriteLine($"dotnetty / pipelines: rate {Rate("dotnetty") / Rate("pipelines"):0.00}, p50 {P("dotnetty", r => r.P50Micros) / P("pipelines", r => r.P50Micros):0.00}, p99 {P("dotnetty", r => r.P99Micros) / P("pipelines", r => r.P99Micros):0.00}");
        Assert.That(runs.All(x => x.R.BadReplies == 0 && x.R.Lost == 0), Is.True);
    }
}
