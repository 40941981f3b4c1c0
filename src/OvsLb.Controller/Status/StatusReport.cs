using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Balancer;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;

namespace OvsLb.Controller.Status;

/// <summary>Facts about this process that the status document reports and nothing else holds.</summary>
public sealed class ControllerInfo(string? configFile)
{
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public string? ConfigFile { get; } = configFile;

    /// <summary>The status endpoint's bound address (port 0 resolved), once listening.</summary>
    public string? StatusListen { get; set; }

    public static string Version =>
        typeof(ControllerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ControllerInfo).Assembly.GetName().Version?.ToString() ?? "unknown";
}

/// <summary>
/// Builds the <see cref="StatusDocument"/> from the live objects: the controller's sessions (what is
/// connected), the load balancer's configuration, last plan per bridge and health. Read-only: it calls
/// no method that changes state and sends nothing to a switch.
/// </summary>
public static class StatusReport
{
    /// <summary>camelCase, indented (read by people with curl as much as by tools), '+' and '&lt;' left as they are.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The cluster section from this instance's view (null: not in cluster mode, or the coordinator is not started yet).</summary>
    public static ClusterStatus? Cluster(OvsLb.Cluster.ClusterOptions options, OvsLb.Cluster.LocalClusterView? view) => view is null ? null
        : new ClusterStatus(view.Instance, options.Etcd, options.KeyPrefix, view.LeaseId.ToString("x"), view.LeaseValid, view.LeaseSecondsLeft, view.EtcdUp,
            view.Bridges.Select(b => new ClusterBridgeStatus(b.DatapathId.ToString("x16"), b.Master, b.GenerationId, b.IsMaster, b.Candidates)).ToList());

    public static StatusDocument Build(ControllerInfo info, SwitchServer controller, LoadBalancer lb, ClusterStatus? cluster = null)
    {
        var config = lb.Config;
        // Each session's configured bridge, found once for the whole document.
        var sessions = controller.Sessions.Values.OrderBy(s => s.DatapathId)
            .Select(s => new Connected(s, PipelineBuilder.FindBridge(config, s.DatapathId, s.BridgeName))).ToList();
        var bridges = new List<BridgeStatus>();
        foreach (var (s, configured) in sessions)
        {
            lb.Plans.TryGetValue(s.DatapathId, out var plan);
            bridges.Add(Bridge(s, configured, plan));
        }
        foreach (var b in config.Bridges.Except(sessions.Select(c => c.Configured).OfType<BridgeConfig>()))
        {
            bridges.Add(new BridgeStatus(b.DatapathId?.ToString("x16"), b.Name, b.Name, false, null, null, null, Lower(b.Role), null, [], null, null, null, null, []));
        }
        var services = config.Services.Select(s => Service(config, s, sessions, lb)).ToList();
        var controllerStatus = new ControllerStatus(
            ControllerInfo.Version,
            RuntimeInformation.FrameworkDescription,
            info.StartedAt,
            Math.Round((DateTimeOffset.UtcNow - info.StartedAt).TotalSeconds, 3),
            Lower(controller.Role),
            controller.GenerationId,
            controller.LocalListeners.Select(l => l.Tls ? l.ToString() : l.Endpoint.ToString()).ToList(), // "ssl:" marks TLS listeners
            info.StatusListen,
            info.ConfigFile is null ? null : Path.GetFullPath(info.ConfigFile));
        return new StatusDocument(controllerStatus, bridges, services, new HealthStatus(lb.HealthRounds, lb.Health.Down().Order(StringComparer.Ordinal).ToList())) { Cluster = cluster };
    }

