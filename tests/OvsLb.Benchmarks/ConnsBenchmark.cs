using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using OvsLb.Balancer;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

public sealed record ConnsOptions
{
    /// <summary>TCP connections held open at once, per case.</summary>
    public int Connections { get; init; } = 100_000;

    /// <summary>Connects (and request/responses) in flight at once.</summary>
    public int Window { get; init; } = 256;

    /// <summary>
    /// Connections per client process, each with its own source address and explicit source ports from
    /// <see cref="FirstPort"/>; also the most a server process holds. The hard RLIMIT_NOFILE (20,000 here, not
    /// raisable without CAP_SYS_RESOURCE) caps one process's sockets, so N connections take several processes.
    /// </summary>
    public int PerClient { get; init; } = 16_000;

    public int FirstPort { get; init; } = 20_000;

    /// <summary>Cases in run order: "direct" (stateless, persistence none), "learn" (direct, persistence connection:
    /// a learned entry per connection), "nat" (connection tracking), and the learned variants "limit", "cap" (ConnsPrefill.cs)
    /// and "noreuse" (ConnsNoReuse.cs).</summary>
    public IReadOnlyList<string> Cases { get; init; } = ["direct", "learn", "nat"];

    /// <summary>How many times the cases run, in turn (direct, nat, direct, nat, ...).</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Per connect or request/response; a connection that takes longer counts as failed.</summary>
    public TimeSpan OpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connection entries put into table 21 before the clock starts (learned cases only; see ConnsPrefill.cs).</summary>
    public int Prefill { get; init; }

    /// <summary>Seconds to wait after the controller converged before the idle figures.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>What one OVS looked like at one moment.</summary>
public sealed record SwitchSample(long RssBytes, int Megaflows, long Conntrack, int OpenFlowFlows);

public sealed record ConnsCaseResult
{
    public required string Case { get; init; }
    public required string Description { get; init; }
    public required int Connections { get; init; }
    public required int ClientIps { get; init; }
    public required SwitchSample Idle { get; init; }
    public required SwitchSample Loaded { get; init; }

    /// <summary>Lines of <c>ovs-appctl dpctl/dump-conntrack</c> with all N open (cross-check of <see cref="SwitchSample.Conntrack"/>).</summary>
    public required long ConntrackDumpLines { get; init; }

    /// <summary>Right after the last connect (megaflows of the connect path still cached; they idle out after 10 s).</summary>
    public required SwitchSample AfterOpen { get; init; }
    public required TimeSpan OpenTime { get; init; }
    public required int Opened { get; init; }
    public required int OpenFailures { get; init; }
    public required string FirstOpenError { get; init; }
    public required (double P50, double P99, double Max) ConnectMs { get; init; }
    public required TimeSpan VerifyTime { get; init; }
    public required int Verified { get; init; }
    public required int VerifyFailures { get; init; }
    public required IReadOnlyDictionary<string, int> PerBackend { get; init; }
    public required IReadOnlyDictionary<string, int> Accepted { get; init; }
    public required TimeSpan VswitchdCpuOpen { get; init; }

    /// <summary>Datapath misses handled by an upcall while opening (<c>dpif-netdev/pmd-stats-show</c>).</summary>
    public long UpcallsOpen { get; init; }
    public required long PacketIns { get; init; }
    public required int Problems { get; init; }

    /// <summary>What one poll of table 21's entry count cost with all N open (learned cases), or "".</summary>
    public string PollCost { get; init; } = "";

    /// <summary>Learned cases: the datapath megaflows counted by their tcp_flags match, after opening and after verifying.</summary>
    public string FlagMasks { get; init; } = "";

    /// <summary>The <c>noreuse</c> case: why its table-20 rewrite did not survive the run, or "" (other cases: "").</summary>
    public string RewriteLost { get; init; } = "";

