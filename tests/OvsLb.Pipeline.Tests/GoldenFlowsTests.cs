namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The pure builder's flows and groups for each scenario equal the golden files under
/// <c>flows/&lt;scenario&gt;/</c>. To change the pipeline on purpose, regenerate with
/// <c>OVSLB_REGEN_FLOWS=1 dotnet test --filter GoldenFlowsTests</c> and review <c>git diff flows/</c>.
/// (<see cref="GoldenFlowsOvsTests"/> checks the same files against a real OVS.)
/// </summary>
public sealed class GoldenFlowsTests
{
    private static bool Regenerate => Environment.GetEnvironmentVariable("OVSLB_REGEN_FLOWS") == "1";

    public static IEnumerable<TestCaseData> Bridges() =>
        Scenario.Names.SelectMany(n => Scenario.Load(n).Config.Bridges.Select(b => new TestCaseData(n, b.Name).SetArgDisplayNames(n, b.Name)));

    [TestCaseSource(nameof(Bridges))]
    public void BuilderOutputEqualsGoldenFiles(string scenario, string bridgeName)
    {
        var s = Scenario.Load(scenario);
        var b = s.Config.Bridges.Single(x => x.Name == bridgeName);
        var plan = s.Build(b);
        Assert.That(plan.Warnings, Is.Empty, "the scenario's configuration should take effect entirely");
        var flows = Scenario.FlowLines(plan.State);
        string golden = Scenario.SourceDir(scenario);
        var groups = Scenario.GroupLines(plan.State);
        if (Regenerate)
        {
            File.WriteAllLines(s.FlowsFile(b, golden), flows);
            File.WriteAllLines(s.GroupsFile(b, golden), groups);
            Assert.Warn($"regenerated {golden}: review with git diff");
        }
        Assert.Multiple(() =>
        {
            Assert.That(flows, Is.EqualTo(File.ReadAllLines(s.FlowsFile(b, golden))), $"flows/{scenario}/{bridgeName}.flows.txt");
            Assert.That(groups, Is.EqualTo(File.ReadAllLines(s.GroupsFile(b, golden))), $"flows/{scenario}/{bridgeName}.groups.txt");
        });
    }
}
