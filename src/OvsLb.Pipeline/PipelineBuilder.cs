using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.Pipeline.Hashing;
using OvsLb.Runtime;
using OvsLb.Runtime.Reconcile;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline;

/// <summary>Settings of the builder that come from the controller, not the load-balancer file.</summary>
/// <param name="Cookies">Cookie signature of this controller's flows.</param>
/// <param name="GroupIdFirst">First group id this controller owns.</param>
/// <param name="GroupIdLast">Last group id this controller owns.</param>
/// <param name="GatewayLearnSeconds">Hard timeout of learned next hops: a gateway not heard from for this
/// long is forgotten. The controller probes every gateway at a third of it.</param>
public sealed record BuildSettings(CookieLayout Cookies, uint GroupIdFirst, uint GroupIdLast, ushort GatewayLearnSeconds)
{
    public static readonly BuildSettings Default = new(new CookieLayout(CookieLayout.DefaultSignature), 0x1000_0000, 0x1fff_ffff, 60);
}

/// <summary>
/// The policy: configuration + one bridge's view → that bridge's desired flows and groups. Pure (no
/// I/O, no clock); the controller calls it on every change and the reconciler sends the difference.
/// </summary>
public static class PipelineBuilder
{
    /// <summary>The health/down-set id of a backend: <c>service/backend</c>.</summary>
    public static string BackendId(ServiceConfig s, BackendConfig b) => $"{s.Name}/{b.Name}";

    /// <summary>The identity the Maglev table hashes: the IP in translate mode, else the MAC.</summary>
    public static string BackendKey(ServiceConfig s, BackendConfig b) =>
        s.Mode == ServiceMode.Translate ? b.Ip!.Value.ToString() : b.Mac!.Value.ToString();

    /// <summary>The configured bridge a switch is: by datapath id, else by bridge name.</summary>
    public static BridgeConfig? FindBridge(LoadBalancerConfig config, ulong datapathId, string? bridgeName) =>
        config.Bridges.FirstOrDefault(b => b.DatapathId == datapathId)
        ?? config.Bridges.FirstOrDefault(b => b.DatapathId is null && bridgeName is not null && b.Name == bridgeName);

    /// <summary>True when backend <paramref name="b"/> is attached to bridge <paramref name="bridge"/>.</summary>
    public static bool IsLocal(LoadBalancerConfig config, BackendConfig b, BridgeConfig bridge) =>
        b.Bridge == bridge.Name || (b.Bridge is null && config.Bridges.Count == 1);

    /// <summary>Services this bridge carries: those listing it (or listing none); port groups only on their servers' bridge.</summary>
    public static IEnumerable<ServiceConfig> ServicesOn(LoadBalancerConfig config, BridgeConfig bridge) =>
        config.Services.Where(s => (s.Bridges.IsEmpty || s.Bridges.Contains(bridge.Name))
            && (s.Mode != ServiceMode.PortGroup || s.Backends.All(b => IsLocal(config, b, bridge))));

