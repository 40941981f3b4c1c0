using System.Globalization;
using System.Text.RegularExpressions;
using OvsLb.Balancer;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.State;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests.Live;

/// <summary>
/// The real load balancer on a real topology: a <see cref="LoadBalancer"/> (policy, port-status handling, probes,
/// health loops) behind an in-process controller in the topology's switch namespace, as <c>ovslb run</c> wires
/// them, configured from JSON text by the real loader, with every PACKET_IN counted. <see cref="Start(LbTopology, LoadBalancerConfig, BuildSettings?, bool)"/>
/// returns once every bridge of the topology has finished its first reconcile and every bridge the configuration
/// names has the flows and groups <see cref="PipelineBuilder.Build"/> makes for it. Disposing stops the loops,
/// then the controller (the topology removes the rest).
/// <para>
/// The load balancer's own loops (periodic gateway probes, active health checks) run on thread-pool threads in
/// the test process's namespace: PACKET_OUT probes go through the bridges and are fine, but TCP health checks
/// would connect from the root namespace, i.e. out of this machine. Start therefore refuses TCP health checks
/// while loops run; pass <c>startLoops: false</c> to keep them stopped (gateways are still probed once when each
/// bridge connects), or run the real <c>ovslb run</c> in the switch namespace (<see cref="OvslbRun"/>).
/// </para>
/// </summary>
public sealed partial class LiveLoadBalancer : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly CookieLayout Cookies = new(CookieLayout.DefaultSignature);

    /// <summary><c>dump-flows</c> match for the flows the datapath learned from our learn actions (cookie feature 0xff).</summary>
    public const string LearnedCookie = "cookie=0x4c42ff0000000000/0xffffff0000000000";

    private LiveLoadBalancer(LbTopology topo, LoadBalancer lb, TopologyController controller, RecordingLoggerProvider log)
    {
        Topology = topo;
        Lb = lb;
        Controller = controller;
        Log = log;
    }

    public LbTopology Topology { get; }
    public LoadBalancer Lb { get; }

    /// <summary>The controller, with its own log (<see cref="TopologyController.Log"/>) and PACKET_IN counter.</summary>
    public TopologyController Controller { get; }

    /// <summary>What the load balancer logged (port changes, health transitions, master changes), with times (<see cref="RecordingLoggerProvider.FirstTime"/>).</summary>
    public RecordingLoggerProvider Log { get; }

    /// <summary>When the controller was started (wall clock), for start-up timings.</summary>
    public DateTimeOffset StartedAt { get; private init; }

    /// <summary>When <see cref="Start(LbTopology, LoadBalancerConfig, BuildSettings?, bool)"/> saw each bridge finish its first reconcile (polled every 20 ms, in topology order).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ReadyAt => _readyAt;
    private readonly Dictionary<string, DateTimeOffset> _readyAt = new(StringComparer.Ordinal);

    /// <summary>PACKET_INs received from every bridge since the controller started, except the renewals of reused
    /// connection entries (table 25: a client reusing a 5-tuple; the SYN itself went on in the datapath).</summary>
    public long PacketIns => Controller.PacketIns.ExceptRenewals;

    /// <summary>Parses <paramref name="json"/> (the file format users write; must be valid) and starts the load balancer for it.</summary>
    public static LiveLoadBalancer Start(LbTopology topo, string json, BuildSettings? settings = null, bool startLoops = true)
    {
        var r = ConfigLoader.Parse(json);
        if (!r.IsValid) throw new ArgumentException("invalid load-balancer configuration: " + string.Join("; ", r.Errors), nameof(json));
        return Start(topo, r.Config!, settings, startLoops);
    }

    public static LiveLoadBalancer Start(LbTopology topo, LoadBalancerConfig config, BuildSettings? settings = null, bool startLoops = true)
    {
        if (startLoops && config.Services.FirstOrDefault(s => s.HealthCheck.Kind == HealthCheckKind.Tcp) is { } tcp)
        {
            throw new ArgumentException($"service '{tcp.Name}' has a TCP health check, which would connect from the test process's namespace " +
                "(out of this machine), not from the topology: remove it or pass startLoops: false", nameof(config));
        }
        var log = new RecordingLoggerProvider();
        var lb = new LoadBalancer(config, settings ?? BuildSettings.Default, log.Factory().CreateLogger("OvsLb.LoadBalancer"));
        var startedAt = DateTimeOffset.UtcNow;
        var ctl = topo.StartController(lb, lb, switches: lb.Switches);
        if (startLoops) lb.Start();
        var live = new LiveLoadBalancer(topo, lb, ctl, log) { StartedAt = startedAt };
        try
        {
            foreach (var b in topo.Bridges.Values)
            {
                ctl.WaitReady(b.DatapathId, Patience);
                live._readyAt[b.Name] = DateTimeOffset.UtcNow;
            }
            foreach (var b in topo.Bridges.Values.Where(b => PipelineBuilder.FindBridge(config, b.DatapathId, b.Name) is not null)) live.WaitInstalled(b.Name);
            return live;
        }
        catch
        {
            live.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>The controller's session with <paramref name="bridge"/> (waits for its first reconcile).</summary>
    public SwitchSession Session(string bridge) => Controller.WaitReady(Topology.Bridge(bridge).DatapathId, Patience);

    /// <summary>
    /// What the pure builder makes for <paramref name="bridge"/> from the load balancer's current configuration
    /// and the ports the switch reported, with nothing held down and no slot history: the reference the
    /// installed state is compared with.
    /// </summary>
    public BridgePlan Expected(string bridge) => PipelineBuilder.Build(Lb.Config, BridgeView.Of(Session(bridge).Info), Lb.Settings);

    /// <summary>Flows (pipeline order, learned ones included) and groups installed on <paramref name="bridge"/>, normalised.</summary>
    public (IReadOnlyList<string> Flows, IReadOnlyList<string> Groups) Installed(string bridge) =>
        (FlowText.ByTable(Topology.Ovs.DumpFlows(bridge)), Topology.Ovs.DumpGroups(bridge));

    /// <summary><see cref="Installed"/> without the flows the datapath learned (next hops, connection and affinity entries).</summary>
    public (IReadOnlyList<string> Flows, IReadOnlyList<string> Groups) InstalledByController(string bridge)
    {
        var (f, g) = Installed(bridge);
        return (f.Where(l => !IsLearned(l)).ToList(), g);
    }

    /// <summary>
    /// Polls until <paramref name="bridge"/>'s dumps equal <see cref="Expected"/>, leaving out the flows the datapath
    /// learned (next hops: made by the switch, not the controller); throws with the difference otherwise.
    /// </summary>
    public void WaitInstalled(string bridge)
    {
        var plan = Expected(bridge);
        var flows = Scenario.FlowLines(plan.State);
        var groups = Scenario.GroupLines(plan.State);
        IReadOnlyList<string> gotFlows = [], gotGroups = [];
        bool Same()
        {
            var (f, g) = Installed(bridge);
            (gotFlows, gotGroups) = (f.Where(l => !IsLearned(l)).ToList(), g);
            return gotFlows.SequenceEqual(flows) && gotGroups.SequenceEqual(groups);
        }
        if (ProcessRunner.WaitUntil(Same, Patience, TimeSpan.FromMilliseconds(100))) return;
        throw new TimeoutException($"bridge {bridge} never got the builder's flows and groups. " +
            $"Missing: {string.Join(" | ", flows.Except(gotFlows).Concat(groups.Except(gotGroups)))}. " +
            $"Unexpected: {string.Join(" | ", gotFlows.Except(flows).Concat(gotGroups.Except(groups)))}.\nlog:\n{LogTail()}");
    }

    [GeneratedRegex(@"^cookie=0x([0-9a-f]+)")]
    private static partial Regex CookieField();

    private static bool IsLearned(string flow) =>
        CookieField().Match(flow) is { Success: true } m && Cookies.IsLearned(ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    /// <summary>The next hops <paramref name="bridge"/>'s table 50 has learned, as dumped with stats (their age is the <c>duration</c>).</summary>
    public IReadOnlyList<string> LearnedNextHops(string bridge) =>
        Topology.Ovs.Ofctl("dump-flows", bridge, "table=50," + LearnedCookie).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("cookie=", StringComparison.Ordinal)).ToList();

    /// <summary>Waits until the bridge's table 50 holds a learned next hop (the gateway answered the controller's probe).</summary>
    public void WaitForLearnedNextHop(string bridge, TimeSpan? timeout = null)
    {
        bool ok = ProcessRunner.WaitUntil(() => LearnedNextHops(bridge).Count > 0, timeout ?? TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(10));
        if (!ok) throw new TimeoutException($"{bridge}: no next hop learned; flows:\n{string.Join("\n", Topology.Ovs.DumpFlows(bridge))}\nlog:\n{LogTail()}");
    }

    /// <summary>The select group's buckets as OVS holds them (<c>dump-groups</c>), in bucket order.</summary>
    public IReadOnlyList<OvsBucket> Buckets(string bridge) => OvsBucket.Dump(Topology.Ovs, bridge);

    /// <summary>Polls <c>dump-groups</c> until <paramref name="condition"/> holds for the bucket list.</summary>
    public bool WaitForBuckets(string bridge, Func<IReadOnlyList<OvsBucket>, bool> condition, TimeSpan timeout) =>
        ProcessRunner.WaitUntil(() => Topology.Ovs.DumpGroups(bridge) is { Count: 1 } g && condition(OvsBucket.Parse(g[0], Topology.Ovs.DumpFlows(bridge))), timeout, TimeSpan.FromMilliseconds(20));

    /// <summary>The load balancer's and the controller's last log lines, for failure messages.</summary>
    public string LogTail(int lines = 40) => string.Join("\n", Log.Lines.TakeLast(lines)) + "\n--- controller ---\n" + Controller.LogTail(lines);

    public async ValueTask DisposeAsync()
    {
        await Lb.DisposeAsync();
        await Controller.DisposeAsync();
    }
}
