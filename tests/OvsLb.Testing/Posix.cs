using System.Runtime.InteropServices;

namespace OvsLb.Testing;

/// <summary>
/// The few Linux system calls the tests need directly: sending a signal at a precisely known moment
/// (a <c>kill</c> child process would add its own start-up time to every measurement) and entering a
/// network namespace on the calling thread.
/// </summary>
public static class Posix
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillNative(int pid, int signal);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNsNative(IntPtr fd, int nstype);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; throws when the kernel refuses.</summary>
    public static void Kill(int pid, int signal)
    {
        if (KillNative(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Moves the calling thread (only this thread: network namespaces are per thread on Linux) into the
    /// named network namespace (<c>/run/netns/NAME</c>, as made by <c>ip netns add</c>).
    /// </summary>
    public static void EnterNetworkNamespace(string name)
    {
        using var fd = File.OpenHandle(Path.Combine("/run/netns", name), FileMode.Open, FileAccess.Read);
        if (SetNsNative(fd.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns({name}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
