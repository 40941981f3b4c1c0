using System.Diagnostics;

namespace OvsLb.Testing;

/// <summary>
/// A private Open vSwitch: its own ovsdb-server and ovs-vswitchd in a fresh temporary directory, so
/// tests never touch a system OVS and can run side by side. <see cref="Dispose"/> kills both
/// processes and removes the directory; nothing is left running.
/// </summary>
public sealed class OvsSandbox : IDisposable
{
    private readonly List<Process> _processes = [];
    private bool _disposed;

    public string Dir { get; }
    public string DbSocket => Path.Combine(Dir, "db.sock");
    public bool Dummy { get; }

    /// <summary>Network namespace ovs-vswitchd runs in (null: the caller's), see <see cref="Start"/>.</summary>
    public string? NetNamespace { get; }
    public IReadOnlyDictionary<string, string> Env { get; }

    private OvsSandbox(string dir, bool dummy, string? netns)
    {
        Dir = dir;
        Dummy = dummy;
        NetNamespace = netns;
        Env = new Dictionary<string, string>
        {
            ["OVS_RUNDIR"] = dir, ["OVS_DBDIR"] = dir, ["OVS_LOGDIR"] = dir, ["OVS_SYSCONFDIR"] = dir,
        };
    }

    /// <summary>
    /// Starts ovsdb-server and ovs-vswitchd. <paramref name="dummy"/> adds <c>--enable-dummy</c> so bridges
    /// can use <c>datapath_type=dummy</c> (OpenFlow-only tests); otherwise use <c>datapath_type=netdev</c>.
    /// <paramref name="netns"/> runs ovs-vswitchd inside that network namespace: the userspace datapath
    /// creates persistent tap devices with machine-wide names ("ovs-netdev", one per bridge) that
    /// would collide between sandboxes and outlive a killed ovs-vswitchd; inside a test namespace they
    /// are private and vanish with it. Its ports (veths) must then be in that namespace, and its
    /// controller must listen there (see <see cref="Testing.NetNamespace.Run"/>). ovsdb-server and
    /// the unix sockets (ovs-vsctl, ovs-ofctl, ovs-appctl) work from anywhere.
    /// </summary>
    public static OvsSandbox Start(bool dummy = true, string? netns = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ovslb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var sb = new OvsSandbox(dir, dummy, netns);
        try
        {
            sb.Boot();
            return sb;
        }
        catch
        {
            sb.Dispose();
            throw;
        }
    }

    private void Boot()
    {
        string db = Path.Combine(Dir, "conf.db");
        ProcessRunner.Run("ovsdb-tool", ["create", db, "/usr/share/openvswitch/vswitch.ovsschema"]).EnsureSuccess();
        Spawn("ovsdb-server", [db, $"--remote=punix:{DbSocket}", $"--unixctl={Dir}/ovsdb-server.ctl",
            $"--pidfile={Dir}/ovsdb-server.pid", $"--log-file={Dir}/ovsdb-server.log", "-vconsole:off"]);
        if (!ProcessRunner.WaitUntil(() => File.Exists(DbSocket), TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"ovsdb-server did not create {DbSocket}; see {Dir}/ovsdb-server.log");
        }
        Vsctl("--no-wait", "init");
        StartVswitchd();
    }

    private void StartVswitchd()
    {
        var args = new List<string> { "ovs-vswitchd", $"unix:{DbSocket}", $"--unixctl={VswitchdCtl}", $"--pidfile={Dir}/ovs-vswitchd.pid",
            $"--log-file={Dir}/ovs-vswitchd.log", "-vconsole:off", "--disable-system" };
        if (Dummy) args.Add("--enable-dummy");
        // "ip netns exec" enters the namespace and execs the program: the process is ovs-vswitchd itself.
        VswitchdProcess = NetNamespace is null ? Spawn(args[0], args.Skip(1)) : Spawn("ip", ["netns", "exec", NetNamespace, .. args]);
        if (!ProcessRunner.WaitUntil(() => File.Exists(VswitchdCtl), TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"ovs-vswitchd did not start; see {Dir}/ovs-vswitchd.log");
        }
    }

    /// <summary>
    /// Kills ovs-vswitchd (SIGKILL, as a crash would) and starts it again with the same arguments
    /// against the same database; returns once the new process answers on its control socket. The
    /// OpenFlow tables start empty (they are not persistent); bridges and ports come back from the database.
    /// </summary>
    public void RestartVswitchd()
    {
        var old = VswitchdProcess ?? throw new InvalidOperationException("ovs-vswitchd is not running");
        ProcessRunner.KillTree(old, Timeout.InfiniteTimeSpan);
        _processes.Remove(old);
        old.Dispose();
        File.Delete(VswitchdCtl);   // a killed process leaves its socket file behind; wait for the new one
        StartVswitchd();
        if (!ProcessRunner.WaitUntil(() => ProcessRunner.Run("ovs-appctl", ["-t", VswitchdCtl, "version"], Env).ExitCode == 0, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"restarted ovs-vswitchd does not answer; see {Dir}/ovs-vswitchd.log");
        }
    }

    public string VswitchdCtl => Path.Combine(Dir, "ovs-vswitchd.ctl");
    public Process? VswitchdProcess { get; private set; }

