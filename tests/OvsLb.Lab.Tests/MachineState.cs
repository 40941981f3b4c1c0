using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Lab.Tests;

/// <summary>
/// What the lab may touch on this machine, so a test can check it was left as found: whether the
/// system Open vSwitch runs (and its bridges), network interfaces of the root namespace named like
/// the lab's bridges and ports, processes the lab starts (Mininet host shells, the lab's servers,
/// snoops on its bridges, a controller on a lab configuration) and the lab's temporary files and
/// directories (<c>/tmp/ovslb-lab*</c>: run.sh's log directory, a topology's scratch directory and its
/// servers' output files when it runs by hand). Other tests' private OVS sandboxes and namespaces are
/// not part of it.
/// </summary>
public sealed partial record MachineState(bool OvsRunning, string[] Bridges, string[] LabInterfaces, string[] LabProcesses, string[] LabTempEntries)
{
    public static MachineState Capture()
    {
        var show = ProcessRunner.Run("ovs-vsctl", ["--timeout=5", "show"]);
        bool running = show.ExitCode == 0 && ProcessRunner.Run("ovs-appctl", ["--timeout=5", "-t", "ovs-vswitchd", "version"]).ExitCode == 0;
        string[] bridges = running
            ? [.. ProcessRunner.Run("ovs-vsctl", ["--timeout=5", "list-br"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order()]
            : [];
        string[] interfaces = [.. ProcessRunner.Run("ip", ["-o", "link", "show"]).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3)[1].Trim().Split('@')[0])
            .Where(n => LabInterfaceRegex().IsMatch(n)).Order()];
        string[] processes = [.. ProcessRunner.Run("ps", ["-eo", "args"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(a => a.Contains("mininet:", StringComparison.Ordinal) || a.Contains("lab/lablib/", StringComparison.Ordinal)
                        || a.StartsWith("ovs-ofctl snoop lb", StringComparison.Ordinal)
                        || (a.Contains("ovslb.dll run", StringComparison.Ordinal) && a.Contains("/lab/", StringComparison.Ordinal))
                        || a.Contains("lab/run.sh", StringComparison.Ordinal))
            .Order()];
        string[] temp = [.. Directory.EnumerateFileSystemEntries("/tmp", "ovslb-lab*").Order()];
        return new MachineState(running, bridges, interfaces, processes, temp);
    }

    /// <summary>Differences from <paramref name="before"/>, one line each (empty when none).</summary>
    public IEnumerable<string> DifferencesFrom(MachineState before)
    {
        if (OvsRunning != before.OvsRunning) yield return $"system OVS running: {before.OvsRunning} before, {OvsRunning} after";
        foreach (var (name, a, b) in new[] { ("bridges", before.Bridges, Bridges), ("interfaces", before.LabInterfaces, LabInterfaces),
                                              ("processes", before.LabProcesses, LabProcesses), ("temporary files", before.LabTempEntries, LabTempEntries) })
        {
            var added = b.Except(a).ToArray();
            var removed = a.Except(b).ToArray();
            if (added.Length > 0) yield return $"{name} left behind: {string.Join(", ", added)}";
            if (removed.Length > 0) yield return $"{name} gone: {string.Join(", ", removed)}";
        }
    }

    // The lab's bridges (lbdirect, lbtrans, lbback, lbpg, lbhv1, lbhv2, lbnat, lbfnat), their ports (<bridge>-ethN)
    // and the userspace datapath's own device.
    [GeneratedRegex(@"^(lbdirect|lbtrans|lbback|lbpg|lbhv\d|lbnat|lbfnat)(-eth\d+)?$|^ovs-netdev$")]
    private static partial Regex LabInterfaceRegex();
}
