using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.Runtime;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Benchmarks;

public sealed record ScaleOptions
{
    public int Switches { get; init; } = 1000;
    public int Flows { get; init; } = 100;

    /// <summary>Run the fake switches in a child process, so the memory measured here is the controller's alone.</summary>
    public bool FakesInChildProcess { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>ControllerOptions.HandshakeTimeout (default 10 s, as in production).</summary>
    public TimeSpan? HandshakeTimeout { get; init; }
    public ulong FirstDatapathId { get; init; } = 0x5ca1_0000_0000;

    /// <summary>ControllerOptions.Transport: what carries the controller's connections.</summary>
    public string Transport { get; init; } = Transports.Default;
}

public sealed record ScaleResult
{
    public required ScaleOptions Options { get; init; }
    public required TimeSpan Connected { get; init; }
    public required TimeSpan Handshaken { get; init; }
    public required TimeSpan Reconciled { get; init; }
    public required TimeSpan ReadyP50 { get; init; }
    public required TimeSpan ReadyP99 { get; init; }
    /// <summary>Fakes whose table holds exactly the desired flows at the end.</summary>
    public required int Verified { get; init; }
    public required long BundleCommits { get; init; }
    public required long FlowModsSent { get; init; }
    public required int Disconnects { get; init; }
    public required long HeapBefore { get; init; }
    public required long HeapAfter { get; init; }
    public required long RssBefore { get; init; }
    public required long RssAfter { get; init; }
    public required long ChildRss { get; init; }
    public required int FdsAfter { get; init; }
    public required int Threads { get; init; }
    public required TimeSpan Cpu { get; init; }
    public required int Problems { get; init; }
    public required IReadOnlyList<string> FirstProblems { get; init; }
    public double HeapPerConnection => (double)(HeapAfter - HeapBefore) / Options.Switches;
    public double RssPerConnection => (double)(RssAfter - RssBefore) / Options.Switches;
}

/// <summary>
/// Scale: N <see cref="FakeSwitch"/>es connect at once over loopback to an in-process
/// <see cref="SwitchServer"/> whose desired state has F flows; measures the time until every
/// switch is handshaken and reconciled (bundle committed, all F flows in every fake's table) and the
/// memory per connection at rest afterwards.
/// </summary>
public static class ScaleBenchmark
{
    public static async Task<int> MainAsync(string[] args)
    {
        var a = new Options(args);
        var o = new ScaleOptions
        {
            Switches = a.Int("switches", 1000),
            Flows = a.Int("flows", 100),
            FakesInChildProcess = a.String("fakes", "inproc") == "process",
            Timeout = TimeSpan.FromSeconds(a.Int("timeout", 300)),
            HandshakeTimeout = a.Get("handshake-timeout") is null ? null : TimeSpan.FromSeconds(a.Double("handshake-timeout", 10)),
        };
        Console.WriteLine($"fd limit: {ProcessFacts.EnsureFileLimit(2 * o.Switches + 200)}");
        Console.WriteLine($"host: {ProcessFacts.Describe()}");
        var transports = TransportRuns.Parse(a);
        if (transports.Count == 1 && a.Int("rounds", 1) == 1)
        {
            var r = await RunAsync(o with { Transport = transports[0] }, Console.Out);
            Print(r, Console.Out);
            Console.WriteLine(ScaleTransports.ResultLine(r));
            return r.Verified == o.Switches && r.Problems == 0 ? 0 : 1;
        }
        return await ScaleTransports.RunAsync(args, o, transports, a.Int("rounds", 2), Console.Out);
    }

    /// <summary>The desired state: F flows in table 0, ip to 10.100.x.y -> output:2, each with its own cookie.</summary>
    public static SwitchState DesiredState(int flows)
    {
        var cookies = new CookieLayout(CookieLayout.DefaultSignature);
        return SwitchState.Create(Enumerable.Range(0, flows).Select(i => new FlowEntry
        {
            TableId = 0,
            Priority = 100,
            Match = new OfpMatch(OxmEntry.For(MfId.EthType, 0x0800), OxmEntry.For(MfId.Ipv4Dst, 0x0a64_0000u + (uint)i)),
            Cookie = cookies.Make(1, (ulong)i),
            Instructions = [new ApplyActionsInstruction(new OutputAction(2))],
        }), []);
    }

    /// <summary>True when the fake's table holds exactly the desired flows (match, priority, cookie, instructions).</summary>
    public static bool HoldsExactly(FakeSwitch fake, SwitchState desired)
    {
        var flows = fake.Flows;
        if (flows.Count != desired.Flows.Count) return false;
        var want = desired.Flows.Values.ToDictionary(f => (f.TableId, f.Priority, f.Match));
        return flows.All(f => want.TryGetValue((f.TableId, f.Priority, f.Match), out var d) && d.Cookie == f.Cookie && d.Instructions == f.Instructions);
    }

