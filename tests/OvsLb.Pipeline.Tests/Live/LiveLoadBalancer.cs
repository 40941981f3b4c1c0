using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Control;
using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests.Live;

/// <summary>
/// The real <see cref="LoadBalancer"/> (policy, port-status handling, probes, health loops) driving the
/// bridges of an <see cref="LbTopology"/> through an in-process controller, configured from JSON text by
/// the real loader. Disposing stops the loops and the controller (the topology removes the rest).
/// </summary>
public sealed class LiveLoadBalancer : IAsyncDisposable
{
    private LiveLoadBalancer(LbTopology topo, LoadBalancer lb, TopologyController ctl, RecordingLoggerProvider log, TimedLog timeline)
    {
        Topology = topo;
        Lb = lb;
        Controller = ctl;
        Log = log;
        Timeline = timeline;
    }

    public LbTopology Topology { get; }
    public LoadBalancer Lb { get; }
    public TopologyController Controller { get; }

    /// <summary>What the load balancer logged (port changes, health transitions, master changes).</summary>
    public RecordingLoggerProvider Log { get; }

    /// <summary>The same lines with the wall-clock time they were logged (for failover timings).</summary>
    public TimedLog Timeline { get; }

    /// <summary>Parses <paramref name="json"/> (must be valid), starts the load balancer and waits for every bridge's first reconcile.</summary>
    public static LiveLoadBalancer Start(LbTopology topo, string json)
    {
        var r = ConfigLoader.Parse(json);
        if (!r.IsValid) throw new ArgumentException("invalid test configuration: " + string.Join("; ", r.Errors), nameof(json));
        var log = new RecordingLoggerProvider();
        var timeline = new TimedLog();
        var factory = LoggerFactory.Create(b => b.AddProvider(log).AddProvider(timeline).SetMinimumLevel(LogLevel.Debug));
        var lb = new LoadBalancer(r.Config!, BuildSettings.Default, factory.CreateLogger("OvsLb.LoadBalancer"));
        var ctl = topo.StartController(lb, lb);
        lb.Start();
        var live = new LiveLoadBalancer(topo, lb, ctl, log, timeline);
        foreach (var b in topo.Bridges.Values) ctl.WaitReady(b.DatapathId);
        return live;
    }

    public SwitchSession Session(ulong datapathId) => Controller.Controller.Sessions[datapathId];

    /// <summary>Waits until the bridge's table 50 holds a learned next hop (the gateway answered the controller's probe).</summary>
    public void WaitForLearnedNextHop(string bridge, TimeSpan? timeout = null)
    {
        bool ok = ProcessRunner.WaitUntil(() => Topology.Ovs.DumpFlows(bridge).Any(l => l.Contains("cookie=0x4c42ff", StringComparison.Ordinal)),
            timeout ?? TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50));
        if (!ok) throw new TimeoutException($"{bridge}: no next hop learned; flows:\n{string.Join("\n", Topology.Ovs.DumpFlows(bridge))}\nlog:\n{LogTail()}");
    }

    /// <summary>The select group's buckets as OVS holds them (<c>dump-groups</c>), in bucket order.</summary>
    public IReadOnlyList<OvsBucket> Buckets(string bridge) => OvsBucket.Parse(Topology.Ovs.DumpGroups(bridge).Single());

    /// <summary>Polls <c>dump-groups</c> until <paramref name="condition"/> holds for the bucket list.</summary>
    public bool WaitForBuckets(string bridge, Func<IReadOnlyList<OvsBucket>, bool> condition, TimeSpan timeout) =>
        ProcessRunner.WaitUntil(() => Topology.Ovs.DumpGroups(bridge) is { Count: 1 } g && condition(OvsBucket.Parse(g[0])), timeout, TimeSpan.FromMilliseconds(20));

    public string LogTail(int lines = 40) => string.Join("\n", Log.Lines.TakeLast(lines)) + "\n--- controller ---\n" + Controller.LogTail(lines);

    public async ValueTask DisposeAsync()
    {
        await Lb.DisposeAsync();
        await Controller.DisposeAsync();
    }
}

/// <summary>Log lines with the wall-clock time (Unix seconds, as <see cref="TrafficStream.Now"/>) they were written.</summary>
public sealed class TimedLog : ILoggerProvider
{
    public ConcurrentQueue<(double Time, string Line)> Lines { get; } = new();

    /// <summary>Time of the first line at or after <paramref name="since"/> containing <paramref name="part"/>, or null.</summary>
    public double? First(string part, double since) =>
        Lines.Where(l => l.Time >= since && l.Line.Contains(part, StringComparison.Ordinal)).Select(l => (double?)l.Time).FirstOrDefault();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(TimedLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((TrafficStream.Now(), formatter(state, exception)));
    }
}

/// <summary>One bucket of a select group as <c>ovs-ofctl dump-groups</c> prints it.</summary>
/// <param name="WatchPort">Its <c>watch_port</c>, if any.</param>
/// <param name="EthDst">The MAC its <c>set_field:…->eth_dst</c> writes (the backend's identity).</param>
/// <param name="Text">The bucket's text, for messages.</param>
public sealed partial record OvsBucket(uint? WatchPort, string? EthDst, string Text)
{
    [GeneratedRegex(@"watch_port:(\d+)")]
    private static partial Regex WatchPortText();

    [GeneratedRegex(@"set_field:([0-9a-f:]{17})->eth_dst")]
    private static partial Regex EthDstText();

    /// <summary>Splits a <c>group_id=…,type=select,bucket=…,bucket=…</c> line into its buckets.</summary>
    public static IReadOnlyList<OvsBucket> Parse(string groupLine) =>
        groupLine.Split(",bucket=").Skip(1).Select(b => new OvsBucket(
            WatchPortText().Match(b) is { Success: true } w ? uint.Parse(w.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
            EthDstText().Match(b) is { Success: true } m ? m.Groups[1].Value : null,
            b)).ToList();
}
