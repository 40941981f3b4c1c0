using Microsoft.Extensions.Logging;
using OvsLb.Balancer;
using OvsLb.Runtime;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The golden dumps under <c>flows/&lt;scenario&gt;/</c> are what a real OVS shows: for each scenario and
/// bridge, a private ovs-vswitchd gets a dummy-datapath bridge with the scenario's name, datapath id and
/// ports (<c>ports.txt</c>, pinned OpenFlow numbers); the real <see cref="LoadBalancer"/> behind the real
/// controller programs it; then <c>ovs-ofctl -O OpenFlow13 --no-stats dump-flows</c> and <c>dump-groups</c>,
/// normalised (stats stripped, flows in pipeline order), must equal <c>&lt;bridge&gt;.flows.txt</c> and
/// <c>&lt;bridge&gt;.groups.txt</c> line for line. (<see cref="GoldenFlowsTests"/> checks the builder against the same files.)
/// The load balancer's loops are not started: the scenarios' TCP health checks would connect out of this
/// machine, and a backend marked down would change the dump; gateways are still probed once on connect
/// (PACKET_OUT into the dummy bridge, answered by nobody).
/// </summary>
[TestFixture, Category("Ovs")]
public sealed class GoldenFlowsOvsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static IEnumerable<TestCaseData> Bridges() => GoldenFlowsTests.Bridges();

    [TestCaseSource(nameof(Bridges))]
    public async Task RealOvsDumpsEqualGoldenFiles(string scenario, string bridgeName)
    {
        var s = Scenario.Load(scenario);
        var b = s.Config.Bridges.Single(x => x.Name == bridgeName);
        var wantFlows = File.ReadAllLines(s.FlowsFile(b));
        var wantGroups = File.ReadAllLines(s.GroupsFile(b));

        using var ovs = OvsSandbox.Start(dummy: true);
        ovs.AddBridge(b.Name, s.DatapathId(b));
        foreach (var (no, name) in s.Ports.GetValueOrDefault(b.Name) ?? []) ovs.AddDummyPort(b.Name, name, (int)no);

        var log = new RecordingLoggerProvider();
        var loggers = log.Factory();
        await using var lb = new LoadBalancer(s.Config, BuildSettings.Default, loggers.CreateLogger("OvsLb.LoadBalancer"));
        var options = new ControllerOptions { Listen = ["127.0.0.1:0"], EchoInterval = TimeSpan.FromSeconds(1), HandshakeTimeout = TimeSpan.FromSeconds(5) };
        await using var controller = new SwitchServer(options, lb, lb, loggers, switches: lb.Switches);
        await controller.StartAsync();
        ovs.SetController(b.Name, $"tcp:127.0.0.1:{controller.LocalEndpoints[0].Port}");

        IReadOnlyList<string> flows = [], groups = [];
        bool same = await ProcessRunner.WaitUntilAsync(() =>
        {
            flows = FlowText.ByTable(ovs.DumpFlows(b.Name));
            groups = ovs.DumpGroups(b.Name);
            return flows.SequenceEqual(wantFlows) && groups.SequenceEqual(wantGroups);
        }, Patience, TimeSpan.FromMilliseconds(100));
        TestContext.Out.WriteLine($"{scenario}/{bridgeName}: {flows.Count} flows, {groups.Count} groups installed by the controller " +
            $"({(same ? "equal to" : "DIFFERENT from")} the golden files)");
        Assert.Multiple(() =>
        {
            Assert.That(controller.Sessions.ContainsKey(s.DatapathId(b)), Is.True, $"the bridge connected; log:\n{string.Join("\n", log.Lines.TakeLast(20))}");
            Assert.That(flows, Is.EqualTo(wantFlows), $"ovs-ofctl dump-flows {bridgeName} vs flows/{scenario}/{bridgeName}.flows.txt; " +
                $"missing: {string.Join(" | ", wantFlows.Except(flows))}; unexpected: {string.Join(" | ", flows.Except(wantFlows))}");
            Assert.That(groups, Is.EqualTo(wantGroups), $"ovs-ofctl dump-groups {bridgeName} vs flows/{scenario}/{bridgeName}.groups.txt");
            Assert.That(log.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)), Is.Empty, "the controller logged errors");
        });
    }
}
