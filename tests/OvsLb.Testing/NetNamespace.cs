using System.Runtime.ExceptionServices;

namespace OvsLb.Testing;

/// <summary>
/// A named network namespace (<c>ip netns add</c>) with loopback up and IPv6 off (no router
/// solicitations or DAD noise on the test links). <see cref="Dispose"/> deletes it; the kernel then
/// destroys every virtual device inside (veth ends, OVS tap devices) once no process is left in it.
/// </summary>
public sealed class NetNamespace : IDisposable
{
    private bool _disposed;

    private NetNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates the namespace; <paramref name="name"/> must be unique on the machine (use a random suffix).</summary>
    public static NetNamespace Create(string name)
    {
        ProcessRunner.Run("ip", ["netns", "add", name]).EnsureSuccess();
        var ns = new NetNamespace(name);
        try
        {
            ns.Ip("link", "set", "lo", "up");
            ns.Exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command inside the namespace (<c>ip netns exec NAME ...</c>) and requires success.</summary>
    public CommandResult Exec(params string[] args) => ProcessRunner.Run("ip", ["netns", "exec", Name, .. args]).EnsureSuccess();

    /// <summary>Runs <c>ip -n NAME ...</c> and requires success.</summary>
    public CommandResult Ip(params string[] args) => ProcessRunner.Run("ip", ["-n", Name, .. args]).EnsureSuccess();

    /// <summary>
    /// Runs <paramref name="action"/> on a fresh thread that has entered this namespace, so sockets it
    /// creates (e.g. a listening socket) live here; the thread ends afterwards and no pooled thread ever
    /// changes namespace. Sockets keep their namespace for life, whichever thread uses them later.
    /// </summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        string? tid = null;
        var thread = new Thread(() =>
        {
            try
            {
                tid = Path.GetFileName(new FileInfo("/proc/thread-self").LinkTarget);   // "PID/task/TID"
                Posix.EnterNetworkNamespace(Name);
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "netns " + Name };
        thread.Start();
        thread.Join();
        // Join returns when the managed thread is done; the OS thread ends a moment later.
        if (tid is not null) ProcessRunner.WaitUntil(() => !Directory.Exists("/proc/self/task/" + tid), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1));
        error?.Throw();
        CheckNoThreadLeftInside();
        return result;
    }

    /// <summary>
    /// A thread created by a thread inherits its network namespace. Should <see cref="Run"/>'s action
    /// ever make the runtime start a thread (a first timer, the socket engine, a thread-pool worker),
    /// that thread would keep running, and start processes and open sockets, inside this namespace:
    /// fail loudly instead of letting later tests misbehave.
    /// </summary>
    private void CheckNoThreadLeftInside()
    {
        const string TieredCompilationWorker = ".NET Tiered Com"; // comm is cut to 15 characters
        string own = new FileInfo("/proc/self/ns/net").LinkTarget ?? "";
        var strays = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (new FileInfo(Path.Combine(task, "ns", "net")).LinkTarget is { } ns && ns != own)
                {
                    string comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                    // The runtime's tiered-compilation worker starts on demand from whichever thread crossed a
                    // call-count threshold, compiles methods only (no socket, no process) and ends when idle:
                    // its namespace does not matter.
                    if (comm == TieredCompilationWorker) continue;
                    strays.Add($"{comm} (tid {Path.GetFileName(task)})");
                }
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }
        if (strays.Count > 0)
        {
            throw new InvalidOperationException($"threads started while inside namespace {Name} stayed there: {string.Join(", ", strays)}");
        }
    }

    /// <summary>Whether <c>ip netns list</c> shows a namespace with this name.</summary>
    public static bool Exists(string name) => File.Exists(Path.Combine("/run/netns", name));

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Exists(Name)) ProcessRunner.Run("ip", ["netns", "del", Name]);
    }

    public override string ToString() => Name;
}
