using System.Net;

namespace OvsLb.Testing;

/// <summary>
/// <c>ovs-testcontroller</c> (Debian package openvswitch-testcontroller), OVS's reference learning
/// switch controller, listening on a loopback port it picks (ptcp:0), with its unixctl socket in a
/// private temporary directory. It accepts at most 16 switches (MAX_SWITCHES in ovs-testcontroller.c).
/// Disposing kills it and removes the directory.
/// </summary>
public sealed class OvsTestController : IDisposable
{
    public const string Binary = "ovs-testcontroller";

    private OvsTestController(ChildProcess process, int port)
    {
        Process = process;
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public ChildProcess Process { get; }
    public IPEndPoint Endpoint { get; }

    public static bool IsInstalled => File.Exists("/usr/bin/" + Binary) || File.Exists("/usr/local/bin/" + Binary);

    /// <summary>
    /// Starts it with <paramref name="options"/> (e.g. <c>-n</c>: no flows, every packet-in answered by
    /// a PACKET_OUT), pinned to <paramref name="cpus"/> when given.
    /// </summary>
    public static OvsTestController Start(IEnumerable<string>? options = null, string? cpus = null)
    {
        if (!IsInstalled) throw new InvalidOperationException($"{Binary} is not installed: apt-get install -y openvswitch-testcontroller");
        var dir = Directory.CreateTempSubdirectory("ovslb-tc-").FullName;
        ChildProcess? p = null;
        try
        {
            p = ChildProcess.Start(Binary, [.. options ?? [], $"--unixctl={Path.Combine(dir, "tc.ctl")}", "-vconsole:info", "ptcp:0:127.0.0.1"], cpus);
            p.Cleanup = () => Directory.Delete(dir, recursive: true);
            int port = p.WaitForListeningPort(TimeSpan.FromSeconds(10));
            return new OvsTestController(p, port);
        }
        catch
        {
            if (p is null) Directory.Delete(dir, recursive: true);
            else p.Dispose();
            throw;
        }
    }

    public void Dispose() => Process.Dispose();
}
