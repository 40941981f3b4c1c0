using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.Pipeline.Groups;
using OvsLb.Pipeline.Hashing;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>One backend as a bridge sees it: its port there (when attached there and the bridge has it) and whether it gets buckets.</summary>
internal readonly record struct BackendState(uint? Port, bool Up);

/// <summary>
/// Everything one service's part of a bridge plan is computed from (<see cref="ServiceParts.Build"/>
/// reads nothing else), so equal inputs give equal parts: what lets <see cref="BuildCache"/> hand back
/// last build's parts. Equality compares the previous slot table by reference, then element by element.
/// </summary>
internal sealed record ServiceInputs(
    ServiceConfig Service,
    LoadBalancerOptions Options,
    BridgeConfig Bridge,
    bool SingleBridge,
    CookieLayout Cookies,
    uint GroupId,
    uint? Uplink,
    uint RejectMeterId,
    EquatableArray<BackendState> Backends,
    IReadOnlyList<string?>? PreviousSlots,
    bool Capped = false)
{
    /// <summary>UDP services: the fast-failover group id of each backend (by configuration index; 0: none), see <see cref="PipelineBuilder.AssignFailoverGroupIds"/>.</summary>
    public EquatableArray<uint> FailoverGroupIds { get; init; } = EquatableArray<uint>.Empty;

    public bool Equals(ServiceInputs? o) => o is not null && (ReferenceEquals(this, o) || (SameApartFromSlots(o) && SameSlots(PreviousSlots, o.PreviousSlots)));

    public override int GetHashCode() => HashCode.Combine(Service.Name, GroupId);

    /// <summary>Equal in everything but <see cref="PreviousSlots"/>.</summary>
    public bool SameApartFromSlots(ServiceInputs o) =>
        GroupId == o.GroupId && Uplink == o.Uplink && RejectMeterId == o.RejectMeterId && SingleBridge == o.SingleBridge && Cookies == o.Cookies && Capped == o.Capped
        && Backends.Equals(o.Backends) && FailoverGroupIds.Equals(o.FailoverGroupIds) && Service.Equals(o.Service) && Options.Equals(o.Options) && Bridge.Equals(o.Bridge);

    /// <summary>The same slot table: the same list, or equal keys slot by slot.</summary>
    public static bool SameSlots(IReadOnlyList<string?>? a, IReadOnlyList<string?>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b, StringComparer.Ordinal));
}

/// <summary>A translate-mode backend's return-path flow on a bridge, with the address it is for (named in a collision warning).</summary>
internal readonly record struct ReturnFlow(FlowEntry Flow, Ipv4Address BackendIp);