    private static BridgeStatus Bridge(SwitchSession s, BridgeConfig? configured, BridgePlan? plan)
    {
        var ports = s.Ports.Values.OrderBy(p => p.PortNo).Select(p => new PortStatus(p.PortNo, p.Name, p.IsUp,
            (p.Config & PortConfig.PortDown) != 0, (p.State & PortState.LinkDown) != 0, OfctlFormat.Mac(p.HwAddr))).ToList();
        var last = s.LastReconcile is { } r
            ? new ReconcileStatus(r.CompletedAt, Math.Round(r.Duration.TotalMilliseconds, 3), r.ReadBack, r.Changed, r.FlowModsSent, r.GroupModsSent)
            : null;
        var installed = s.Installed;
        var desired = configured is null ? null : plan?.State;
        return new BridgeStatus(
            s.DatapathIdText, s.BridgeName, configured?.Name, s.State != SessionState.Closed, s.Remote?.ToString(), Lower(s.State), Lower(s.Role),
            configured is null ? null : Lower(configured.Role), s.ConnectedAt, ports, last,
            new DesiredInstalled(desired?.Flows.Count, installed?.Flows.Count),
            new DesiredInstalled(desired?.Groups.Count, installed?.Groups.Count),
            new SessionTotals(s.FlowModsSent, s.GroupModsSent, s.BundleCommits, s.MessagesIn, s.MessagesOut),
            plan?.Warnings ?? []);
    }

    /// <summary>A connected switch and the configured bridge it is (null: not one of ours).</summary>
    private sealed record Connected(SwitchSession Session, BridgeConfig? Configured);

    private static ServiceStatus Service(LoadBalancerConfig config, ServiceConfig s, IReadOnlyList<Connected> sessions, LoadBalancer lb)
    {
        var onBridges = new List<ServiceOnBridge>();
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (session, _) in sessions)
        {
            if (!lb.Plans.TryGetValue(session.DatapathId, out var plan) || plan.Bridge is null) continue;
            if (plan.Services.FirstOrDefault(p => p.Service.Name == s.Name) is not { } sp) continue;
            foreach (var b in sp.LiveBackends) live.Add(b.Name);
            onBridges.Add(new ServiceOnBridge(plan.Bridge.Name, session.DatapathIdText, sp.Answered, sp.GroupId,
                sp.LiveBackends.Select(b => b.Name).ToList(), SlotCounts(sp), sp.Master?.Name));
        }
        var backends = s.Backends.Select(b => new BackendStatus(
            b.Name, b.IpText, b.Mac?.ToString(), b.Port?.ToString(), b.Bridge, b.Weight,
            s.HealthCheck.Kind == HealthCheckKind.None ? "unchecked" : lb.Health.IsUp(PipelineBuilder.BackendId(s, b)) ? "up" : "down",
            BackendPortState(config, b, sessions), live.Contains(b.Name))).ToList();
        var (vip, vip6) = Vips(s);
        return new ServiceStatus(s.Name, vip, Lower(s.Protocol), s.Port, Lower(s.Mode), Lower(s.HealthCheck.Kind), onBridges, backends) { Vip6 = vip6 };
    }

    /// <summary>
    /// <c>vip</c> and <c>vip6</c> of a service in /status: <c>vip</c> is always one address (the IPv4 VIP, or the IPv6 VIP of an
    /// IPv6-only service), so tools reading one address keep working; <c>vip6</c> is the IPv6 VIP whenever there is one.
    /// </summary>
    public static (string Vip, string? Vip6) Vips(ServiceConfig s) => ((s.Vip?.ToString() ?? s.Vip6?.ToString())!, s.Vip6?.ToString());

    /// <summary>Buckets per live backend name (from the plan's slot keys: MAC, or IP in translate mode).</summary>
    public static IReadOnlyDictionary<string, int> SlotCounts(ServicePlan sp)
    {
        var byKey = sp.LiveBackends.ToDictionary(b => PipelineBuilder.BackendKey(sp.Service, b), b => b.Name, StringComparer.Ordinal);
        var counts = sp.LiveBackends.ToDictionary(b => b.Name, _ => 0, StringComparer.Ordinal);
        foreach (var k in sp.SlotKeys)
        {
            if (byKey.TryGetValue(k, out var name)) counts[name]++;
        }
        return counts;
    }

    /// <summary>The backend's port on its own bridge (the one it is local to), when that bridge is connected.</summary>
    private static BackendPort? BackendPortState(LoadBalancerConfig config, BackendConfig b, IReadOnlyList<Connected> sessions)
    {
        if (b.Port is not PortRef p) return null;
        foreach (var (session, bridge) in sessions)
        {
            if (bridge is null || !PipelineBuilder.IsLocal(config, b, bridge)) continue;
            var view = BridgeView.Of(session.Info);
            uint? no = view.Resolve(p);
            return new BackendPort(bridge.Name, no, no is uint n && view.IsLive(n));
        }
        return null;
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
