using OvsLb.Benchmarks;

namespace OvsLb.Pipeline.Tests.Measurement;

/// <summary>
/// The scale benchmark of tests/OvsLb.Benchmarks (<c>lbscale</c>) at a small size, so its code keeps
/// working: counts and convergence only, never timings (the figures come from the full run, see
/// tests/OvsLb.Benchmarks/README.md).
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class LbScaleBenchmarkTests
{
    [Test]
    public async Task Lb_scale_benchmark_with_50_vips_converges_to_exactly_the_built_state_and_flows_grow_with_vips_and_backends_only()
    {
        var o = new LbScaleOptions { Vips = 50, BackendsPerVip = 8, Packets = 200, Timeout = TimeSpan.FromSeconds(60), ChangeRounds = 5 };
        var r = await LbScaleBenchmark.RunAsync(o, TestContext.Out);
        LbScaleBenchmark.Print(r, TestContext.Out);
        var m = r.Model!;
        int backends = o.Vips * o.BackendsPerVip;
        Assert.Multiple(() =>
        {
            Assert.That(r.Controller.Verified, Is.True, "after the controller's cold connect, OVS's dumps equal the built state");
            Assert.That(r.FloorTwoBundles.Verified, Is.True, "ovs-ofctl --bundle add-groups/add-flows loads the same state");
            Assert.That(r.FloorOneBundle.Verified, Is.True, "ovs-ofctl bundle loads the same state");
            Assert.That(r.BundleCommits, Is.EqualTo(1), "one bundle from a cold connect");
            Assert.That(r.FlowModsSent, Is.EqualTo(r.Flows));
            Assert.That(r.GroupModsSent, Is.EqualTo(r.Groups));
            Assert.That(r.Groups, Is.EqualTo(o.Vips), "one select group per service");
            Assert.That(r.Buckets, Is.EqualTo(o.Vips * 256), "256 buckets per group");

            // flows = a + b·VIPs + c·backends: exactly linear, growing with both, nothing else.
            Assert.That(m.Check.Built, Is.EqualTo(m.Check.Predicted), $"the fitted model predicts a fourth size: {m}");
            Assert.That(m.B, Is.GreaterThan(0), "flows grow with VIPs");
            Assert.That(m.C, Is.GreaterThan(0), "flows grow with backends (translate mode: one return-path flow each)");
            Assert.That(new[] { m.A, m.B, m.C }.All(x => x == Math.Round(x)), Is.True, $"whole flows per VIP and per backend: {m}");
            Assert.That(r.Flows, Is.EqualTo(m.A + m.B * o.Vips + m.C * backends), "this run's flow count fits the model");

            // ... and never with connections: distinct client 5-tuples through the datapath add no flow.
            Assert.That(r.ServiceTablePackets, Is.EqualTo(o.Packets), "every injected packet reached the service table");
            Assert.That(r.FlowsAfterPackets, Is.EqualTo(r.Flows), "the flow table does not grow with connections");
            Assert.That(r.Problems, Is.Empty);

            // One change at a time (health, reload, a remote port): each round's diff holds exactly the changed
            // groups, and the controller's cached plan equals a fresh build of the same inputs.
            Assert.That(r.Change!.Problems, Is.Empty, "one-bridge change rounds");
            Assert.That(r.ChangeDistributed!.Problems, Is.Empty, "four-bridge change rounds");
            Assert.That(r.ChangeDistributed.Cases[1].GroupMods.Sum(), Is.GreaterThan(0), "a remote host port going down changed groups on this bridge");
        });
    }
}
