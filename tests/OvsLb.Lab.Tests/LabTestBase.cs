namespace OvsLb.Lab.Tests;

/// <summary>
/// Every lab test checks that the machine is left as it was found (<see cref="MachineState"/>):
/// captured before the test, compared after it, also when the test failed.
/// </summary>
public abstract class LabTestBase
{
    private MachineState _before = null!;

    /// <summary>The state captured before the test.</summary>
    protected MachineState Before => _before;

    [SetUp]
    public void CaptureMachine() => _before = MachineState.Capture();

    [TearDown]
    public void MachineIsAsFound()
    {
        var diff = MachineState.Capture().DifferencesFrom(_before).ToArray();
        Assert.That(diff, Is.Empty, "the lab left the machine changed");
    }
}