    public double Rate => Opened / OpenTime.TotalSeconds;
    public double RssPerConnection => (Loaded.RssBytes - Idle.RssBytes) / (double)Math.Max(1, Opened);
    public bool Ok => OpenFailures == 0 && VerifyFailures == 0 && Verified == Connections && RewriteLost.Length == 0;
}

/// <summary>
/// The <c>conns</c> benchmark: N concurrent TCP connections through ONE real userspace (netdev) OVS bridge
/// programmed by the real <see cref="LoadBalancer"/> (in process, as <c>ovslb run</c> wires it), to a VIP with
/// 4 backends, for the stateless direct mode (<c>persistence: none</c>) and for nat mode (connection tracking,
/// <c>persistence: connection</c>). Each case runs in a fresh <see cref="LbTopology"/>: a client namespace with
/// several source addresses, four backend namespaces, ovs-vswitchd in a switch namespace. The client and the
/// backends' servers are sockets of this process, created inside their namespaces; all N connections stay open
/// at once. Measured: connect rate, one request/response per connection, ovs-vswitchd RSS, datapath megaflows,
/// connection-tracker entries and OpenFlow flows, idle and with N open.
/// </summary>
public static partial class ConnsBenchmark
{
    public const string Bridge = "br-cbn";
    public const ulong DatapathId = 0xcb0001;
    public const string Vip = "10.9.0.100";
    public const string LbMac = "02:cb:00:00:00:fe";
    public const int ServicePort = 80;
    public const int NatTargetPort = 8080;
    public const int Backends = 4;