    private Process Spawn(string file, IEnumerable<string> args)
    {
        var p = ProcessRunner.Start(file, args, Env);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    public CommandResult Vsctl(params string[] args) =>
        ProcessRunner.Run("ovs-vsctl", [$"--db=unix:{DbSocket}", "--timeout=20", .. args], Env).EnsureSuccess();

    public CommandResult Ofctl(params string[] args) =>
        ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", .. args], Env).EnsureSuccess();

    public CommandResult Appctl(params string[] args) =>
        ProcessRunner.Run("ovs-appctl", ["-t", VswitchdCtl, .. args], Env).EnsureSuccess();

    /// <summary>Adds a bridge speaking OpenFlow 1.3 only, fail_mode=secure, with a fixed datapath id.</summary>
    public string AddBridge(string name, ulong? datapathId = null, string protocols = "OpenFlow13")
    {
        var args = new List<string> { "add-br", name, "--", "set", "bridge", name,
            $"datapath_type={(Dummy ? "dummy" : "netdev")}", $"protocols={protocols}", "fail_mode=secure" };
        if (datapathId is { } id) args.Add($"other-config:datapath-id={id:x16}");
        Vsctl([.. args]);
        return name;
    }

    /// <summary>Adds a dummy port (dummy sandboxes) with a fixed OpenFlow port number.</summary>
    public void AddDummyPort(string bridge, string port, int ofport) =>
        Vsctl("add-port", bridge, port, "--", "set", "interface", port, "type=dummy", $"ofport_request={ofport}");

    /// <summary>Points a bridge at a controller, reconnecting quickly (max_backoff 1 s) so tests do not wait.</summary>
    public void SetController(string bridge, string target, int inactivityProbeMs = 5000) =>
        Vsctl("set-controller", bridge, target, "--", "set", "controller", bridge, "max_backoff=1000", $"inactivity_probe={inactivityProbeMs}");

    /// <summary>
    /// The port ovs-vswitchd bound for a bridge's passive controller target with port 0 (<c>ptcp:0:ADDRESS</c>, set with
    /// <see cref="SetController"/>), so a test never picks a "free" port that another test may take before OVS binds it.
    /// OVS 3.1 leaves the Controller row's <c>status</c> empty for a passive target; its log names the port: the line
    /// <c>0:ADDRESS: listening on port N</c> right before <c>BRIDGE: added service controller "ptcp:0:ADDRESS"</c>.
    /// Waits up to <paramref name="timeout"/> for them.
    /// </summary>
    public int PassiveControllerPort(string bridge, string target, TimeSpan timeout)
    {
        string added = $"|{bridge}: added service controller \"{target}\"";
        int port = 0;
        ProcessRunner.WaitUntil(() => (port = FindPassivePort(added)) != 0, timeout);
        return port != 0 ? port : throw new TimeoutException($"ovs-vswitchd did not log the port of {bridge}'s {target} within {timeout.TotalSeconds:0.#} s; see {VswitchdLog}");
    }

    private int FindPassivePort(string added)
    {
        string[] lines;
        try
        {
            using var f = new FileStream(VswitchdLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            lines = new StreamReader(f).ReadToEnd().Split('\n');
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
        int at = Array.FindLastIndex(lines, l => l.EndsWith(added, StringComparison.Ordinal));
        for (int i = at - 1; i >= 0 && i >= at - 3; i--)
        {
            var m = System.Text.RegularExpressions.Regex.Match(lines[i], @"\|socket_util\|INFO\|\S+: listening on port (\d+)$");
            if (m.Success) return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>ovs-vswitchd's log file.</summary>
    public string VswitchdLog => Path.Combine(Dir, "ovs-vswitchd.log");

    /// <summary>
    /// <c>ovs-vsctl set-ssl KEY CERT CACERT</c>: the key and certificate ovs-vswitchd presents on every <c>ssl:</c> connection,
    /// and the CA certificate it checks the controller's against (one setting for the whole daemon, all bridges).
    /// </summary>
    public void SetSsl(string privateKey, string certificate, string caCertificate) =>
        Vsctl("set-ssl", privateKey, certificate, caCertificate);

    /// <summary>Whether ovs-vswitchd reports the bridge's controller connection as up.</summary>
    public bool ControllerConnected(string bridge) =>
        ProcessRunner.Run("ovs-vsctl", [$"--db=unix:{DbSocket}", "--timeout=5", "get", "controller", bridge, "is_connected"], Env).Stdout.Trim() == "true";

    /// <summary>The unix socket on which ovs-vswitchd accepts OpenFlow connections for a bridge.</summary>
    public string MgmtSocket(string bridge) => Path.Combine(Dir, bridge + ".mgmt");

    /// <summary><c>ovs-ofctl dump-flows</c> normalised: stats stripped, one flow a line, sorted.</summary>
    public IReadOnlyList<string> DumpFlows(string bridge) => FlowText.NormaliseFlows(Ofctl("--no-stats", "dump-flows", bridge).Stdout);

    /// <summary>
    /// Packets through the flows <c>ovs-ofctl dump-flows BRIDGE MATCH</c> lists (sum of their <c>n_packets</c>). OVS credits
    /// datapath hits to OpenFlow flows when its revalidators next dump the datapath: poll for an expected count.
    /// </summary>
    public long FlowPackets(string bridge, string match) => FlowText.PacketCount(Ofctl("dump-flows", bridge, match).Stdout);

    /// <summary><c>ovs-ofctl dump-groups</c> normalised and sorted.</summary>
    public IReadOnlyList<string> DumpGroups(string bridge) => FlowText.NormaliseGroups(Ofctl("dump-groups", bridge).Stdout);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in Enumerable.Reverse(_processes))
        {
            ProcessRunner.KillTree(p, TimeSpan.FromSeconds(5));
            p.Dispose();
        }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
