using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests.Live;

/// <summary>
/// The real <c>ovslb run --config FILE</c> process, started inside a topology's switch namespace (where
/// ovs-vswitchd connects to 127.0.0.1, and where the controller host's own connections — TCP health checks —
/// start from), with every bridge pointed at it. Its console log is collected line by line. Disposing kills it
/// and deletes the configuration file.
/// </summary>
public sealed class OvslbProcess : IDisposable
{
    public const int ListenPort = 6653;
    private readonly ChildProcess _p;

    private OvslbProcess(ChildProcess p, string configPath)
    {
        _p = p;
        ConfigPath = configPath;
    }

    /// <summary>The watched configuration file.</summary>
    public string ConfigPath { get; }

    /// <summary>The controller target as OVS names the connection (and logs what it received on it).</summary>
    public static string Target => $"tcp:127.0.0.1:{ListenPort}";

    public IReadOnlyList<string> Lines => [.. _p.Stdout.Concat(_p.Stderr)];

    /// <summary>
    /// Writes <paramref name="loadBalancerJson"/> as the <c>LoadBalancer</c> section of a fresh config file (next to a
    /// <c>Controller</c> section listening on 127.0.0.1:<see cref="ListenPort"/>), starts <c>ovslb run</c> in the switch
    /// namespace, points every bridge at it and waits until each has been reconciled.
    /// </summary>
    public static OvslbProcess Start(LbTopology topo, string loadBalancerJson)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ovslb-{topo.Id}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Wrap(loadBalancerJson));
        var p = ChildProcess.Start("ip", ["netns", "exec", topo.Switch.Name, "dotnet", Path.Combine(AppContext.BaseDirectory, "ovslb.dll"), "run", "--config", path,
            "--Logging:LogLevel:Default=Information", "--Logging:LogLevel:Microsoft=Warning"]);
        var o = new OvslbProcess(p, path);
        try
        {
            o.WaitFor("Listening for OpenFlow 1.3 switches", 0, TimeSpan.FromSeconds(30));
            foreach (var b in topo.Bridges.Values) topo.Ovs.SetController(b.Name, Target);
            foreach (var b in topo.Bridges.Values) o.WaitFor($"DatapathId={b.DatapathId:x16}.*Reconciled", 0, TimeSpan.FromSeconds(20));
            return o;
        }
        catch
        {
            o.Dispose();
            throw;
        }
    }

    /// <summary>The config file text for a load-balancer section: the controller's own settings plus it.</summary>
    public static string Wrap(string loadBalancerJson) =>
        $$"""{ "Controller": { "Listen": [ "127.0.0.1:{{ListenPort}}" ], "EchoInterval": "00:00:02" }, "LoadBalancer": {{loadBalancerJson}} }""";

    /// <summary>Replaces the watched file's content in one step (write a temporary file, rename over it).</summary>
    public void Rewrite(string text)
    {
        string tmp = ConfigPath + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, ConfigPath, overwrite: true);
    }

    /// <summary>Waits for a log line after the first <paramref name="from"/> lines matching <paramref name="pattern"/>; returns it.</summary>
    public string WaitFor(string pattern, int from, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        string? found = null;
        ProcessRunner.WaitUntil(() => (found = Lines.Skip(from).FirstOrDefault(l => re.IsMatch(l))) is not null || _p.HasExited, timeout);
        found ??= Lines.Skip(from).FirstOrDefault(l => re.IsMatch(l));
        return found ?? throw new TimeoutException($"ovslb run logged no line matching /{pattern}/ within {timeout.TotalSeconds:0} s{(_p.HasExited ? " (it exited)" : "")}:\n{Tail()}");
    }

    public string Tail(int lines = 40) => string.Join("\n", Lines.TakeLast(lines));

    public void Dispose()
    {
        _p.Dispose();
        File.Delete(ConfigPath);
        File.Delete(ConfigPath + ".tmp");
    }
}
