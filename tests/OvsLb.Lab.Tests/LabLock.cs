using System.Diagnostics;

namespace OvsLb.Lab.Tests;

/// <summary>
/// The lock lab/run.sh holds for a whole run (<c>/run/lock/ovslb-lab.lock</c>, <c>/tmp</c> where
/// <c>/run/lock</c> is missing), for a test that touches the lab's fixed-name bridges without
/// run.sh: held by a <c>flock</c> process until disposed, so other lab runs on the machine wait.
/// </summary>
public sealed class LabLock : IDisposable
{
    private readonly Process _holder;

    private LabLock(Process holder) => _holder = holder;

    public static LabLock Take(TimeSpan timeout)
    {
        var dir = Directory.Exists("/run/lock") ? "/run/lock" : "/tmp";
        var psi = new ProcessStartInfo("flock")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        // Prints "locked" once it holds the lock, then keeps it until its stdin closes.
        foreach (var a in (string[])["-w", ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                     Path.Combine(dir, "ovslb-lab.lock"), "sh", "-c", "echo locked; exec cat >/dev/null"]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var line = p.StandardOutput.ReadLine();   // (null when flock gave up)
        if (line != "locked")
        {
            p.WaitForExit();
            p.Dispose();
            Assert.Fail($"could not take the lab lock within {timeout.TotalSeconds:0} s");
        }
        return new LabLock(p);
    }

    public void Dispose()
    {
        _holder.StandardInput.Close();
        if (!_holder.WaitForExit(TimeSpan.FromSeconds(10))) _holder.Kill(entireProcessTree: true);
        _holder.WaitForExit();
        _holder.Dispose();
    }
}