    public static BridgePlan Build(LoadBalancerConfig config, BridgeView view, BuildSettings? settings = null)
    {
        var set = settings ?? BuildSettings.Default;
        var c = set.Cookies;
        var bridge = FindBridge(config, view.DatapathId, view.BridgeName);
        if (bridge is null) return new BridgePlan(null, SwitchState.Empty, [], [], []);

        var warnings = new List<string>();
        var flows = new List<FlowEntry>
        {
            RoutingFlows.DefaultFlow(c, Classify, normal: true),
            ArpFlows.ClassifyArpFlow(c),
            ArpFlows.ArpDefaultFlow(c),
            ServiceFlows.ClassifyToServiceFlow(c, bridge.LbMac),
            ServiceFlows.ServiceDefaultFlow(c),
        };
        var groups = new List<GroupEntry>();
        var plans = new List<ServicePlan>();
        var groupIds = AssignGroupIds(config, set.GroupIdFirst, set.GroupIdLast);
        var answered = new HashSet<Ipv4Address>();
        bool translates = false;
        var returnFlows = new Dictionary<FlowKey, FlowEntry>();
        uint? uplink = bridge.Uplink is PortRef u ? view.Resolve(u) : null;
        if (bridge.Uplink is PortRef missing && uplink is null)
        {
            warnings.Add($"bridge '{bridge.Name}': uplink port {missing} does not exist on the switch; ARP probes are flooded" +
                (bridge.Role == BridgeRole.Distributed ? " and ARP for the VIPs is answered on every port" : ""));
        }

        foreach (var s in ServicesOn(config, bridge))
        {
            var live = new List<BackendConfig>();
            var buckets = new List<BackendBucket>();
            foreach (var b in s.Backends)
            {
                uint? port = LocalPort(config, s, b, bridge, view, warnings);
                bool up = !view.DownBackends.Contains(BackendId(s, b)) && (b.Port is null || !IsLocal(config, b, bridge) || (port is uint p && view.IsLive(p)));
                if (!up) continue;
                live.Add(b);
                buckets.Add(s.Mode switch
                {
                    ServiceMode.Direct => ServiceFlows.DirectBucket(b.Mac!.Value, port),
                    ServiceMode.Translate => ServiceFlows.TranslateBucket(config.Options.FakeMac(b.Ip!.Value)),
                    _ => ServiceFlows.PortGroupBucket(bridge.LbMac, b.Mac!.Value, port!.Value),
                });
            }
            uint gid = groupIds[s.Name];
            bool answer = live.Count > 0 || !config.Options.StopArpWhenAllDown;
            BackendConfig? master = s.Mode == ServiceMode.PortGroup ? live.FirstOrDefault() : null;
            string[] keys = [];
            if (live.Count > 0)
            {
                var backends = live.Select(b => new MaglevBackend(BackendKey(s, b), (uint)b.Weight)).ToList();
                view.PreviousSlots.TryGetValue(s.Name, out var prev);
                if (prev is not null && prev.Count != config.Options.Buckets) prev = null;
                int[] slots = MaglevTable.Update(prev, backends, config.Options.Buckets);
                keys = slots.Select(i => backends[i].Key).ToArray();
                foreach (var b in live.Where(b => !keys.Contains(BackendKey(s, b))))
                {
                    warnings.Add($"service '{s.Name}' backend '{b.Name}': weight {b.Weight} of {live.Sum(x => x.Weight)} is less than one of {config.Options.Buckets} buckets, so it gets no traffic (raise its weight or options.buckets)");
                }
                groups.Add(BackendSelectGroup.Build(gid, slots, buckets));
                flows.Add(ServiceFlows.ServiceFlow(c, s, gid));
                if (s.Mode == ServiceMode.Translate) translates = true;
                if (master is not null)
                {
                    flows.Add(ServiceFlows.PortGroupMasterFlow(c, s, bridge.LbMac, master.Mac!.Value, view.Resolve(master.Port!.Value)!.Value));
                }
            }
            if (answer && answered.Add(s.Vip))
            {
                flows.Add(ArpFlows.ArpResponderFlow(c, s.Vip, bridge.LbMac, s.Vip.Value));
                if (bridge.Role == BridgeRole.Distributed && uplink is uint up) flows.Add(ArpFlows.UplinkVipArpFlow(c, up, s.Vip));
            }
            if (s.Mode == ServiceMode.PortGroup) AddPortGroupFlows(c, config, s, bridge, view, flows, returnFlows, warnings);
            plans.Add(new ServicePlan(s, gid, live, keys, answer, master));
        }

        // Seed 002's return path, wherever a translate-mode backend lives (whether or not this bridge balances the service).
        foreach (var s in config.Services.Where(s => s.Mode == ServiceMode.Translate))
        {
            foreach (var b in s.Backends.Where(b => b.Bridge == bridge.Name || (b.Bridge is null && (s.Bridges.IsEmpty || s.Bridges.Contains(bridge.Name)))))
            {
                var f = RoutingFlows.ReturnSnatFlow(c, s, b.Ip!.Value);
                if (!returnFlows.TryAdd(f.Key, f) && returnFlows[f.Key].Text != f.Text)
                {
                    warnings.Add($"service '{s.Name}': backend {b.Ip} replies from the same address and port as another service's backend; its replies keep the first service's VIP");
                }
            }
        }
        if (returnFlows.Count > 0)
        {
            flows.AddRange(returnFlows.Values);
            flows.Add(RoutingFlows.ClassifyToReturnFlow(c));
            flows.Add(RoutingFlows.DefaultFlow(c, Return, normal: true));
        }

        if (translates)
        {
            if (bridge.Gateways.IsEmpty) warnings.Add($"bridge '{bridge.Name}' balances translate-mode services but declares no gateway: translated packets are dropped");
            else flows.Add(RoutingFlows.AddressTranslationFlow(c, config.Options.FakeMacPrefix, bridge.LbMac, bridge.Gateways[0]));
            flows.Add(RoutingFlows.DefaultFlow(c, Translate, normal: false));
        }
        if (!bridge.Gateways.IsEmpty)
        {
            for (int i = 0; i < bridge.Gateways.Length; i++)
            {
                var g = bridge.Gateways[i];
                flows.Add(ArpFlows.GatewayLearnFlow(c, g, set.GatewayLearnSeconds));
                flows.Add(ArpFlows.GatewayProbeReplyFlow(c, g, bridge.LbMac, set.GatewayLearnSeconds));
                if (i + 1 < bridge.Gateways.Length) flows.Add(RoutingFlows.NextHopFallbackFlow(c, g, bridge.Gateways[i + 1]));
            }
            flows.Add(RoutingFlows.DefaultFlow(c, NextHop, normal: false));
        }
        // ARP check replies come back to the bridge the probe left from: one carrying the service, or the backend's own bridge.
        bool probesFromHere = config.Services.Any(s => s.HealthCheck.Kind == HealthCheckKind.Arp
            && ((s.Bridges.IsEmpty || s.Bridges.Contains(bridge.Name)) || s.Backends.Any(b => b.Bridge == bridge.Name)));
        if (probesFromHere) flows.Add(ArpFlows.HealthReplyFlow(c, bridge.LbMac));

        return new BridgePlan(bridge, SwitchState.Create(flows, groups), plans, bridge.Gateways.ToArray(), warnings);
    }

