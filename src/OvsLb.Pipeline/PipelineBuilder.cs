using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.Pipeline.Hashing;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline;

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
        s.Mode is ServiceMode.Translate or ServiceMode.Nat or ServiceMode.FullNat ? b.Ip!.Value.ToString() : b.Mac!.Value.ToString();

    /// <summary>The configured bridge a switch is: by datapath id, else by bridge name.</summary>
    public static BridgeConfig? FindBridge(LoadBalancerConfig config, ulong datapathId, string? bridgeName) =>
        config.Bridges.FirstOrDefault(b => b.DatapathId == datapathId)
        ?? config.Bridges.FirstOrDefault(b => b.DatapathId is null && bridgeName is not null && b.Name == bridgeName);

    /// <summary>True when backend <paramref name="b"/> is attached to bridge <paramref name="bridge"/>.</summary>
    public static bool IsLocal(LoadBalancerConfig config, BackendConfig b, BridgeConfig bridge) =>
        IsLocal(b, bridge, config.Bridges.Count == 1);

    /// <summary>Services this bridge carries: those listing it (or listing none); port groups only on their servers' bridge.</summary>
    public static IEnumerable<ServiceConfig> ServicesOn(LoadBalancerConfig config, BridgeConfig bridge) =>
        config.Services.Where(s => s.IsOn(bridge.Name)
            && (s.Mode != ServiceMode.PortGroup || s.Backends.All(b => IsLocal(config, b, bridge))));

    /// <summary>
    /// The bridge's plan. With a <paramref name="cache"/> (one per bridge, kept between calls) a service
    /// whose inputs are unchanged since the last call gets the same group, flow and plan instances back
    /// instead of new ones; the result is the same either way.
    /// </summary>
    public static BridgePlan Build(LoadBalancerConfig config, BridgeView view, BuildSettings? settings = null, BuildCache? cache = null)
    {
        if (cache is null) return BuildCore(config, view, settings ?? BuildSettings.Default, null);
        lock (cache)
        {
            cache.Begin();
            var plan = BuildCore(config, view, settings ?? BuildSettings.Default, cache);
            cache.Commit();
            return plan;
        }
    }

    private static BridgePlan BuildCore(LoadBalancerConfig config, BridgeView view, BuildSettings set, BuildCache? cache)
    {
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
        var failoverIds = config.Services.Any(SlotFlows.UsesSlots) ? AssignFailoverGroupIds(config, set.GroupIdFirst, set.GroupIdLast) : null;
        var answered = new HashSet<Ipv4Address>();
        var answered6 = new HashSet<Ipv6Address>();
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
            var ids = cache?.BackendIds(s) ?? BackendIds(s);
            var x = Inputs(config, s, bridge, view, c, groupIds[s.Name], uplink, set.RejectMeterId, ids, failoverIds);
            var parts = cache?.Service(x, ids) ?? ServiceParts.Build(x);
            warnings.AddRange(parts.Warnings);
            groups.AddRange(parts.Groups);
            flows.AddRange(parts.ServiceTableFlows);
            if (parts.Plan.Answered && s.Vip is Ipv4Address v4 && answered.Add(v4)) flows.AddRange(parts.VipArpFlows);
            if (parts.Plan.Answered && s.Vip6 is Ipv6Address v6 && answered6.Add(v6)) flows.AddRange(parts.VipNdpFlows);
            flows.AddRange(parts.PortGroupFlows);
            foreach (var f in parts.PortGroupReturnFlows) returnFlows.TryAdd(f.Key, f);
            translates |= parts.Translates;
            plans.Add(parts.Plan);
        }

        // The translate-mode return path, wherever a translate-mode backend lives (whether or not this bridge balances the service).
        foreach (var s in config.Services.Where(s => s.Mode == ServiceMode.Translate))
        {
            foreach (var (f, ip) in cache?.Returns(s, c, bridge.Name) ?? ServiceParts.ReturnFlows(s, c, bridge.Name))
            {
                if (!returnFlows.TryAdd(f.Key, f) && returnFlows[f.Key].Text != f.Text)
                {
                    warnings.Add($"service '{s.Name}': backend {ip} replies from the same address and port as another service's backend; its replies keep the first service's VIP");
                }
            }
        }
        if (returnFlows.Count > 0)
        {
            flows.AddRange(returnFlows.Values);
            flows.Add(RoutingFlows.ClassifyToReturnFlow(c));
            flows.Add(RoutingFlows.DefaultFlow(c, Return, normal: true));
        }

        var carried = ServicesOn(config, bridge).ToList();
        if (carried.Any(s => s.Vip6 is not null))
        {
            flows.Add(NdpFlows.ClassifyNdpFlow(c));
            flows.Add(NdpFlows.ClassifyIpv6ToServiceFlow(c, bridge.LbMac));
            flows.Add(NdpFlows.NdpDefaultFlow(c));
            flows.Add(RoutingFlows.DefaultFlow(c, NdpTll, normal: false));
        }
        if (carried.Any(PickFlows.LearnsConnections)) flows.Add(RoutingFlows.DefaultFlow(c, Connections, normal: false));
        bool renews = RenewFlows.Needed(carried);
        if (renews)
        {
            flows.Add(RenewFlows.ReusedSynFlow(c, set.RenewMeterId));
            flows.Add(RenewFlows.ClosingPacketFlow(c, rst: false));
            flows.Add(RenewFlows.ClosingPacketFlow(c, rst: true));
            flows.Add(RenewFlows.OpeningPacketFlow(c));
            flows.Add(RoutingFlows.DefaultFlow(c, Reuse, normal: false));
        }
        if (RenewFlows.NeededForIpv6(carried))
        {
            flows.Add(RenewFlows.ReusedSynFlow(c, set.RenewMeterId, ipv6: true));
            flows.Add(RenewFlows.ClosingPacketFlow(c, rst: false, ipv6: true));
            flows.Add(RenewFlows.ClosingPacketFlow(c, rst: true, ipv6: true));
            flows.Add(RenewFlows.OpeningPacketFlow(c, ipv6: true));
        }
        if (carried.Any(s => s.AffinityTimeout is not null)) flows.Add(RoutingFlows.DefaultFlow(c, Affinity, normal: false));
        if (carried.Any(SlotFlows.UsesSlots)) flows.Add(RoutingFlows.DefaultFlow(c, Slot, normal: false));
        if (carried.Any(PickFlows.Picks)) flows.Add(RoutingFlows.DefaultFlow(c, Pick, normal: false));
        var nat = carried.Where(s => s.IsNat).ToList();
        if (nat.Count > 0) NatBridgeFlows(config, bridge, view, c, nat, flows, warnings);

        if (translates)
        {
            if (bridge.Gateways.IsEmpty) warnings.Add($"bridge '{bridge.Name}' balances translate-mode services but declares no gateway: translated packets are dropped");
            else flows.Add(RoutingFlows.AddressTranslationFlow(c, config.Options.FakeMacPrefix, bridge.LbMac, bridge.Gateways[0]));
            flows.Add(RoutingFlows.DefaultFlow(c, Translate, normal: false));
        }
        if (!bridge.Gateways.IsEmpty || nat.Count > 0)
        {
            ushort learnSeconds = (ushort)config.Options.NextHopTimeout.TotalSeconds; // validated: whole seconds, 2..65535
            for (int i = 0; i < bridge.Gateways.Length; i++)
            {
                var g = bridge.Gateways[i];
                flows.Add(ArpFlows.GatewayLearnFlow(c, g, learnSeconds));
                flows.Add(ArpFlows.GatewayProbeReplyFlow(c, g, bridge.LbMac, learnSeconds));
                if (i + 1 < bridge.Gateways.Length) flows.Add(RoutingFlows.NextHopFallbackFlow(c, g, bridge.Gateways[i + 1]));
            }
            flows.Add(RoutingFlows.DefaultFlow(c, NextHop, normal: false));
        }
        // ARP check replies come back to the bridge the probe left from: one carrying the service, or the backend's own bridge.
        // An "arp" check of a backend whose ip is IPv6 is a neighbour solicitation, answered by an NA to the LB MAC.
        bool ProbesFromHere(bool ipv6) => config.Services.Any(s => s.HealthCheck.Kind == HealthCheckKind.Arp
            && s.Backends.Any(b => (b.Ip6 is not null) == ipv6 && (s.IsOn(bridge.Name) || b.Bridge == bridge.Name)));
        if (ProbesFromHere(ipv6: false)) flows.Add(ArpFlows.HealthReplyFlow(c, bridge.LbMac));
        if (ProbesFromHere(ipv6: true))
        {
            flows.Add(NdpFlows.ClassifyHealthAdvertisementFlow(c, bridge.LbMac));
            flows.Add(NdpFlows.HealthAdvertisementFlow(c, bridge.LbMac));
        }

        // The reject flows' meter, while a service here may reject, and the renew meter, while the reuse flows exist
        // (the reconciler installs meters before the flows that use them).
        var meters = new List<MeterEntry>();
        if (carried.Any(s => s.OnEmpty == OnEmpty.Reject)) meters.Add(RejectFlows.RejectMeter(set.RejectMeterId, config.Options.RejectRate));
        if (renews) meters.Add(RenewFlows.RenewMeter(set.RenewMeterId));
        return new BridgePlan(bridge, SwitchState.Create(flows, groups, meters), plans, bridge.Gateways.ToArray(), warnings);
    }

    /// <summary>
    /// The addresses whose MACs the bridge learns by ARP (its flows) and the controller probes: its gateways, then
    /// the NAT backends it balances that have no configured MAC (an on-link one answers; a routed one never does,
    /// and its traffic takes the gateway).
    /// </summary>
    public static IReadOnlyList<Ipv4Address> NextHops(LoadBalancerConfig config, BridgeConfig bridge)
    {
        var hops = new List<Ipv4Address>(bridge.Gateways);
        foreach (var s in ServicesOn(config, bridge).Where(s => s.IsNat))
        {
            foreach (var b in s.Backends)
            {
                if (b.Mac is null && b.Ip is { } ip && !hops.Contains(ip)) hops.Add(ip);
            }
        }
        return hops;
    }

    /// <summary>How long a fullnat client's learned MAC and port live without traffic from the client.</summary>
    public const ushort ClientMacTimeout = 300;

    /// <summary>
    /// The bridge-wide part of the NAT modes: table defaults, the reply path, each backend's way out
    /// (<c>to_backend</c>, and ARP learning of its MAC for <c>nexthop</c> when it has no configured MAC)
    /// and, for fullnat, the snatIp's ARP answer, SNAT and un-SNAT.
    /// </summary>
    private static void NatBridgeFlows(LoadBalancerConfig config, BridgeConfig bridge, BridgeView view, CookieLayout c, List<ServiceConfig> nat, List<FlowEntry> flows, List<string> warnings)
    {
        var o = config.Options;
        ushort learnSeconds = (ushort)o.NextHopTimeout.TotalSeconds;
        flows.Add(RoutingFlows.DefaultFlow(c, Conntrack, normal: false));
        flows.Add(RoutingFlows.DefaultFlow(c, ToBackend, normal: false));
        flows.AddRange(NatFlows.UnnatFlows(c, bridge.LbMac));
        flows.Add(RoutingFlows.DefaultFlow(c, Unnat, normal: true));
        // MAC-less NAT backends are learned like gateways; off-link ones fall back to the first gateway.
        foreach (var ip in NextHops(config, bridge).Skip(bridge.Gateways.Length))
        {
            flows.Add(ArpFlows.GatewayLearnFlow(c, ip, learnSeconds));
            flows.Add(ArpFlows.GatewayProbeReplyFlow(c, ip, bridge.LbMac, learnSeconds));
            if (!bridge.Gateways.IsEmpty) flows.Add(RoutingFlows.NextHopFallbackFlow(c, ip, bridge.Gateways[0]));
        }
        var toBackend = new Dictionary<Ipv4Address, FlowEntry>();
        foreach (var s in nat)
        {
            foreach (var b in s.Backends)
            {
                var ip = b.Ip!.Value;
                uint? port = b.Port is PortRef p && IsLocal(config, b, bridge) ? view.Resolve(p) : null;
                var f = NatFlows.ToBackendFlow(c, ip, bridge.LbMac, b.Mac, port);
                if (!toBackend.TryAdd(ip, f) && toBackend[ip].Text != f.Text)
                {
                    warnings.Add($"service '{s.Name}' backend '{b.Name}': {ip} is also another NAT backend with a different MAC or port; the first one is used");
                }
            }
        }
        flows.AddRange(toBackend.Values);

        // Source NAT (zone Z+1): fullnat's snatIp, nat's hairpin; the way back through unsnat; the client table.
        flows.Add(NatFlows.SnatDefaultFlow(c));
        flows.AddRange(NatFlows.UnsnatFlows(c, bridge.LbMac, o.ConntrackZone));
        flows.Add(RoutingFlows.DefaultFlow(c, Unsnat, normal: false));
        flows.Add(NatFlows.ClientDefaultFlow(c));
        var hairpinReplies = new Dictionary<FlowKey, FlowEntry>();
        foreach (var s in nat.Where(s => s.Mode == ServiceMode.Nat))
        {
            foreach (var b in s.Backends) flows.Add(NatFlows.HairpinSnatFlow(c, s, b, o.SnatZone));
            var f = NatFlows.HairpinReplyFlow(c, s, o.SnatZone);
            hairpinReplies.TryAdd(f.Key, f);
        }
        flows.AddRange(hairpinReplies.Values);
        var fullnat = nat.Where(s => s.Mode == ServiceMode.FullNat).ToList();
        if (fullnat.Count == 0) return;
        if (bridge.SnatIp is not Ipv4Address snat)
        {
            warnings.Add($"bridge '{bridge.Name}' balances fullnat services but has no snatIp: their connections leave without source NAT");
            return;
        }
        flows.Add(ArpFlows.ArpResponderFlow(c, snat, bridge.LbMac, snat.Value));
        flows.Add(NatFlows.SnatReplyFlow(c, snat, o.SnatZone));
        foreach (var s in fullnat) flows.Add(NatFlows.FullNatSnatFlow(c, s, snat, o.SnatZone, ClientMacTimeout));
    }

    /// <summary>
    /// One service's inputs on this bridge: each backend's port here (when attached here) and whether it
    /// is up (its id, <paramref name="ids"/>[i], not in the down set, and its local port, if any, live).
    /// </summary>
    private static ServiceInputs Inputs(LoadBalancerConfig config, ServiceConfig s, BridgeConfig bridge, BridgeView view, CookieLayout c,
        uint groupId, uint? uplink, uint rejectMeterId, string[] ids, IReadOnlyDictionary<string, uint>? failoverIds)
    {
        bool single = config.Bridges.Count == 1;
        var states = new BackendState[s.Backends.Length];
        for (int i = 0; i < states.Length; i++)
        {
            var b = s.Backends[i];
            bool local = IsLocal(b, bridge, single);
            uint? port = b.Port is PortRef p && local ? view.Resolve(p) : null;
            bool up = !view.DownBackends.Contains(ids[i]) && (b.Port is null || !local || (port is uint n && view.IsLive(n)));
            states[i] = new BackendState(port, up);
        }
        view.PreviousSlots.TryGetValue(s.Name, out var prev);
        var ff = new uint[SlotFlows.UsesSlots(s) ? s.Backends.Length : 0];
        for (int i = 0; i < ff.Length; i++) ff[i] = failoverIds is not null && failoverIds.TryGetValue(ids[i], out var g) ? g : 0;
        return new ServiceInputs(s, config.Options, bridge, single, c, groupId, uplink, rejectMeterId, states, prev, view.ConnectionsCapped && PickFlows.LearnsConnections(s))
        {
            FailoverGroupIds = new EquatableArray<uint>(ff),
        };
    }

    /// <summary><see cref="IsLocal(LoadBalancerConfig, BackendConfig, BridgeConfig)"/> given whether the configuration has a single bridge.</summary>
    internal static bool IsLocal(BackendConfig b, BridgeConfig bridge, bool singleBridge) =>
        b.Bridge == bridge.Name || (b.Bridge is null && singleBridge);

    /// <summary>The <see cref="BackendId"/> of each of the service's backends, in order.</summary>
    internal static string[] BackendIds(ServiceConfig s) => s.Backends.Select(b => BackendId(s, b)).ToArray();

    /// <summary>
    /// A stable group id per service: a hash of its name into the owned range, probing on collision in
    /// name order, so adding a service never renumbers another's group.
    /// </summary>
    public static IReadOnlyDictionary<string, uint> AssignGroupIds(LoadBalancerConfig config, uint first, uint last) =>
        AssignIds(config, first, last, failover: false);

    /// <summary>
    /// A stable id per fast-failover group (<see cref="SlotFlows.FailoverGroup"/>): one per backend with a port of
    /// each UDP service, keyed by <see cref="BackendId"/>, hashed into the owned range after the services' own ids
    /// (which it never moves), probing in id order. Backends left over when the range is full get none (their slot
    /// flows then carry the bucket actions themselves).
    /// </summary>
    public static IReadOnlyDictionary<string, uint> AssignFailoverGroupIds(LoadBalancerConfig config, uint first, uint last) =>
        AssignIds(config, first, last, failover: true);

    private static Dictionary<string, uint> AssignIds(LoadBalancerConfig config, uint first, uint last, bool failover)
    {
        ulong range = (ulong)last - first + 1;
        var used = new HashSet<uint>();
        var ids = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var name in config.Services.Select(s => s.Name).Order(StringComparer.Ordinal))
        {
            ulong h = StableId.Of(name) % range;
            while (!used.Add((uint)(first + h))) h = (h + 1) % range;
            ids[name] = (uint)(first + h);
        }
        if (!failover) return ids;
        var ff = new Dictionary<string, uint>(StringComparer.Ordinal);
        var keys = config.Services.Where(SlotFlows.UsesSlots).SelectMany(s => s.Backends.Where(b => b.Port is not null).Select(b => BackendId(s, b)));
        foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if ((ulong)used.Count >= range) break;
            ulong h = StableId.Of(key) % range;
            while (!used.Add((uint)(first + h))) h = (h + 1) % range;
            ff[key] = (uint)(first + h);
        }
        return ff;
    }

    /// <summary>
    /// The slot table a group read back from the switch encodes: bucket i's destination MAC names its
    /// backend (the fake MAC's IP in translate mode). Lets a restarted controller keep the buckets as
    /// they were instead of rebuilding them, so a restart moves no flow.
    /// </summary>
    public static IReadOnlyList<string?> RecoverSlots(ServiceConfig s, GroupEntry installed, LoadBalancerOptions options)
    {
        var keys = new string?[installed.Buckets.Length];
        if (PickFlows.Picks(s))
        {
            // A pick bucket names its backend by the tag it loads into reg1.
            for (int i = 0; i < keys.Length; i++)
            {
                if (PickFlows.TagOf(installed.Buckets[i].Actions) is uint t && PickFlows.BackendOf(s, t) is { } b) keys[i] = BackendKey(s, b);
            }
            return keys;
        }
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
