using OvsLb.Balancer;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>The controller glue's own state: health across reloads (no switch needed: <see cref="LoadBalancer.Plan"/> is called directly).</summary>
public sealed class LoadBalancerStateTests
{
    private static (LoadBalancerConfig Config, SwitchInfo Switch) Direct(HealthCheckKind kind)
    {
        var s = Scenario.Load("direct");
        var b = s.Config.Bridges[0];
        var config = s.Config with { Services = [s.Config.Services[0] with { HealthCheck = HealthCheckConfig.Default with { Kind = kind } }] };
        var view = s.View(b);
        return (config, new SwitchInfo(view.DatapathId, view.BridgeName, view.Ports));
    }

    [Test]
    public async Task A_backend_held_down_by_a_check_comes_back_when_the_check_is_turned_off()
    {
        var (config, sw) = Direct(HealthCheckKind.Tcp);
        await using var lb = new LoadBalancer(config);
        for (int i = 0; i < config.Services[0].HealthCheck.Fall; i++) lb.Health.Record("web/s1", false, 2, 3);
        Assert.That(lb.Plan(sw, null).Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s2", "s3" }));

        var (off, _) = Direct(HealthCheckKind.None);
        lb.Apply(off);
        Assert.That(lb.Plan(sw, null).Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s1", "s2", "s3" }), "nothing would ever bring s1 back");
        Assert.That(lb.Health.IsUp("web/s1"), Is.True);
    }

    [Test]
    public async Task Health_state_survives_a_reload_that_does_not_touch_the_check()
    {
        var (config, sw) = Direct(HealthCheckKind.Tcp);
        await using var lb = new LoadBalancer(config);
        for (int i = 0; i < 3; i++) lb.Health.Record("web/s1", false, 2, 3);
        var reweighted = config with { Services = [config.Services[0] with { Backends = config.Services[0].Backends.Select(b => b.Name == "s2" ? b with { Weight = 5 } : b).ToArray() }] };
        lb.Apply(reweighted);
        Assert.That(lb.Plan(sw, null).Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s2", "s3" }));
    }

    [Test]
    public async Task In_cluster_mode_the_plan_uses_local_and_shared_down_and_shared_counts_only_for_checked_services()
    {
        var (config, sw) = Direct(HealthCheckKind.Tcp);
        await using var lb = new LoadBalancer(config);
        Assert.That(lb.SharedDown, Is.Null, "single instance: local health only");
        var shared = new HashSet<string>(StringComparer.Ordinal) { "web/s2", "other/x" };
        lb.SharedDown = () => shared;
        int published = 0;
        lb.LocalHealthChanged += () => published++;
        for (int i = 0; i < 3; i++) lb.Health.Record("web/s1", false, 2, 3);
        Assert.That(lb.LocalDown, Is.EquivalentTo(new[] { "web/s1" }));
        Assert.That(lb.Plan(sw, null).Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s3" }), "s1 down here, s2 down on another instance");

        shared.Clear();
        Assert.That(lb.Plan(sw, null).Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s2", "s3" }));

        // A shared verdict on a backend whose service has no check does not count (as a local one would not).
        var (off, _) = Direct(HealthCheckKind.None);
        lb.Apply(off);
        Assert.That(published, Is.EqualTo(1), "a reload that forgets local verdicts asks for them to be published again");
        shared.Add("web/s2");
        Assert.That(lb.Plan(sw, null).Plan.Services[0].LiveBackends.Select(b => b.Name), Is.EqualTo(new[] { "s1", "s2", "s3" }));
    }
}