    public static async Task<int> MainAsync(string[] args)
    {
        var a = new Options(args);
        var o = new ConnsOptions
        {
            Connections = a.Int("connections", 100_000),
            Window = a.Int("window", 256),
            PerClient = a.Int("per-process", 16_000),
            Cases = a.String("cases", "direct,learn,nat").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Rounds = a.Int("rounds", 1),
            OpTimeout = TimeSpan.FromSeconds(a.Int("op-timeout", 30)),
            Prefill = a.Int("prefill", 0),
        };
        if (o.Connections < 1 || o.Window < 1 || o.PerClient < 1 || o.PerClient > 40_000) throw new ArgumentException("--connections, --window >= 1; --per-process 1..40000");
        if (o.Cases.Any(c => c is not ("direct" or "learn" or "limit" or "cap" or "noreuse" or "nat"))) throw new ArgumentException("--cases takes direct, learn, limit, cap, noreuse and/or nat");
        if (o.Prefill < 0 || o.Prefill > 1_000_000) throw new ArgumentException("--prefill 0..1000000");
        Console.WriteLine($"host: {ProcessFacts.Describe()}");
        Console.WriteLine($"ovs: {ProcessRunner.Run("ovs-vswitchd", ["--version"]).Stdout.Split('\n')[0]}");
        Console.WriteLine($"file descriptors: {ProcessFacts.EnsureFileLimit(o.PerClient + 1000)} per worker process");

        using var stop = new CancellationTokenSource();
        // SIGINT, SIGTERM, SIGHUP: no default exit; the case stops at its next wait and its finally tears everything
        // down (ChildProcess kills the workers on these signals by itself).
        var signals = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(sig => PosixSignalRegistration.Create(sig, ctx =>
        {
            ctx.Cancel = true;
            Console.Error.WriteLine($"{ctx.Signal}: cleaning up");
            stop.Cancel();
        })).ToList();
        var results = new List<ConnsCaseResult>();
        try
        {
            for (int round = 1; round <= o.Rounds; round++)
            foreach (var c in o.Cases)
            {
                stop.Token.ThrowIfCancellationRequested();
                var r = await RunCaseAsync(c, o, Console.Out, stop.Token);
                results.Add(o.Rounds > 1 ? r with { Case = $"{c} #{round}" } : r);
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted; everything started was removed");
            return 130;
        }
        finally
        {
            foreach (var r in signals) r.Dispose();
        }
        Print(results, o, Console.Out);
        return results.All(r => r.Ok) ? 0 : 1;
    }

    /// <summary>The load-balancer configuration of a case (JSON as users write it).</summary>
    public static string Json(string kind)
    {
        bool nat = kind == "nat";
        var backends = string.Join(",\n", Enumerable.Range(1, Backends).Select(i =>
            $$"""        { "name": "b{{i}}", "ip": "{{BackendIp(i)}}", "mac": "{{BackendMac(i)}}", "port": {{10 + i}}{{(nat ? $", \"targetPort\": {NatTargetPort}" : "")}} }"""));
        return $$"""
            {
              {{(kind == "cap" ? $"\"options\": {{ \"maxConnections\": {LimitNeverReached} }}," : kind is "learn" or "limit" or "noreuse" ? "\"options\": { \"maxConnections\": \"unlimited\" }," : "")}}
              "bridges": [ { "name": "{{Bridge}}", "lbMac": "{{LbMac}}", "uplink": 1 } ],
              "services": [
                { "name": "web", "vip": "{{Vip}}", "protocol": "tcp", "port": {{ServicePort}}, "mode": "{{(nat ? "nat" : "direct")}}",
                  "persistence": "{{(kind == "direct" ? "none" : "connection")}}",
                  "backends": [
            {{backends}} ] }
              ]
            }
            """;
    }

    private static string BackendIp(int i) => $"10.9.0.{10 + i}";
    private static string BackendMac(int i) => $"02:cb:00:00:00:{10 + i:x2}";
    private static string ClientIp(int k) => $"10.9.{1 + k / 250}.{1 + k % 250}";

    public static async Task<ConnsCaseResult> RunCaseAsync(string kind, ConnsOptions o, TextWriter log, CancellationToken stop)
    {
        bool nat = kind == "nat";
        int n = o.Connections;
        int clientProcs = (n + o.PerClient - 1) / o.PerClient;
        // Up to 25 % above an even share per backend, at most PerClient descriptors per server process.
        int serverProcs = (int)Math.Ceiling(n / (double)Backends * 1.25 / o.PerClient);
        var parsed = ConfigLoader.Parse(Json(kind));
        if (!parsed.IsValid) throw new InvalidOperationException("generated configuration is invalid: " + string.Join("; ", parsed.Errors.Take(5)));
        string description = nat ? "nat, persistence connection (DNAT by the connection tracker, replies un-NATed on the bridge)"
            : kind == "learn" ? "direct, persistence connection (a learned table-21 entry per connection; backends hold the VIP on lo, arp_ignore=1)"
            : kind == "limit" ? $"as learn, with OVS's own cap: every learn has limit={LimitNeverReached} and one per-bridge cookie (rewritten by ovs-ofctl)"
            : kind == "cap" ? $"as learn, with the controller's cap options.maxConnections={LimitNeverReached} (polls table 21's count every second)"
            : kind == "noreuse" ? "as learn before table 25 'reuse': table 20's service flow rewritten by ovs-ofctl without resubmit(,25)"
            : "direct, persistence none (stateless select group; backends hold the VIP on lo, arp_ignore=1)";
        log.WriteLine($"case {kind}: {description}; {n} connections from {clientProcs} client processes (one source address each)");

        var spec = new TopologySpec().Bridge(Bridge, DatapathId).Host("cbn-c", Bridge, 1, "10.9.0.2/16", mac: "02:cb:00:00:00:02");
        for (int i = 1; i <= Backends; i++) spec.Host($"cbn-b{i}", Bridge, (uint)(10 + i), BackendIp(i) + "/16", mac: BackendMac(i));

        // The runtime's timer thread starts on first use and inherits the creating thread's namespace: start it
        // here, in the root namespace, before anything runs inside one (NetNamespace.Run fails loudly otherwise).
        await Task.Delay(10, stop);
        LbTopology? topo = null;
        LoadBalancer? lb = null;
        var servers = new List<(string Backend, ChildProcess P)>();
        var clients = new List<ChildProcess>();
        var gate = new Lock();
        bool cleaned = false;
        void Cleanup()
        {
            // Runs once, from the finally below or from ProcessExit (the process ending some other way), whichever
            // comes first; the other waits for it. Every step is attempted whatever the previous one did: on a
            // signal, ChildProcess has already killed and disposed the workers (they then throw
            // InvalidOperationException, ignored). Workers close their sockets (RST) and exit on "quit";
            // the topology kills any process still inside its namespaces before deleting them.
            lock (gate)
            {
                if (cleaned) return;
                cleaned = true;
                var workers = clients.Concat(servers.Select(s => s.P)).ToList();
                foreach (var c in workers) TrySend(c, "quit");
                foreach (var c in workers) Try(() => { try { c.WaitForExit(TimeSpan.FromSeconds(20)); } catch (InvalidOperationException) { } });
                foreach (var c in workers) Try(c.Dispose);
                Try(() => lb?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10)));
                Try(() => topo?.Dispose());
            }
        }
        EventHandler onExit = (_, _) => Cleanup();   // SIGTERM: the runtime runs ProcessExit handlers
        AppDomain.CurrentDomain.ProcessExit += onExit;
        try
        {
            topo = LbTopology.Start(spec);
            stop.ThrowIfCancellationRequested();
            log.WriteLine($"  topology {topo.Id}: namespaces ovslb-cbn-*-{topo.Id} and ovslb-sw-{topo.Id}, OVS in {topo.Ovs.Dir}");
            var client = topo.Host("cbn-c");
            client.AddAddresses(Enumerable.Range(0, clientProcs).Select(k => ClientIp(k) + "/16"));
            int serverPort = nat ? NatTargetPort : ServicePort;
            for (int i = 1; i <= Backends; i++)
            {
                var h = topo.Host($"cbn-b{i}");
                if (!nat) h.HoldVip(Vip);
                h.Exec("sysctl", "-q", "-w", "net.core.somaxconn=65535", "net.ipv4.tcp_max_syn_backlog=65535");
            }

            var problems = new ProblemLog(log);
            lb = new LoadBalancer(parsed.Config!, BuildSettings.Default, problems.Factory().CreateLogger("OvsLb.LoadBalancer"));
            var ctl = topo.StartController(lb, lb, switches: lb.Switches);
            lb.Start();
            var session = ctl.WaitReady(DatapathId, TimeSpan.FromSeconds(60));
            stop.ThrowIfCancellationRequested();
            bool learned = kind is "learn" or "limit" or "cap" or "noreuse";
            var atRewrite = kind == "noreuse" ? RewriteWithoutReuse(topo.Ovs, session, log) : null;
            if (learned) PrepareLearned(topo.Ovs, kind, o, log);

            // Worker processes inside the namespaces: servers (SO_REUSEPORT, several per backend when N/4 needs
            // more descriptors than one process may hold), then clients, each creating and binding its sockets.
            var (self, pre) = ProcessFacts.Self();
            ChildProcess Worker(NetNamespace ns, params string[] args) => ChildProcess.Start("ip", ["netns", "exec", ns.Name, self, .. pre, "conns-worker", .. args]);
            var t = Stopwatch.StartNew();
            for (int i = 1; i <= Backends; i++)
            {
                for (int j = 0; j < serverProcs; j++) servers.Add(($"b{i}", Worker(topo.Host($"cbn-b{i}").Namespace, "server", $"b{i}", $"{serverPort}")));
            }
            int window = Math.Max(1, o.Window / clientProcs);
            for (int k = 0; k < clientProcs; k++)
            {
                int count = Math.Min(o.PerClient, n - k * o.PerClient);
                clients.Add(Worker(client.Namespace, "client", ClientIp(k), $"{o.FirstPort}", $"{count}", Vip, $"{ServicePort}", $"{window}", $"{(int)o.OpTimeout.TotalSeconds}"));
            }
            foreach (var (_, p) in servers) await p.WaitForLineAsync("^listening", TimeSpan.FromSeconds(120)).WaitAsync(stop);
            foreach (var c in clients) await c.WaitForLineAsync("^ready", TimeSpan.FromSeconds(120)).WaitAsync(stop);
            log.WriteLine($"  {servers.Count} server processes ({serverProcs} per backend) and {clients.Count} client processes ({window} connects in flight each) ready in {Table.Ms(t.Elapsed)}");

            await Task.Delay(o.Settle, stop);
            using var ctlSock = OvsUnixctl.Connect(topo.Ovs.VswitchdCtl);
            var vswitchd = Process.GetProcessById(int.Parse(File.ReadAllText(Path.Combine(topo.Ovs.Dir, "ovs-vswitchd.pid")).Trim(), CultureInfo.InvariantCulture));
            var idle = Sample(topo.Ovs, ctlSock, vswitchd);
            log.WriteLine($"  idle: {Describe(idle)}");

            // Phase 1: every client opens its connections (connect only); the rate is all opened over the wall time.
            long upcalls0 = Upcalls(ctlSock);
            var cpu0 = Cpu.Of(vswitchd);
            t.Restart();
            foreach (var c in clients) c.Send("open");
            var openLines = await AllAsync(clients, @"^opened (\d+) (\d+) (\d+) (\S+) (\S+) (\S+) ?(.*)$", o, n, stop);
            var open = t.Elapsed;
            var cpuOpen = Cpu.Of(vswitchd) - cpu0;
            long upcallsOpen = Upcalls(ctlSock) - upcalls0;
            var afterOpen = Sample(topo.Ovs, ctlSock, vswitchd);
            int opened = openLines.Sum(m => Int(m.Groups[1])), openFailures = openLines.Sum(m => Int(m.Groups[2]));
            string firstError = openLines.Select(m => m.Groups[7].Value).FirstOrDefault(e => e.Length > 0) ?? "";
            double P(int g, Func<IEnumerable<double>, double> f) => f(openLines.Select(m => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture)));
            (double, double, double) pct = (P(4, v => v.Order().ElementAt(v.Count() / 2)), P(5, Enumerable.Max), P(6, Enumerable.Max));
            log.WriteLine($"  opened {opened}/{n} in {Table.Ms(open)}: {opened / open.TotalSeconds:0} connections/s; connect p50 (median client) / p99 (worst client) / max {pct.Item1:0.0}/{pct.Item2:0.0}/{pct.Item3:0.0} ms; ovs-vswitchd CPU {Table.Ms(cpuOpen)}{(openFailures > 0 ? $"; {openFailures} failed, first: {firstError}" : "")}");
            log.WriteLine($"  after opening: {Describe(afterOpen)}");
            string masksOpen = learned ? TcpFlagsMasks(ctlSock) : "";
            if (learned) log.WriteLine($"  megaflows by tcp_flags match after opening: {masksOpen}");

