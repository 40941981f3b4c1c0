using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OvsLb.Testing;

/// <summary>
/// A private etcd cluster (Debian's etcd-server 3.4) on loopback for the controller-HA tests: its members
/// run from a fresh temporary directory with ports of their own (never 2379/2380, where a developer's
/// system etcd may listen), so tests never touch another etcd and can run beside each other.
/// Members are numbered 1..N. <see cref="Dispose"/> kills every member process this instance started
/// and deletes the directory, including the 64 MB WAL segments each member preallocates.
/// </summary>
public sealed class EtcdCluster : IDisposable
{
    /// <summary>Base ports are drawn from this range: below Linux's ephemeral ports (32768+), so no outgoing connection holds one.</summary>
    private const int PortRangeStart = 23000, PortRangeEnd = 23990;

    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(20);
    private readonly ChildProcess?[] _members;
    private readonly List<int> _pids = [];
    private bool _disposed;

    public string Dir { get; }
    public int Size { get; }
    public int BasePort { get; }

    /// <summary>Client URLs of all members, comma separated (what etcdctl and the controller take).</summary>
    public string Endpoints => string.Join(',', Enumerable.Range(1, Size).Select(ClientUrl));

    /// <summary>Every pid a member ever had in this cluster (for checks that none outlives <see cref="Dispose"/>).</summary>
    public IReadOnlyList<int> AllPids => [.. _pids];

    private EtcdCluster(string dir, int size, int basePort)
    {
        Dir = dir;
        Size = size;
        BasePort = basePort;
        _members = new ChildProcess?[size + 1];
    }

    public string ClientUrl(int member) => $"http://127.0.0.1:{BasePort + 2 * (member - 1)}";
    private string PeerUrl(int member) => $"http://127.0.0.1:{BasePort + 2 * (member - 1) + 1}";
    public string LogFile(int member) => Path.Combine(Dir, $"m{member}.log");

    /// <summary>
    /// Starts <paramref name="members"/> members and waits until <c>etcdctl endpoint health --cluster</c> passes (about 1 s
    /// here). A base port some other process took meanwhile ("address already in use") is retried with a new one.
    /// </summary>
    public static EtcdCluster Start(int members = 3)
    {
        if (!File.Exists("/usr/bin/etcd") || !File.Exists("/usr/bin/etcdctl"))
        {
            throw new InvalidOperationException("etcd is not installed (packages etcd-server, etcd-client): run tests/install-deps.sh");
        }
        for (int attempt = 1; ; attempt++)
        {
            var dir = Directory.CreateTempSubdirectory("ovslb-etcd-").FullName;
            var cluster = new EtcdCluster(dir, members, FreeBasePort(2 * members));
            try
            {
                for (int n = 1; n <= members; n++) cluster.StartMember(n, "new");
                cluster.WaitHealthy(HealthyTimeout);
                return cluster;
            }
            catch (Exception) when (attempt < 4 && cluster.PortTaken())
            {
                cluster.Dispose();
            }
            catch
            {
                cluster.Dispose();
                throw;
            }
        }
    }

    /// <summary>A random base port with <paramref name="count"/> consecutive ports free on 127.0.0.1 right now.</summary>
    private static int FreeBasePort(int count)
    {
        for (int i = 0; i < 200; i++)
        {
            int start = Random.Shared.Next(PortRangeStart, PortRangeEnd - count);
            if (Enumerable.Range(start, count).All(PortFree)) return start;
        }
        throw new InvalidOperationException($"no {count} consecutive free loopback ports in {PortRangeStart}-{PortRangeEnd}");
    }

    private static bool PortFree(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private bool PortTaken() =>
        Enumerable.Range(1, Size).Any(n => File.Exists(LogFile(n)) && ReadShared(LogFile(n)).Contains("address already in use", StringComparison.Ordinal));

    private static string ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(f).ReadToEnd();
    }

    /// <summary>Starts member N; <paramref name="state"/> "existing" rejoins with its old data directory and identity.</summary>
    private void StartMember(int n, string state)
    {
        if (_members[n] is { HasExited: false }) throw new InvalidOperationException($"etcd member {n} is already running");
        _members[n]?.Dispose();
        string cluster = string.Join(',', Enumerable.Range(1, Size).Select(i => $"m{i}={PeerUrl(i)}"));
        var member = ChildProcess.Start("etcd", [
            "--name", $"m{n}", "--data-dir", Path.Combine(Dir, $"m{n}.data"),
            "--listen-client-urls", ClientUrl(n), "--advertise-client-urls", ClientUrl(n),
            "--listen-peer-urls", PeerUrl(n), "--initial-advertise-peer-urls", PeerUrl(n),
            "--initial-cluster", cluster, "--initial-cluster-token", $"ovslb-{Path.GetFileName(Dir)}-{BasePort}",
            "--initial-cluster-state", state,
            // 100 ms heartbeats, 1 s raft election timeout: a killed raft leader is replaced in about 1 s;
            // the shortest lease these timings allow is 2 s (etcd raises shorter TTLs to 1.5 x election timeout).
            "--heartbeat-interval", "100", "--election-timeout", "1000",
            "--logger", "zap", "--log-outputs", LogFile(n)]);
        _members[n] = member;
        _pids.Add(member.Pid);
    }

