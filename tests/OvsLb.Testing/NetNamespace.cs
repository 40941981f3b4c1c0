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
        var thread = new Thread(() =>
        {
            try
            {
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
        error?.Throw();
        return result;
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
