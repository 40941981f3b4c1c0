using OvsLb.Testing;

namespace OvsLb.Lab.Tests;

/// <summary>
/// The system Open vSwitch (the one Mininet and lab/run.sh use), started and stopped the way
/// run.sh does it: the service unit under systemd, Debian's ovs-ctl elsewhere. For the tests that
/// leave a killed lab's OVS running on purpose, or need OVS without run.sh.
/// </summary>
public static class SystemOvs
{
    private const string OvsCtl = "/usr/share/openvswitch/scripts/ovs-ctl";
    private static bool Systemd => Directory.Exists("/run/systemd/system");

    public static bool Running =>
        ProcessRunner.Run("ovs-vsctl", ["--timeout=5", "show"]).ExitCode == 0
        && ProcessRunner.Run("ovs-appctl", ["--timeout=5", "-t", "ovs-vswitchd", "version"]).ExitCode == 0;

    /// <summary>Starts it when it is not running; returns whether it did (so the caller stops it again).</summary>
    public static bool EnsureRunning()
    {
        if (Running) return false;
        (Systemd ? ProcessRunner.Run("systemctl", ["start", "openvswitch-switch"], timeout: TimeSpan.FromMinutes(1))
                 : ProcessRunner.Run(OvsCtl, ["start", "--system-id=random"], timeout: TimeSpan.FromMinutes(1))).EnsureSuccess();
        Assert.That(ProcessRunner.WaitUntil(() => Running, TimeSpan.FromSeconds(10)), Is.True, "the system Open vSwitch did not come up");
        return true;
    }

    public static void Stop() =>
        (Systemd ? ProcessRunner.Run("systemctl", ["stop", "openvswitch-switch"], timeout: TimeSpan.FromMinutes(1))
                 : ProcessRunner.Run(OvsCtl, ["stop"], timeout: TimeSpan.FromMinutes(1))).EnsureSuccess();

    public static string[] Bridges =>
        ProcessRunner.Run("ovs-vsctl", ["--timeout=5", "list-br"]).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
