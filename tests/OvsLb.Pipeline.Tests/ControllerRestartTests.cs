using Microsoft.Extensions.Logging;
using OvsLb.Balancer;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// "Nothing is lost when the controller restarts", for the load balancer's own state: a group whose buckets
/// came from an incremental change (a backend added after the first install, so they differ from what a
/// fresh build of the same configuration would give) survives a controller restart untouched — the new
/// controller reads the installed group back, recovers the slot table from its buckets and sends no
/// GROUP_MOD and no FLOW_MOD.
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class ControllerRestartTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public async Task A_restarted_controller_keeps_the_bucket_assignment_it_finds_on_the_switch()
    {
        var s = Scenario.Load("direct");
        var b = s.Config.Bridges[0];
        var svc = s.Config.Services[0];
        var before = s.Config with { Services = [svc with { Backends = svc.Backends.Take(2).ToArray() }] };
        var after = s.Config; // s3 (weight 2) added

        // What a fresh controller would build for `after` differs from the incremental result: otherwise this test proves nothing.
        var fresh = PipelineBuilder.Build(after, s.View(b)).State.GroupLines();
        var incrementalKeys = PipelineBuilder.Build(after, s.View(b) with
        {
            PreviousSlots = new Dictionary<string, IReadOnlyList<string?>> { ["web"] = PipelineBuilder.Build(before, s.View(b)).Services[0].SlotKeys.ToArray() },
        }).State.GroupLines();
        Assert.That(incrementalKeys, Is.Not.EqualTo(fresh), "the incremental table differs from a fresh build");

        using var ovs = OvsSandbox.Start(dummy: true);
        ovs.AddBridge(b.Name, s.DatapathId(b));
        foreach (var (no, name) in s.Ports[b.Name]) ovs.AddDummyPort(b.Name, name, (int)no);
        var log = new RecordingLoggerProvider();

        IReadOnlyList<string> installedGroups;
        await using (var first = await Start(before, log))
        {
            ovs.SetController(b.Name, $"tcp:127.0.0.1:{first.Controller.LocalEndpoints[0].Port}");
            Assert.That(await ProcessRunner.WaitUntilAsync(() => ovs.DumpGroups(b.Name).Count == 1, Patience, TimeSpan.FromMilliseconds(100)), Is.True);
            first.Lb.Apply(after);
            Assert.That(await ProcessRunner.WaitUntilAsync(() => ovs.DumpGroups(b.Name).SequenceEqual(incrementalKeys), Patience, TimeSpan.FromMilliseconds(100)), Is.True,
                "the added backend took its share without moving the others");
            installedGroups = ovs.DumpGroups(b.Name);
        }

        await using var second = await Start(after, log);
        ovs.SetController(b.Name, $"tcp:127.0.0.1:{second.Controller.LocalEndpoints[0].Port}");
        SwitchSession? session = null;
        Assert.That(await ProcessRunner.WaitUntilAsync(() => second.Controller.Sessions.TryGetValue(s.DatapathId(b), out session) && session.LastReconcile is not null,
            Patience, TimeSpan.FromMilliseconds(50)), Is.True, string.Join("\n", log.Lines.TakeLast(20)));
        var first2 = session!.LastReconcile!;
        TestContext.Out.WriteLine($"after the restart (last reconcile): {first2.GroupModsSent} GROUP_MODs, {first2.FlowModsSent} FLOW_MODs; diff {first2.Diff}");
        Assert.Multiple(() =>
        {
            Assert.That(first2.GroupModsSent, Is.Zero, "no bucket moved");
            Assert.That(first2.FlowModsSent, Is.Zero);
            Assert.That(session.GroupModsSent + session.FlowModsSent, Is.Zero, "nothing was sent at all since the reconnect");
            Assert.That(ovs.DumpGroups(b.Name), Is.EqualTo(installedGroups));
        });
    }

    private sealed record Running(LoadBalancer Lb, SwitchServer Controller) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Controller.DisposeAsync();
            await Lb.DisposeAsync();
        }
    }

    private static async Task<Running> Start(LoadBalancerConfig config, RecordingLoggerProvider log)
    {
        var loggers = log.Factory();
        var lb = new LoadBalancer(config, BuildSettings.Default, loggers.CreateLogger("OvsLb.LoadBalancer"));
        var options = new ControllerOptions { Listen = ["127.0.0.1:0"], EchoInterval = TimeSpan.FromSeconds(1), HandshakeTimeout = TimeSpan.FromSeconds(5) };
        var controller = new SwitchServer(options, lb, lb, loggers, switches: lb.Switches);
        await controller.StartAsync();
        return new Running(lb, controller);
    }
}