            // Phase 2: one request/response on every open connection; the reply names the backend.
            t.Restart();
            foreach (var c in clients) c.Send("verify");
            var verifyLines = await AllAsync(clients, @"^verified (\d+) (\d+) (\S*) ?(.*)$", o, n, stop);
            var verify = t.Elapsed;
            int verified = verifyLines.Sum(m => Int(m.Groups[1])), verifyFailures = verifyLines.Sum(m => Int(m.Groups[2]));
            string firstVerifyError = verifyLines.Select(m => m.Groups[4].Value).FirstOrDefault(e => e.Length > 0) ?? "";
            var perBackend = verifyLines.SelectMany(m => m.Groups[3].Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
                .Select(kv => kv.Split('=')).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Sum(kv => int.Parse(kv[1], CultureInfo.InvariantCulture)));
            log.WriteLine($"  verified {verified}/{opened} open connections in {Table.Ms(verify)} ({string.Join(", ", perBackend.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}){(verifyFailures > 0 ? $"; {verifyFailures} failed, first: {firstVerifyError}" : "")}");

            var loaded = Sample(topo.Ovs, ctlSock, vswitchd);
            string masksLoaded = learned ? TcpFlagsMasks(ctlSock) : "";
            if (learned) log.WriteLine($"  megaflows by tcp_flags match after verifying: {masksLoaded}");
            long dumpLines = ProcessRunner.Run("ovs-appctl", ["-t", topo.Ovs.VswitchdCtl, "dpctl/dump-conntrack"], topo.Ovs.Env, TimeSpan.FromMinutes(3))
                .EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LongLength;
            log.WriteLine($"  with {opened} open: {Describe(loaded)}; RSS +{(loaded.RssBytes - idle.RssBytes) / (double)Math.Max(1, opened):0} B per connection; dpctl/dump-conntrack: {dumpLines} lines");
            var accepted = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int s = 0; s < servers.Count; s++)
            {
                servers[s].P.Send("count " + s);
                stop.ThrowIfCancellationRequested();
                var m = await servers[s].P.WaitForLineAsync($"^accepted {s} (\\d+)", TimeSpan.FromSeconds(30));
                accepted[servers[s].Backend] = accepted.GetValueOrDefault(servers[s].Backend) + Int(m.Groups[1]);
            }
            log.WriteLine($"  accepted by the servers: {string.Join(", ", accepted.Select(p => $"{p.Key} {p.Value}"))}");
            string pollCost = learned ? AggregateCost(topo.Ovs, vswitchd) : "";
            if (pollCost.Length > 0) log.WriteLine($"  {pollCost}");
            string rewriteLost = "", rewriteNote = "";
            if (kind == "noreuse")
            {
                rewriteLost = RewriteLost(topo.Ovs, ctl, session, atRewrite, out rewriteNote);
                log.WriteLine(rewriteLost.Length == 0 ? $"  rewrite survived: table 20 still without resubmit(,25); {rewriteNote}" : $"  REWRITE LOST: {rewriteLost}; {rewriteNote}");
            }
            return new ConnsCaseResult
            {
                Case = kind, Description = description, Connections = n, ClientIps = clientProcs, Idle = idle, AfterOpen = afterOpen, Loaded = loaded, ConntrackDumpLines = dumpLines,
                OpenTime = open, Opened = opened, OpenFailures = openFailures, FirstOpenError = firstError, ConnectMs = pct,
                VerifyTime = verify, Verified = verified, VerifyFailures = verifyFailures,
                PerBackend = perBackend, Accepted = accepted,
                VswitchdCpuOpen = cpuOpen, UpcallsOpen = upcallsOpen, PacketIns = ctl.PacketIns.Count, Problems = problems.Count, PollCost = pollCost, RewriteLost = rewriteLost,
                FlagMasks = learned ? $"after opening {masksOpen}; after verifying {masksLoaded}" : "",
            };
        }
        finally
        {
            var t = Stopwatch.StartNew();
            Cleanup();
            AppDomain.CurrentDomain.ProcessExit -= onExit;
            log.WriteLine($"  cleaned up in {Table.Ms(t.Elapsed)}");
        }
    }

    private static void Try(Action step)
    {
        try
        {
            step();
        }
#pragma warning disable CA1031 // cleanup goes on whatever one step threw
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"cleanup: {e.GetType().Name}: {e.Message}");
        }
    }

    private static int Int(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);

    private static void TrySend(ChildProcess c, string line)
    {
        try
        {
            if (!c.HasExited) c.Send(line);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Waits for every worker's answer line; a worker that dies or stays silent fails the case.</summary>
    private static async Task<Match[]> AllAsync(List<ChildProcess> workers, string pattern, ConnsOptions o, int n, CancellationToken stop)
    {
        // Generous: a whole phase at a slow 100 connections/s, plus the per-operation timeout.
        var limit = o.OpTimeout + TimeSpan.FromSeconds(Math.Max(60, n / 100.0));
        return await Task.WhenAll(workers.Select(w => w.WaitForLineAsync(pattern, limit).WaitAsync(stop)));
    }

    [GeneratedRegex(@"flows\s*:\s*(\d+)")]
    private static partial Regex DpFlows();

    [GeneratedRegex(@"flow_count=(\d+)")]
    private static partial Regex FlowCount();

    /// <summary>ovs-vswitchd's RSS, its datapath flows (megaflows), connection-tracker entries and the bridge's OpenFlow flows.</summary>
    public static SwitchSample Sample(OvsSandbox ovs, OvsUnixctl ctl, Process vswitchd)
    {
        long rss = -1;
        foreach (var l in File.ReadLines($"/proc/{vswitchd.Id}/status"))
        {
            if (l.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        var m = DpFlows().Match(ctl.Call("dpctl/show"));
        int megaflows = m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        long ct = long.Parse(ctl.Call("dpctl/ct-get-nconns").Trim(), CultureInfo.InvariantCulture);
        var agg = FlowCount().Match(ovs.Ofctl("dump-aggregate", Bridge).Stdout);
        int flows = agg.Success ? int.Parse(agg.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        return new SwitchSample(rss, megaflows, ct, flows);
    }

    [GeneratedRegex(@"miss with success upcall:\s*(\d+)")]
    private static partial Regex UpcallRe();

    /// <summary>Datapath misses handled by an upcall so far, over all of the userspace datapath's threads.</summary>
    private static long Upcalls(OvsUnixctl ctl) =>
        UpcallRe().Matches(ctl.Call("dpif-netdev/pmd-stats-show")).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    private static string Describe(SwitchSample s) =>
        $"ovs-vswitchd RSS {Table.Mb(s.RssBytes)}, {s.Megaflows} megaflows, {s.Conntrack} connection-tracker entries, {s.OpenFlowFlows} OpenFlow flows";

    public static void Print(IReadOnlyList<ConnsCaseResult> results, ConnsOptions o, TextWriter w)
    {
        w.WriteLine();
        w.WriteLine($"conns: {o.Connections} concurrent TCP connections to one VIP with {Backends} backends through one userspace OVS bridge " +
            $"(in-process LoadBalancer; {o.Window} connects in flight in all; client sockets created and bound beforehand, not timed; load average now {ProcessFacts.LoadAverage()})");
        string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);
        List<string[]> rows =
        [
            ["case", .. results.Select(r => r.Case)],
            ["connections open / verified (request+reply) / failed", .. results.Select(r => $"{r.Opened} / {r.Verified} / {r.OpenFailures + r.VerifyFailures}")],
            ["client processes (one source address each)", .. results.Select(r => $"{r.ClientIps}")],
            ["setup rate while opening (connections/s, client side)", .. results.Select(r => F(r.Rate, "0"))],
            ["  open time; connect p50 / p99 / max", .. results.Select(r => $"{Table.Ms(r.OpenTime)}; {F(r.ConnectMs.P50, "0.0")} / {F(r.ConnectMs.P99, "0.0")} / {F(r.ConnectMs.Max, "0")} ms")],
            ["  ovs-vswitchd CPU while opening (per connection)", .. results.Select(r => $"{Table.Ms(r.VswitchdCpuOpen)} ({F(r.VswitchdCpuOpen.TotalMicroseconds / Math.Max(1, r.Opened), "0")} µs)")],
            ["  datapath upcalls while opening (per connection)", .. results.Select(r => $"{r.UpcallsOpen} ({F(r.UpcallsOpen / (double)Math.Max(1, r.Opened), "0.00")})")],
            ["request/response on all open (time)", .. results.Select(r => Table.Ms(r.VerifyTime))],
            ["replies per backend", .. results.Select(r => string.Join(" ", r.PerBackend.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}")))],
            ["connection-tracker entries idle → N open (dpctl/dump-conntrack lines)", .. results.Select(r => $"{r.Idle.Conntrack} → {r.Loaded.Conntrack} ({r.ConntrackDumpLines})")],
            ["datapath megaflows idle → after opening → after verifying", .. results.Select(r => $"{r.Idle.Megaflows} → {r.AfterOpen.Megaflows} → {r.Loaded.Megaflows}")],
            ["OpenFlow flows idle → N open", .. results.Select(r => $"{r.Idle.OpenFlowFlows} → {r.Loaded.OpenFlowFlows}")],
            ["ovs-vswitchd RSS idle → N open (after verifying)", .. results.Select(r => $"{Table.Mb(r.Idle.RssBytes)} → {Table.Mb(r.Loaded.RssBytes)}")],
            ["  RSS delta per connection", .. results.Select(r => $"{F(r.RssPerConnection, "0")} B")],
            ["packet-ins / controller warnings", .. results.Select(r => $"{r.PacketIns} / {r.Problems}")],
        ];
        Table.Print(w, rows[0], rows.Skip(1));
        for (int round = 1; round <= o.Rounds; round++)
        {
            string suffix = o.Rounds > 1 ? $" #{round}" : "";
            var d = results.FirstOrDefault(r => r.Case == "direct" + suffix);
            if (d is null) continue;
            foreach (var n in new[] { "learn", "nat" }.Select(c => results.FirstOrDefault(r => r.Case == c + suffix)).OfType<ConnsCaseResult>())
            {
                w.WriteLine($"ratio {n.Case.Split(' ')[0]} / direct{suffix}: setup rate {F(n.Rate / d.Rate, "0.00")}; ovs-vswitchd CPU per connection while opening {F(n.VswitchdCpuOpen / Math.Max(1, n.Opened) / (d.VswitchdCpuOpen / Math.Max(1, d.Opened)), "0.00")}");
            }
        }
        for (int round = 1; round <= o.Rounds; round++)
        {
            string suffix = o.Rounds > 1 ? $" #{round}" : "";
            var l = results.FirstOrDefault(r => r.Case == "learn" + suffix);
            if (l is null) continue;
            foreach (var n in new[] { "limit", "cap" }.Select(c => results.FirstOrDefault(r => r.Case == c + suffix)).OfType<ConnsCaseResult>())
            {
                w.WriteLine($"ratio {n.Case.Split(' ')[0]} / learn{suffix} (prefill {o.Prefill}): setup rate {F(n.Rate / l.Rate, "0.00")}; ovs-vswitchd CPU per connection while opening {F(n.VswitchdCpuOpen / Math.Max(1, n.Opened) / (l.VswitchdCpuOpen / Math.Max(1, l.Opened)), "0.00")}");
            }
        }
        PrintReuseRatios(results, o, w);
        foreach (var r in results.Where(r => r.FlagMasks.Length > 0)) w.WriteLine($"  {r.Case}: megaflows by tcp_flags match: {r.FlagMasks}");
        foreach (var r in results.Where(r => r.RewriteLost.Length > 0)) w.WriteLine($"  {r.Case}: rewrite lost: {r.RewriteLost}");
        foreach (var r in results.Where(r => r.PollCost.Length > 0)) w.WriteLine($"  {r.Case}: {r.PollCost}");
        foreach (var r in results.Where(r => r.FirstOpenError.Length > 0)) w.WriteLine($"  {r.Case}: first failure: {r.FirstOpenError}");
    }
}