    private static void AddPortGroupFlows(CookieLayout c, LoadBalancerConfig config, ServiceConfig s, BridgeConfig bridge, BridgeView view,
        List<FlowEntry> flows, Dictionary<FlowKey, FlowEntry> returnFlows, List<string> warnings)
    {
        if (bridge.Gateways.IsEmpty)
        {
            warnings.Add($"port-group service '{s.Name}' on bridge '{bridge.Name}': no gateway declared, so servers' replies are switched as they are (no external-MAC rewrite)");
            return;
        }
        foreach (var b in s.Backends)
        {
            if (view.Resolve(b.Port!.Value) is not uint port) continue;
            flows.Add(RoutingFlows.ClassifyFromServerFlow(c, port));
            var ret = RoutingFlows.PortGroupReturnFlow(c, port, bridge.LbMac, bridge.Gateways[0]);
            returnFlows.TryAdd(ret.Key, ret);
            foreach (var g in bridge.Gateways) flows.Add(ArpFlows.PortGroupGatewayResponderFlow(c, port, g, bridge.LbMac, port));
            flows.Add(ArpFlows.PortGroupArpIsolationFlow(c, port));
            flows.Add(ArpFlows.PortGroupServerVipArpFlow(c, port, s.Vip));
        }
    }

    /// <summary>The backend's port number on this bridge when it is attached here; warns when the bridge lacks the port.</summary>
    private static uint? LocalPort(LoadBalancerConfig config, ServiceConfig s, BackendConfig b, BridgeConfig bridge, BridgeView view, List<string> warnings)
    {
        if (b.Port is not PortRef p || !IsLocal(config, b, bridge)) return null;
        var no = view.Resolve(p);
        if (no is null) warnings.Add($"service '{s.Name}' backend '{b.Name}': bridge '{bridge.Name}' has no port {p}; the backend is treated as down");
        return no;
    }

    /// <summary>
    /// A stable group id per service: a hash of its name into the owned range, probing on collision in
    /// name order, so adding a service never renumbers another's group.
    /// </summary>
    public static IReadOnlyDictionary<string, uint> AssignGroupIds(LoadBalancerConfig config, uint first, uint last)
    {
        ulong range = (ulong)last - first + 1;
        var used = new HashSet<uint>();
        var ids = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var name in config.Services.Select(s => s.Name).Order(StringComparer.Ordinal))
        {
            ulong h = Fx.ObjectId(name) % range;
            while (!used.Add((uint)(first + h))) h = (h + 1) % range;
            ids[name] = (uint)(first + h);
        }
        return ids;
    }

    /// <summary>
    /// The slot table a group read back from the switch encodes: bucket i's destination MAC names its
    /// backend (the fake MAC's IP in translate mode). Lets a restarted controller keep the buckets as
    /// they were instead of rebuilding them, so a restart moves no flow.
    /// </summary>
    public static IReadOnlyList<string?> RecoverSlots(ServiceConfig s, GroupEntry installed, LoadBalancerOptions options)
    {
        var keys = new string?[installed.Buckets.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            if (ServiceFlows.BucketEthDst(installed.Buckets[i].Actions) is not MacAddress m) continue;
            if (s.Mode == ServiceMode.Translate)
            {
                if ((ushort)(m.Value >> 32) == options.FakeMacPrefix) keys[i] = new Ipv4Address((uint)m.Value).ToString();
            }
            else keys[i] = m.ToString();
        }
        return keys;
    }
}
