using OvsLb.Balancer;
using OvsLb.Pipeline.Config;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The three timings the controller used to fix (next-hop hard timeout, gateway probe interval, the
/// grace of a disconnected bridge) are options of the load-balancer file: parsed, validated with the
/// file position of a bad value, and used by the builder and the load balancer.
/// </summary>
public sealed class TimingOptionsTests
{
    private const string Translate = """
        {
          "options": { OPTIONS },
          "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe", "gateways": [ "10.0.0.1" ] } ],
          "services": [ { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "translate",
                          "backends": [ { "name": "b1", "ip": "10.1.0.11" } ] } ]
        }
        """;

    private static ConfigResult Parse(string options) => ConfigLoader.Parse(Translate.Replace("OPTIONS", options));

    private static LoadBalancerConfig Valid(string options)
    {
        var r = Parse(options);
        Assert.That(r.IsValid, Is.True, ConfigErrorFormatter.Format(r.Errors, "test.json"));
        return r.Config!;
    }

    private static ConfigError OnlyError(string options, string path)
    {
        var r = Parse(options);
        var errs = r.Errors.Where(e => e.Path == path).ToList();
        Assert.That(errs, Has.Count.EqualTo(1), ConfigErrorFormatter.Format(r.Errors, "test.json"));
        Assert.That(errs[0].Line, Is.EqualTo(2), "the error points at the options line");
        return errs[0];
    }

    [Test]
    public void Defaults_are_a_60_s_next_hop_probed_every_20_s_and_a_10_s_grace()
    {
        var o = Valid("").Options;
        Assert.That((o.NextHopTimeout, o.EffectiveGatewayProbeInterval, o.BridgeGrace),
            Is.EqualTo((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10))));
    }

    [Test]
    public void Configured_values_are_kept_and_the_probe_interval_defaults_to_a_third_of_the_timeout()
    {
        var o = Valid("\"nextHopTimeout\": \"30s\", \"bridgeGrace\": \"0s\"").Options;
        Assert.That((o.NextHopTimeout, o.EffectiveGatewayProbeInterval, o.BridgeGrace),
            Is.EqualTo((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.Zero)));
        Assert.That(Valid("\"gatewayProbeInterval\": \"500ms\"").Options.EffectiveGatewayProbeInterval, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
    }

    [Test]
    public void The_next_hop_timeout_becomes_the_learned_flows_hard_timeout()
    {
        var config = Valid("\"nextHopTimeout\": \"45s\"");
        var view = new BridgeView(1, "br0", new Dictionary<uint, OvsLb.OpenFlow.Messages.PortDescription>(), new HashSet<string>(), new Dictionary<string, IReadOnlyList<string?>>());
        var learnLines = PipelineBuilder.Build(config, view).State.FlowLines().Where(l => l.Contains("learn(table=50")).ToList();
        Assert.That(learnLines, Has.Count.EqualTo(2));
        Assert.That(learnLines, Has.All.Contains("learn(table=50,hard_timeout=45,"));
    }

    [Test]
    public void The_load_balancer_probes_and_waits_as_configured()
    {
        var config = Valid("\"nextHopTimeout\": \"9s\", \"bridgeGrace\": \"2s\"");
        var lb = new LoadBalancer(config);
        Assert.That((lb.GatewayProbeInterval, lb.BridgeGraceTime), Is.EqualTo((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2))));
        lb.Apply(Valid("\"nextHopTimeout\": \"9s\", \"gatewayProbeInterval\": \"1s\", \"bridgeGrace\": \"5s\""));
        Assert.That((lb.GatewayProbeInterval, lb.BridgeGraceTime), Is.EqualTo((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5))), "a reload changes them");
    }

    [TestCase("\"nextHopTimeout\": \"2500ms\"", "options.nextHopTimeout", "not a whole number of seconds")]
    [TestCase("\"nextHopTimeout\": \"1s\"", "options.nextHopTimeout", "out of range")]
    [TestCase("\"nextHopTimeout\": \"19h\"", "options.nextHopTimeout", "not a duration")]
    [TestCase("\"nextHopTimeout\": \"20s\", \"gatewayProbeInterval\": \"20s\"", "options.gatewayProbeInterval", "must be shorter than the next-hop timeout")]
    [TestCase("\"gatewayProbeInterval\": \"50ms\"", "options.gatewayProbeInterval", "out of range")]
    [TestCase("\"bridgeGrace\": \"2h\"", "options.bridgeGrace", "not a duration")]
    [TestCase("\"bridgeGrace\": \"61m\"", "options.bridgeGrace", "out of range")]
    public void A_bad_timing_is_an_error_naming_the_option(string options, string path, string message) =>
        Assert.That(OnlyError(options, path).Message, Does.Contain(message));
}