    public static async Task<ScaleResult> RunAsync(ScaleOptions o, TextWriter log)
    {
        var desired = DesiredState(o.Flows);
        var problems = new ProblemLog(log);
        var events = new ReadyTracker();
        var options = new ControllerOptions { Listen = ["127.0.0.1:0"], Transport = o.Transport };
        if (o.HandshakeTimeout is { } ht) options.HandshakeTimeout = ht;
        await using var controller = new SwitchServer(options, new StaticDesiredState(desired), events, problems.Factory());
        var handshakes = new ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (inst, l) =>
        {
            if (ReferenceEquals(inst.Meter, controller.Metrics.Meter) && inst.Name == "ovslb.connections") l.EnableMeasurementEvents(inst);
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => handshakes.Enqueue(Stopwatch.GetTimestamp()));
        listener.Start();
        await controller.StartAsync();
        var target = controller.LocalEndpoints[0];
        var (heapBefore, rssBefore) = Memory();
        var cpuBefore = ProcessFacts.CpuTime();
        log.WriteLine($"  connecting {o.Switches} fake switches ({(o.FakesInChildProcess ? "in a child process" : "in this process")}) to {target}, {o.Flows} desired flows each");

        var fakes = new List<FakeSwitch>();
        ChildProcess? child = null;
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            if (o.FakesInChildProcess)
            {
                var (file, pre) = ProcessFacts.Self();
                child = ChildProcess.Start(file, [.. pre, "fakes", "--target", target.ToString(), "--count", $"{o.Switches}", "--flows", $"{o.Flows}", "--first-dpid", $"{o.FirstDatapathId}"]);
                await child.WaitForLineAsync("^CONNECTED", o.Timeout);
            }
            else
            {
                fakes.AddRange(await Task.WhenAll(Enumerable.Range(0, o.Switches).Select(i =>
                    FakeSwitch.ConnectAsync(target, new FakeSwitchOptions { DatapathId = o.FirstDatapathId + (ulong)i }))));
            }
            var connected = Stopwatch.GetElapsedTime(t0);
            log.WriteLine($"  {o.Switches} TCP connections up after {Table.Ms(connected)}");

            bool done = await ProcessRunner.WaitUntilAsync(() => events.Ready >= o.Switches || events.Disconnects > 0, o.Timeout, TimeSpan.FromMilliseconds(5));
            if (!done || events.Disconnects > 0)
            {
                throw new TimeoutException($"{events.Ready}/{o.Switches} switches ready, {handshakes.Count} handshaken, {events.Disconnects} disconnected after {Table.Ms(Stopwatch.GetElapsedTime(t0))} (timeout {o.Timeout.TotalSeconds:0}s); " +
                    $"first disconnects:\n  {string.Join("\n  ", events.DisconnectReasons)}\nfirst problems:\n  {string.Join("\n  ", problems.First)}{(child is null ? "" : "\nfakes process:\n" + child.Output(10))}");
            }
            var readyTimes = events.Times.Select(t => Stopwatch.GetElapsedTime(t0, t)).Order().ToList();
            var handshaken = Stopwatch.GetElapsedTime(t0, handshakes.Max());
            int verified = child is null
                ? fakes.Count(f => HoldsExactly(f, desired))
                : int.Parse((await child.WaitForLineAsync(@"^COMPLETE (\d+)", o.Timeout)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var sessions = controller.Sessions.Values.ToList();
            var (heapAfter, rssAfter) = Memory();
            return new ScaleResult
            {
                Options = o, Connected = connected, Handshaken = handshaken, Reconciled = readyTimes[^1],
                ReadyP50 = readyTimes[readyTimes.Count / 2], ReadyP99 = readyTimes[(int)Math.Min(readyTimes.Count - 1, Math.Ceiling(readyTimes.Count * 0.99) - 1)],
                Verified = verified, BundleCommits = sessions.Sum(s => s.BundleCommits), FlowModsSent = sessions.Sum(s => s.FlowModsSent),
                Disconnects = events.Disconnects, HeapBefore = heapBefore, HeapAfter = heapAfter, RssBefore = rssBefore, RssAfter = rssAfter,
                ChildRss = child?.WorkingSet ?? 0, FdsAfter = ProcessFacts.OpenFileDescriptors(), Threads = Process.GetCurrentProcess().Threads.Count,
                Cpu = ProcessFacts.CpuTime() - cpuBefore, Problems = problems.Count, FirstProblems = [.. problems.First],
            };
        }
        finally
        {
            foreach (var f in fakes) await f.DisposeAsync();
            child?.Dispose();
        }
    }

    /// <summary>Managed heap after a full blocking compacting collection, and the resident set size.</summary>
    private static (long Heap, long Rss) Memory()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var p = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(false), p.WorkingSet64);
    }

