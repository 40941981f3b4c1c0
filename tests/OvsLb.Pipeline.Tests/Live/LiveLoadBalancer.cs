using System.Text.RegularExpressions;
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
    private LiveLoadBalancer(LbTopology topo, LoadBalancer lb, TopologyController ctl, RecordingLoggerProvider log)
    {
        Topology = topo;
        Lb = lb;
        Controller = ctl;
        Log = log;
    }

    public LbTopology Topology { get; }
    public LoadBalancer Lb { get; }
    public TopologyController Controller { get; }

    /// <summary>What the load balancer logged (port changes, health transitions, master changes).</summary>
    public RecordingLoggerProvider Log { get; }

    /// <summary>Parses <paramref name="json"/> (must be valid), starts the load balancer and waits for every bridge's first reconcile.</summary>
    public static LiveLoadBalancer Start(LbTopology topo, string json)
    {
        var r = ConfigLoader.Parse(json);
        if (!r.IsValid) throw new ArgumentException("invalid test configuration: " + string.Join("; ", r.Errors), nameof(json));
        var log = new RecordingLoggerProvider();
        var lb = new LoadBalancer(r.Config!, BuildSettings.Default, log.Factory().CreateLogger("OvsLb.LoadBalancer"));
        var ctl = topo.StartController(lb, lb);
        lb.Start();
        var live = new LiveLoadBalancer(topo, lb, ctl, log);
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
