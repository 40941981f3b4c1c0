using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Control;
using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// The real load balancer on a real topology: a <see cref="LoadBalancer"/> (desired state + switch events)
/// behind an in-process controller in the topology's switch namespace, as <c>ovslb run</c> wires them,
/// with every PACKET_IN counted. <see cref="Start"/> returns once every bridge of the topology that the
/// configuration names has the flows and groups <see cref="PipelineBuilder.Build"/> makes for it.
/// <para>
/// The load balancer's own loops (periodic gateway probes, active health checks) run on thread-pool threads in
/// the test process's namespace: PACKET_OUT probes go through the bridges and are fine, but TCP health checks
/// would connect from the root namespace, i.e. out of this machine. <see cref="Start(LbTopology, LoadBalancerConfig, BuildSettings?, bool)"/>
/// therefore refuses TCP health checks while loops run; pass <c>startLoops: false</c> to keep them stopped
/// (gateways are still probed once when each bridge connects).
/// </para>
/// </summary>
public sealed class LbRig : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly LbTopology _topo;

    private LbRig(LbTopology topo, LoadBalancer lb, TopologyController controller, RecordingLoggerProvider log)
    {
        _topo = topo;
        Lb = lb;
        Controller = controller;
        Log = log;
    }

    public LoadBalancer Lb { get; }
    public TopologyController Controller { get; }
    public RecordingLoggerProvider Log { get; }

    /// <summary>PACKET_INs received from every bridge since the controller started.</summary>
    public long PacketIns => Controller.PacketIns.Count;

    /// <summary>Parses <paramref name="json"/> (the file format users write) and starts the load balancer for it.</summary>
    public static LbRig Start(LbTopology topo, string json, BuildSettings? settings = null, bool startLoops = true)
    {
        var r = ConfigLoader.Parse(json);
        if (!r.IsValid) throw new ArgumentException("invalid load-balancer configuration: " + string.Join("; ", r.Errors), nameof(json));
        return Start(topo, r.Config!, settings, startLoops);
    }

    public static LbRig Start(LbTopology topo, LoadBalancerConfig config, BuildSettings? settings = null, bool startLoops = true)
    {
        if (startLoops && config.Services.FirstOrDefault(s => s.HealthCheck.Kind == HealthCheckKind.Tcp) is { } tcp)
        {
            throw new ArgumentException($"service '{tcp.Name}' has a TCP health check, which would connect from the test process's namespace " +
                "(out of this machine), not from the topology: remove it or pass startLoops: false", nameof(config));
        }
        var log = new RecordingLoggerProvider();
        var lb = new LoadBalancer(config, settings ?? BuildSettings.Default, log.Factory().CreateLogger("OvsLb.LoadBalancer"));
        var ctl = topo.StartController(lb, lb, log: log);
        if (startLoops) lb.Start();
        var rig = new LbRig(topo, lb, ctl, log);
        try
        {
            foreach (var b in topo.Bridges.Values.Where(b => PipelineBuilder.FindBridge(config, b.DatapathId, b.Name) is not null)) rig.WaitInstalled(b.Name);
            return rig;
        }
        catch
        {
            rig.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>The controller's session with <paramref name="bridge"/> (waits for its first reconcile).</summary>
    public SwitchSession Session(string bridge) => Controller.WaitReady(_topo.Bridge(bridge).DatapathId, Patience);

    /// <summary>
    /// What the pure builder makes for <paramref name="bridge"/> from the load balancer's current configuration
    /// and the ports the switch reported, with nothing held down and no slot history: the reference the
    /// installed state is compared with.
    /// </summary>
    public BridgePlan Expected(string bridge) => PipelineBuilder.Build(Lb.Config, BridgeView.Of(Session(bridge).Info), Lb.Settings);

    /// <summary>Flows (pipeline order) and groups installed on <paramref name="bridge"/>, normalised.</summary>
    public (IReadOnlyList<string> Flows, IReadOnlyList<string> Groups) Installed(string bridge) =>
        (FlowText.ByTable(_topo.Ovs.DumpFlows(bridge)), _topo.Ovs.DumpGroups(bridge));

    /// <summary>Polls until <paramref name="bridge"/>'s dumps equal <see cref="Expected"/>; throws with the difference otherwise.</summary>
    public void WaitInstalled(string bridge)
    {
        var plan = Expected(bridge);
        var flows = Scenario.FlowLines(plan.State);
        var groups = Scenario.GroupLines(plan.State);
        (IReadOnlyList<string> Flows, IReadOnlyList<string> Groups) got = ([], []);
        if (ProcessRunner.WaitUntil(() => (got = Installed(bridge)).Flows.SequenceEqual(flows) && got.Groups.SequenceEqual(groups), Patience, TimeSpan.FromMilliseconds(100))) return;
        throw new TimeoutException($"bridge {bridge} never got the builder's flows and groups. " +
            $"Missing: {string.Join(" | ", flows.Except(got.Flows).Concat(groups.Except(got.Groups)))}. " +
            $"Unexpected: {string.Join(" | ", got.Flows.Except(flows).Concat(got.Groups.Except(groups)))}.\nlog:\n{Controller.LogTail()}");
    }

    public async ValueTask DisposeAsync()
    {
        await Controller.DisposeAsync();
        await Lb.DisposeAsync();
    }
}
