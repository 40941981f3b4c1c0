using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>
/// The real <c>ovslb run</c> as a child process: the built <c>ovslb.dll</c> next to the test binaries (test projects
/// that use this reference OvsLb.Controller), optionally inside a network namespace, optionally with a
/// configuration file written for it. Its log is collected line by line; its OpenFlow port and status URL are
/// read from the log, so it can listen on port 0. Disposing kills it and deletes the file.
/// <see cref="Start(LbTopology, string)"/> runs it for an <see cref="LbTopology"/>.
/// </summary>
public sealed class OvslbRun : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private OvslbRun(ChildProcess p, string? configPath)
    {
        Process = p;
        ConfigPath = configPath;
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "ovslb.dll");

    public ChildProcess Process { get; }

    /// <summary>The configuration file written for it (<c>--config</c>), if any.</summary>
    public string? ConfigPath { get; }

    /// <summary>
    /// Starts <c>ovslb run ARGS</c>, inside <paramref name="netns"/> when given. With <paramref name="config"/>, that
    /// text is written to a fresh temporary file passed as <c>--config</c> (removed when the process is disposed).
    /// </summary>
    public static OvslbRun Start(IEnumerable<string> args, string? netns = null, string? config = null)
    {
        string? path = null;
        string[] argv = ["run", .. args];
        if (config is not null)
        {
            path = Path.Combine(Path.GetTempPath(), $"ovslb-{Guid.NewGuid():N}.json");
            File.WriteAllText(path, config);
            argv = ["run", "--config", path, .. args];
        }
        try
        {
            var p = netns is null ? ChildProcess.Start("dotnet", [Dll, .. argv]) : ChildProcess.Start("ip", ["netns", "exec", netns, "dotnet", Dll, .. argv]);
            if (path is not null)
            {
                string file = path;
                p.Cleanup = () =>
                {
                    File.Delete(file);
                    File.Delete(file + ".tmp");
                };
            }
            return new OvslbRun(p, path);
        }
        catch
        {
            if (path is not null) File.Delete(path);
            throw;
        }
    }

    /// <summary>The OpenFlow port of <see cref="Start(LbTopology, string)"/>: fixed, as the switch namespace is the topology's own.</summary>
    public const int TopologyListenPort = 6653;

    /// <summary>The controller target of <see cref="Start(LbTopology, string)"/> as OVS names the connection (and logs what it received on it).</summary>
    public static string TopologyTarget => $"tcp:127.0.0.1:{TopologyListenPort}";

    /// <summary>
    /// Starts it inside <paramref name="topo"/>'s switch namespace (where ovs-vswitchd connects to 127.0.0.1, and where the
    /// controller host's own connections — TCP health checks — start from) with a fresh configuration file holding
    /// <paramref name="loadBalancerJson"/> as its <c>LoadBalancer</c> section (<see cref="Wrap"/>), points every bridge at it and
    /// waits until each has been reconciled.
    /// </summary>
    public static OvslbRun Start(LbTopology topo, string loadBalancerJson)
    {
        var o = Start(["--Logging:LogLevel:Default=Information", "--Logging:LogLevel:Microsoft=Warning"], topo.Switch.Name, Wrap(loadBalancerJson));
        try
        {
            o.WaitFor("Listening for OpenFlow 1.3 switches", 0, TimeSpan.FromSeconds(30));
            foreach (var b in topo.Bridges.Values) topo.Ovs.SetController(b.Name, TopologyTarget);
            foreach (var b in topo.Bridges.Values) o.WaitFor($"DatapathId={b.DatapathId:x16}.*Reconciled", 0, TimeSpan.FromSeconds(20));
            return o;
        }
        catch
        {
            o.Dispose();
            throw;
        }
    }

    /// <summary>The config file text for a load-balancer section: the controller's own settings (listening on <see cref="TopologyListenPort"/>) plus it.</summary>
    public static string Wrap(string loadBalancerJson) =>
        $$"""{ "Controller": { "Listen": [ "127.0.0.1:{{TopologyListenPort}}" ], "EchoInterval": "00:00:02" }, "LoadBalancer": {{loadBalancerJson}} }""";

    /// <summary>Runs <c>ovslb run ARGS</c> to its end (for settings it must refuse).</summary>
    public static CommandResult RunToExit(params string[] args) => ProcessRunner.Run("dotnet", [Dll, "run", .. args], timeout: TimeSpan.FromSeconds(30));

    /// <summary>Everything it logged so far: stdout, then stderr.</summary>
    public IReadOnlyList<string> Lines => [.. Process.Stdout.Concat(Process.Stderr)];

    /// <summary>Waits for a log line after the first <paramref name="from"/> <see cref="Lines"/> matching <paramref name="pattern"/>; returns it.</summary>
    public string WaitFor(string pattern, int from, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        string? found = null;
        ProcessRunner.WaitUntil(() => (found = Lines.Skip(from).FirstOrDefault(l => re.IsMatch(l))) is not null || Process.HasExited, timeout);
        found ??= Lines.Skip(from).FirstOrDefault(l => re.IsMatch(l));
        return found ?? throw new TimeoutException($"ovslb run logged no line matching /{pattern}/ within {timeout.TotalSeconds:0} s{(Process.HasExited ? " (it exited)" : "")}:\n{Tail()}");
    }

    public string Tail(int lines = 40) => string.Join("\n", Lines.TakeLast(lines));

    /// <summary>The port of the first OpenFlow listener, from "Listening for OpenFlow 1.3 switches on ADDRESS:PORT".</summary>
    public int OpenFlowPort(TimeSpan? timeout = null) =>
        int.Parse(Process.WaitForLine(@"Listening for OpenFlow 1\.3 switches on \S+:(\d+)", timeout ?? TimeSpan.FromSeconds(20)).Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>The status endpoint, from "Status endpoint on http://ADDRESS:PORT".</summary>
    public Uri StatusUrl(TimeSpan? timeout = null) =>
        new(Process.WaitForLine(@"Status endpoint on (http://\S+)", timeout ?? TimeSpan.FromSeconds(20)).Groups[1].Value);

    public Uri Url(string path) => new(StatusUrl(), path);

    public JsonNode Status() => JsonNode.Parse(Get("/status"))!;

    public string Get(string path)
    {
        using var r = Http.GetAsync(Url(path)).GetAwaiter().GetResult();
        r.EnsureSuccessStatusCode();
        return r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
    }

    public HttpResponseMessage Send(HttpMethod method, string path) =>
        Http.Send(new HttpRequestMessage(method, Url(path)));

    /// <summary>Replaces the configuration file's content in one step (write a temporary file, rename over it), as an editor does.</summary>
    public void Rewrite(string text)
    {
        string path = ConfigPath ?? throw new InvalidOperationException("ovslb run was started without a configuration file");
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Sends SIGTERM (a clean shutdown) and waits up to <paramref name="timeout"/>; returns the exit status, or null if it is still running.</summary>
    public int? Stop(TimeSpan timeout)
    {
        if (!Process.HasExited) Posix.Kill(Process.Pid, Posix.SigTerm);
        return Process.WaitForExit(timeout) ? Process.ExitCode : null;
    }

    public void Dispose() => Process.Dispose();
}