    public static void Print(ScaleResult r, TextWriter w)
    {
        var o = r.Options;
        string who = o.FakesInChildProcess ? "controller only (fakes in a child process)" : "controller + fakes (both ends in this process)";
        w.WriteLine();
        w.WriteLine($"Scale: {o.Switches} fake switches, {o.Flows}-flow desired state, one listener on 127.0.0.1, transport {o.Transport}, " +
            (o.HandshakeTimeout is { } ht ? $"ControllerOptions defaults but HandshakeTimeout {ht.TotalSeconds:0.#} s" : "default ControllerOptions"));
        Table.Print(w, ["measure", "value"],
        [
            ["all TCP connections up", Table.Ms(r.Connected)],
            ["all handshaken (HELLO..PORT_DESC)", Table.Ms(r.Handshaken)],
            ["all reconciled (flow+group dump, 1 bundle each)", Table.Ms(r.Reconciled)],
            ["per-switch ready time p50 / p99", $"{Table.Ms(r.ReadyP50)} / {Table.Ms(r.ReadyP99)}"],
            ["fakes holding exactly the desired flows", $"{r.Verified}/{o.Switches}"],
            ["bundles committed / FLOW_MODs sent", $"{r.BundleCommits} / {r.FlowModsSent}"],
            ["disconnects, warnings+errors logged", $"{r.Disconnects}, {r.Problems}"],
            [$"managed heap after full GC, {who}", $"{Table.Mb(r.HeapBefore)} -> {Table.Mb(r.HeapAfter)} = {Table.Kb(r.HeapPerConnection)}/connection"],
            [$"working set (RSS), {who}", $"{Table.Mb(r.RssBefore)} -> {Table.Mb(r.RssAfter)} = {Table.Kb(r.RssPerConnection)}/connection"],
            .. (IEnumerable<string[]>)(o.FakesInChildProcess ? [["fake-switch process RSS", $"{Table.Mb(r.ChildRss)} = {Table.Kb((double)r.ChildRss / o.Switches)}/fake"]] : []),
            ["process CPU time during the run", $"{r.Cpu.TotalSeconds:0.00} s"],
            ["open fds / threads at the end", $"{r.FdsAfter} / {r.Threads}"],
        ]);
        foreach (var p in r.FirstProblems.Take(5)) w.WriteLine($"  problem: {p}");
    }

    /// <summary>Child-process mode: connects the fakes, prints CONNECTED, then COMPLETE n once every table is full; exits when stdin closes.</summary>
    public static async Task<int> FakesMainAsync(string[] args)
    {
        var a = new Options(args);
        var target = IPEndPoint.Parse(a.Get("target") ?? throw new ArgumentException("--target HOST:PORT"));
        int count = a.Int("count", 1000), flows = a.Int("flows", 100);
        ulong first = ulong.Parse(a.String("first-dpid", "1"), System.Globalization.CultureInfo.InvariantCulture);
        ProcessFacts.EnsureFileLimit(count + 100);
        var fakes = await Task.WhenAll(Enumerable.Range(0, count).Select(i => FakeSwitch.ConnectAsync(target, new FakeSwitchOptions { DatapathId = first + (ulong)i })));
        Console.WriteLine($"CONNECTED {count}");
        var desired = DesiredState(flows);
        while (fakes.Any(f => f.FlowCount < flows && !f.Closed.IsCancellationRequested)) await Task.Delay(20);
        Console.WriteLine($"COMPLETE {fakes.Count(f => HoldsExactly(f, desired))}");
        await Task.Run(Console.In.ReadLine);
        foreach (var f in fakes) await f.DisposeAsync();
        return 0;
    }

    /// <summary>Records when each switch became ready (handshaken and reconciled) and any disconnect.</summary>
    private sealed class ReadyTracker : ISwitchEvents
    {
        private int _ready, _disconnects;

        public ConcurrentQueue<long> Times { get; } = new();
        public int Ready => Volatile.Read(ref _ready);
        public int Disconnects => Volatile.Read(ref _disconnects);

        public ValueTask OnReadyAsync(ISwitchHandle session)
        {
            Times.Enqueue(Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _ready);
            return ValueTask.CompletedTask;
        }

        public ConcurrentQueue<string> DisconnectReasons { get; } = new();

        public void OnDisconnected(ISwitchHandle session, CloseReason reason)
        {
            if (Interlocked.Increment(ref _disconnects) <= 5) DisconnectReasons.Enqueue($"{session.DatapathIdText} in state {(session as SwitchSession)?.State}: {reason}");
        }
    }
}