/// <summary>
/// One service's part of a bridge plan, in the order the builder adds it: its groups (the select group; for a UDP
/// service, its backends' fast-failover groups instead), the
/// service-table flows, the VIP's ARP flows and the IPv6 VIP's NDP flows (each added only by the first service on the
/// VIP that answers it), the port-group flows and return flows, and the warnings. A dual-stack service builds every flow
/// that matches its VIP once per address family (<see cref="ServiceConfig.Views"/>); both share its group and backend tags.
/// </summary>
internal sealed record ServiceParts(
    ServicePlan Plan,
    GroupEntry[] Groups,
    FlowEntry[] ServiceTableFlows,
    FlowEntry[] VipArpFlows,
    FlowEntry[] VipNdpFlows,
    FlowEntry[] PortGroupFlows,
    FlowEntry[] PortGroupReturnFlows,
    string[] Warnings)
{
    /// <summary>True when the service has a live backend and sends traffic through the translate table.</summary>
    public bool Translates => Plan.SlotKeys.Count > 0 && Plan.Service.Mode == ServiceMode.Translate;

    /// <summary>The service's part, from its inputs alone.</summary>
    public static ServiceParts Build(ServiceInputs x)
    {
        var (s, o, bridge, c) = (x.Service, x.Options, x.Bridge, x.Cookies);
        var views = s.Views().ToList();
        var warnings = new List<string>();
        var live = new List<BackendConfig>();
        var buckets = new List<BackendBucket>();
        var picks = new List<FlowEntry>();
        var liveIndex = new List<int>();
        uint? firstLivePort = null;
        for (int i = 0; i < s.Backends.Length; i++)
        {
            var b = s.Backends[i];
            var state = x.Backends[i];
            if (b.Port is PortRef p && PipelineBuilder.IsLocal(b, bridge, x.SingleBridge) && state.Port is null)
            {
                warnings.Add($"service '{s.Name}' backend '{b.Name}': bridge '{bridge.Name}' has no port {p}; the backend is treated as down");
            }
            if (!state.Up) continue;
            if (live.Count == 0) firstLivePort = state.Port;
            live.Add(b);
            liveIndex.Add(i);
            var direct = s.Mode switch
            {
                ServiceMode.Direct => ServiceFlows.DirectBucket(b.Mac!.Value, state.Port),
                ServiceMode.Translate => ServiceFlows.TranslateBucket(o.FakeMac(b.Ip!.Value)),
                ServiceMode.PortGroup => ServiceFlows.PortGroupBucket(bridge.LbMac, b.Mac!.Value, state.Port!.Value),
                _ => null,
            };
            // With pick, the bucket only names the backend; its actions move to pick's flow for it.
            buckets.Add(PickFlows.Picks(s) ? PickFlows.TagBucket(s, b, direct?.WatchPort) : direct!);
            if (PickFlows.Picks(s))
            {
                if (s.IsNat) picks.Add(NatFlows.PickBackendFlow(c, s, b, o.ConntrackZone));
                else foreach (var v in views) picks.Add(PickFlows.PickBackendFlow(c, v, b, o.ConnectionIdleSeconds, [.. direct!.Actions]));
            }
        }
        // With onEmpty "reject" the VIP stays answered: a client must reach the bridge to be refused.
        bool rejects = live.Count == 0 && s.OnEmpty == OnEmpty.Reject;
        bool answer = live.Count > 0 || rejects || !o.StopArpWhenAllDown;
        BackendConfig? master = s.Mode == ServiceMode.PortGroup ? live.FirstOrDefault() : null;
        string[] keys = [];
        var groups = new List<GroupEntry>();
        bool slotted = SlotFlows.UsesSlots(s);
        var flows = new List<FlowEntry>();
        if (live.Count > 0)
        {
            var backends = live.Select(b => new MaglevBackend(PipelineBuilder.BackendKey(s, b), (uint)b.Weight)).ToList();
            var prev = x.PreviousSlots is { } ps && ps.Count == o.Buckets ? ps : null;
            int[] slots = MaglevTable.Update(prev, backends, o.Buckets);
            keys = slots.Select(i => backends[i].Key).ToArray();
            foreach (var b in live.Where(b => !keys.Contains(PipelineBuilder.BackendKey(s, b))))
            {
                warnings.Add($"service '{s.Name}' backend '{b.Name}': weight {b.Weight} of {live.Sum(y => y.Weight)} is less than one of {o.Buckets} buckets, so it gets no traffic (raise its weight or options.buckets)");
            }
            if (slotted) AddSlotFlows(x, slots, buckets, liveIndex, groups, flows);
            else groups.Add(BackendSelectGroup.Build(x.GroupId, slots, buckets));
            if (s.IsNat) flows.AddRange(NatServiceFlows(s, o, c));
            else if (PickFlows.Picks(s)) flows.AddRange(views.Select(v => PickFlows.PersistentServiceFlow(c, v, x.Capped)));
            else flows.AddRange(views.Select(v => slotted ? SlotFlows.ServiceFlow(c, v, slots.Length) : ServiceFlows.ServiceFlow(c, v, x.GroupId)));
            if (PickFlows.Picks(s))
            {
                flows.AddRange(views.Select(v => x.Capped ? PickFlows.CapReachedFlow(c, v) : slotted ? SlotFlows.PickSlotFlow(c, v, slots.Length) : PickFlows.PickGroupFlow(c, v, x.GroupId)));
                flows.AddRange(picks);
            }
            if (master is not null)
            {
                flows.Add(ServiceFlows.PortGroupMasterFlow(c, s, bridge.LbMac, master.Mac!.Value, firstLivePort!.Value));
            }
        }
        else if (rejects) flows.Add(RejectFlows.RejectFlow(c, s, x.RejectMeterId));   // IPv4 only (validated)
        var arp = new List<FlowEntry>();
        var ndp = new List<FlowEntry>();
        if (answer && s.Vip is Ipv4Address vip)
        {
            arp.Add(ArpFlows.ArpResponderFlow(c, vip, bridge.LbMac, vip.Value));
            if (bridge.Role == BridgeRole.Distributed && x.Uplink is uint up) arp.Add(ArpFlows.UplinkVipArpFlow(c, up, vip));
        }
        if (answer && s.Vip6 is Ipv6Address vip6)
        {
            ndp.Add(NdpFlows.NdpDadResponderFlow(c, vip6, bridge.LbMac));
            ndp.Add(NdpFlows.NdpResponderFlow(c, vip6, bridge.LbMac));
            ndp.Add(NdpFlows.NdpOptionlessResponderFlow(c, vip6, bridge.LbMac));
            ndp.Add(NdpFlows.NdpTargetLinkLayerFlow(c, vip6, bridge.LbMac));
            if (bridge.Role == BridgeRole.Distributed && x.Uplink is uint up) ndp.Add(NdpFlows.UplinkVipNdpFlow(c, up, vip6));
        }
        var portGroup = new List<FlowEntry>();
        var portGroupReturn = new List<FlowEntry>();
        if (s.Mode == ServiceMode.PortGroup) AddPortGroupFlows(x, portGroup, portGroupReturn, warnings);
        if (s.Mode == ServiceMode.Nat)
        {
            // Replies pass the tracker wherever the connection was committed: on this bridge, whatever the backend's state.
            // (fullnat replies come to the snatIp at the LB MAC: service → unsnat, not return.)
            foreach (var b in s.Backends) portGroupReturn.Add(NatFlows.BackendReplyFlow(c, s, b, o.ConntrackZone));
        }
        return new ServiceParts(new ServicePlan(s, x.GroupId, live, keys, answer, master, rejects), [.. groups],
            [.. flows], [.. arp], [.. ndp], [.. portGroup], [.. portGroupReturn], [.. warnings]);
    }

    /// <summary>
    /// A UDP service's slot table in the datapath: one <c>slot</c> flow per slot, to the owner's fast-failover group when
    /// the owner has a watched port (and an id in the owned range), else with the owner's bucket actions; and those groups.
    /// </summary>
    private static void AddSlotFlows(ServiceInputs x, int[] slots, List<BackendBucket> buckets, List<int> liveIndex, List<GroupEntry> groups, List<FlowEntry> flows)
    {
        var owners = new OfpAction[buckets.Count][];
        for (int j = 0; j < buckets.Count; j++)
        {
            uint ff = x.FailoverGroupIds.Length > liveIndex[j] ? x.FailoverGroupIds[liveIndex[j]] : 0;
            if (buckets[j].WatchPort is not null && ff != 0 && slots.Contains(j))
            {
                groups.Add(SlotFlows.FailoverGroup(ff, j, buckets));
                owners[j] = [FlowParts.Group(ff)];
            }
            else owners[j] = [.. buckets[j].Actions];
        }
        // One slot flow per slot and VIP family: a dual-stack service's IPv6 packets take the same slots (multipath hashes both families).
        foreach (var v in x.Service.Views())
        {
            for (int i = 0; i < slots.Length; i++) flows.Add(SlotFlows.SlotFlow(x.Cookies, v, i, owners[slots[i]]));
        }
    }

    /// <summary>A NAT service's flows in service and conntrack (pick's flows are built with the buckets).</summary>
    private static IEnumerable<FlowEntry> NatServiceFlows(ServiceConfig s, LoadBalancerOptions o, CookieLayout c)
    {
        yield return NatFlows.ServiceToConntrackFlow(c, s, o.ConntrackZone);
        yield return NatFlows.NewConnectionFlow(c, s);
        foreach (var f in NatFlows.EstablishedFlows(c, s)) yield return f;
    }

    /// <summary>Port-group mode: servers' replies get the external MAC rewritten, ARP between servers is isolated.</summary>
    private static void AddPortGroupFlows(ServiceInputs x, List<FlowEntry> flows, List<FlowEntry> returnFlows, List<string> warnings)
    {
        var (s, bridge, c) = (x.Service, x.Bridge, x.Cookies);
        if (bridge.Gateways.IsEmpty)
        {
            warnings.Add($"port-group service '{s.Name}' on bridge '{bridge.Name}': no gateway declared, so servers' replies are switched as they are (no external-MAC rewrite)");
            return;
        }
        for (int i = 0; i < s.Backends.Length; i++)
        {
            // Every server of a port group is attached to this bridge (PipelineBuilder.ServicesOn), so its state's port is its port here.
            if (x.Backends[i].Port is not uint port) continue;
            flows.Add(RoutingFlows.ClassifyFromServerFlow(c, port));
            returnFlows.Add(RoutingFlows.PortGroupReturnFlow(c, port, bridge.LbMac, bridge.Gateways[0]));
            foreach (var g in bridge.Gateways) flows.Add(ArpFlows.PortGroupGatewayResponderFlow(c, port, g, bridge.LbMac, port));
            flows.Add(ArpFlows.PortGroupArpIsolationFlow(c, port));
            flows.Add(ArpFlows.PortGroupServerVipArpFlow(c, port, s.Ipv4Vip));
        }
    }

    /// <summary>
    /// The translate-mode return path for one translate-mode service on a bridge: a flow per backend that lives
    /// there (or, without a bridge of its own, wherever the service is), whether or not the bridge balances it.
    /// </summary>
    public static ReturnFlow[] ReturnFlows(ServiceConfig s, CookieLayout c, string bridgeName) =>
        s.Backends.Where(b => s.IsBehind(b, bridgeName))
            .Select(b => new ReturnFlow(RoutingFlows.ReturnSnatFlow(c, s, b.Ip!.Value), b.Ip!.Value))
            .ToArray();
}