    /// <summary>Process id of member N while it runs.</summary>
    public int Pid(int n) => _members[n] is { HasExited: false } m ? m.Pid : throw new InvalidOperationException($"etcd member {n} is not running");

    public bool IsRunning(int n) => _members[n] is { HasExited: false };

    /// <summary>SIGKILL to member N (a crash); returns once the process is gone.</summary>
    public void Kill(int n)
    {
        var m = _members[n] ?? throw new InvalidOperationException($"etcd member {n} was never started");
        if (!m.HasExited) Posix.Kill(m.Pid, Posix.SigKill);
        m.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGSTOP: member N stops answering without closing its connections (a hung or partitioned member).</summary>
    public void Pause(int n) => Posix.Kill(Pid(n), Posix.SigStop);

    public void Resume(int n) => Posix.Kill(Pid(n), Posix.SigCont);

    /// <summary>SIGTERM to member N, up to <paramref name="grace"/> (default 5 s) for it to exit, then SIGKILL.</summary>
    public void Stop(int n, TimeSpan? grace = null)
    {
        var m = _members[n];
        if (m is null || m.HasExited) return;
        try { Posix.Kill(m.Pid, Posix.SigCont); Posix.Kill(m.Pid, Posix.SigTerm); } catch (InvalidOperationException) { }
        if (m.WaitForExit(grace ?? TimeSpan.FromSeconds(5))) return;
        try { Posix.Kill(m.Pid, Posix.SigKill); } catch (InvalidOperationException) { }
        m.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts a stopped or killed member again with its data directory (it rejoins as itself); does not wait.</summary>
    public void Restart(int n) => StartMember(n, "existing");

    /// <summary>
    /// Stops every member: the whole etcd cluster is down, its data kept (each commit is fsynced to the WAL).
    /// SIGTERM, then SIGKILL after 1 s: on SIGTERM the raft leader first hands leadership to a peer, and with
    /// every peer stopping too that hand-over waits for its request timeout (7 s measured) before giving up.
    /// </summary>
    public void StopAll()
    {
        var running = Enumerable.Range(1, Size).Where(IsRunning).ToList();
        foreach (var n in running) { try { Posix.Kill(Pid(n), Posix.SigTerm); } catch (InvalidOperationException) { } }
        foreach (var n in running) Stop(n, TimeSpan.FromSeconds(1));
    }

    /// <summary>Starts every member that is not running, from its data, and waits until the cluster is healthy.</summary>
    public void StartAll()
    {
        for (int n = 1; n <= Size; n++) if (!IsRunning(n)) StartMember(n, "existing");
        WaitHealthy(HealthyTimeout);
    }

    /// <summary>Polls <c>etcdctl endpoint health --cluster</c> every 100 ms until every member reports healthy.</summary>
    public void WaitHealthy(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        CommandResult last;
        while (true)
        {
            last = Etcdctl("--dial-timeout", "1s", "--command-timeout", "1s", "endpoint", "health", "--cluster");
            if (last.ExitCode == 0) return;
            var dead = Enumerable.Range(1, Size).Where(n => _members[n] is { HasExited: true }).ToList();
            if (dead.Count > 0 && _members.Skip(1).All(m => m is not null))
            {
                throw new InvalidOperationException($"etcd member(s) {string.Join(", ", dead)} exited while starting; see {string.Join(", ", dead.Select(LogFile))}");
            }
            if (sw.Elapsed > timeout) break;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"etcd cluster in {Dir} not healthy after {timeout.TotalSeconds:0} s: {last.Stderr.Trim()} {last.Stdout.Trim()}; see its m*.log");
    }

    /// <summary>Runs <c>etcdctl --endpoints ALL ARGS</c> (API v3) and returns its result, failed or not.</summary>
    public CommandResult Etcdctl(params string[] args) =>
        ProcessRunner.Run("etcdctl", ["--endpoints", Endpoints, .. args], new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, TimeSpan.FromSeconds(30));

    /// <summary>Member number of the current raft leader (from <c>endpoint status</c>), or null when none answers.</summary>
    public int? RaftLeader()
    {
        var r = Etcdctl("--dial-timeout", "1s", "--command-timeout", "1s", "endpoint", "status", "-w", "json");
        if (string.IsNullOrWhiteSpace(r.Stdout)) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var status = e.GetProperty("Status");
            if (status.GetProperty("header").GetProperty("member_id").GetUInt64() == status.GetProperty("leader").GetUInt64())
            {
                var url = e.GetProperty("Endpoint").GetString();
                return Enumerable.Range(1, Size).First(n => ClientUrl(n) == url);
            }
        }
        return null;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            for (int n = 1; n <= Size; n++)
            {
                if (_members[n] is not { } m) continue;
                try { if (!m.HasExited) Posix.Kill(m.Pid, Posix.SigKill); } catch (InvalidOperationException) { }
                m.Dispose();   // waits for the process to be gone
            }
        }
        finally
        {
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
