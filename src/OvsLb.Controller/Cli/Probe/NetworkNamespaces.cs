using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace OvsLb.Controller.Cli.Probe;

/// <summary>
/// Work inside a named network namespace (<c>/run/netns/NAME</c>, as <c>ip netns add</c> makes them) for
/// <c>ovslb probe</c>: libpcap opens its packet socket in the namespace of the calling thread, and a socket keeps
/// that namespace for life. <see cref="Run"/> enters the namespace on a fresh thread (Linux switches namespaces
/// per thread, <c>setns</c>), runs the action there and lets the thread end, so no pooled thread ever moves.
/// </summary>
internal static class NetworkNamespaces
{
    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(IntPtr fd, int nstype);

    /// <summary>Runs <paramref name="action"/> in namespace <paramref name="name"/> (null: the caller's own, on the caller's thread).</summary>
    public static T Run<T>(string? name, Func<T> action)
    {
        if (name is null) return action();
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(name);
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "netns " + name };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    private static void Enter(string name)
    {
        string path = Path.Combine("/run/netns", name);
        if (!File.Exists(path)) throw new DebugException($"network namespace '{name}' does not exist (ip netns list)");
        using var fd = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (SetNs(fd.DangerousGetHandle(), CloneNewNet) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno == 1 // EPERM
                ? new DebugException($"entering network namespace '{name}' needs CAP_SYS_ADMIN (run as root)")
                : new DebugException($"entering network namespace '{name}' failed: errno {errno}");
        }
    }
}
