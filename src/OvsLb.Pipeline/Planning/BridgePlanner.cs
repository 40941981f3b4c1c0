using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline.Planning;

/// <summary>
/// The load balancer's decisions for one bridge, as a function: <see cref="PlanInputs"/> (configuration,
/// health, slot memory, the bridge and the other connected bridges) in, <see cref="PlanOutput"/> (desired
/// state, the slot memory to keep once it is committed, the ARP announcements and gateway probes to send)
/// out. It does nothing itself: whoever calls it (the load balancer of <c>ovslb run</c>, the debugging
/// verbs) does the I/O, and only after the switch has committed the state. That is what makes a refused
/// bundle harmless: the planner's output is dropped, memory and the network stay as they were.
/// </summary>
public static class BridgePlanner
{
    /// <summary>
    /// Plans <see cref="PlanInputs.Switch"/>. With a <paramref name="cache"/> (one per bridge) unchanged
    /// services' parts are reused; the result is the same either way (see <see cref="BuildCache"/>).
    /// </summary>
    public static PlanOutput Plan(PlanInputs x, BuildCache? cache = null)
    {
        var config = x.Config;
        var bridge = PipelineBuilder.FindBridge(config, x.Switch.DatapathId, x.Switch.BridgeName);
        var slots = new Dictionary<string, IReadOnlyList<string?>>(x.Slots, StringComparer.Ordinal);
        if (bridge is not null && x.Installed is not null) RecoverSlots(config, x.Settings, x.Installed, slots);
        var view = new BridgeView(x.Switch.DatapathId, x.Switch.BridgeName, x.Switch.Ports, DownBackends(x, bridge), slots) { ConnectionsCapped = x.ConnectionsCapped };
        var plan = PipelineBuilder.Build(config, view, x.Settings, cache);
        var next = new Dictionary<string, IReadOnlyList<string?>>(slots, StringComparer.Ordinal);
        foreach (var sp in plan.Services)
        {
            // The builder's own (never mutated) table: an unchanged service hands back the same instance,
            // which its cache entry then recognises by reference.
            if (sp.SlotKeys.Count > 0) next[sp.Service.Name] = sp.SlotKeys;
        }
        return new PlanOutput(plan, view, next, Announcements(x.Committed, plan, x.Switch.Ports), GatewayProbes(config, x.Switch),
            ConnectionFlush.Between(x.Committed, plan, config.Options));
    }

    /// <summary>
    /// Adds to <paramref name="slots"/> the slot table of every service it lacks whose group (UDP services: slot
    /// flows) the switch holds (bucket i's destination names its backend): a controller that restarts, or meets a bridge
    /// for the first time, keeps the buckets as they are instead of rebuilding them.
    /// </summary>
    public static void RecoverSlots(LoadBalancerConfig config, BuildSettings settings, SwitchState installed, Dictionary<string, IReadOnlyList<string?>> slots)
    {
        if (config.Services.All(s => slots.ContainsKey(s.Name))) return;
        var ids = PipelineBuilder.AssignGroupIds(config, settings.GroupIdFirst, settings.GroupIdLast);
        foreach (var s in config.Services)
        {
            if (slots.ContainsKey(s.Name)) continue;
            if (Flows.SlotFlows.UsesSlots(s))
            {
                if (Flows.SlotFlows.RecoverTable(s, installed, settings.Cookies, config.Options.Buckets) is { } t) slots[s.Name] = PipelineBuilder.RecoverSlots(s, t, config.Options);
            }
            else if (installed.Groups.TryGetValue(ids[s.Name], out var g)) slots[s.Name] = PipelineBuilder.RecoverSlots(s, g, config.Options);
        }
    }

    /// <summary>
    /// Backends the bridge must not send traffic to: held down (<see cref="PlanInputs.HealthDown"/>), or living on
    /// another bridge whose port for them is down or missing, or whose bridge has been gone past the grace
    /// time (within it they stay, so a controller restart, bridges reconnecting one by one, moves no flow).
    /// </summary>
    public static IReadOnlySet<string> DownBackends(PlanInputs x, BridgeConfig? self)
    {
        var config = x.Config;
        var down = new HashSet<string>(x.HealthDown, StringComparer.Ordinal);
        foreach (var s in config.Services)
        {
            foreach (var b in s.Backends)
            {
                if (b.Port is not PortRef p || b.Bridge is null || b.Bridge == self?.Name) continue;
                if (!x.BridgePorts.TryGetValue(b.Bridge, out var ports))
                {
                    if (x.GoneBridges.Contains(b.Bridge)) down.Add(PipelineBuilder.BackendId(s, b));
                    continue;
                }
                if (BridgeView.Resolve(ports, p) is not uint no || !BridgeView.IsLive(ports, no)) down.Add(PipelineBuilder.BackendId(s, b));
            }
        }
        return down;
    }

    /// <summary>
    /// A gratuitous ARP for every port-group service whose master differs from the committed plan's: the
    /// VIP moves to another server behind the same LB MAC, and neighbours that cached it must hear so.
    /// Nothing before a first commit (there is no change to announce).
    /// </summary>
    public static IReadOnlyList<Announcement> Announcements(BridgePlan? committed, BridgePlan next, IReadOnlyDictionary<uint, PortDescription> ports)
    {
        if (committed is null || next.Bridge is not BridgeConfig bridge) return [];
        List<Announcement>? list = null;
        foreach (var sp in next.Services)
        {
            if (sp.Service.Mode != ServiceMode.PortGroup) continue;
            var old = committed.Services.FirstOrDefault(x => x.Service.Name == sp.Service.Name)?.Master;
            if (old is null || sp.Master is null || old.Name == sp.Master.Name) continue;
            (list ??= []).Add(new Announcement(sp.Service.Name, old.Name, sp.Master.Name, bridge.LbMac, sp.Service.Ipv4Vip, Uplink(bridge, ports)));
        }
        return list ?? [];
    }

    /// <summary>An ARP probe for each gateway of the bridge <paramref name="sw"/> is, out of its uplink (flooded when it has none).</summary>
    public static IReadOnlyList<GatewayProbe> GatewayProbes(LoadBalancerConfig config, SwitchInfo sw)
    {
        if (PipelineBuilder.FindBridge(config, sw.DatapathId, sw.BridgeName) is not BridgeConfig bridge) return [];
        var hops = PipelineBuilder.NextHops(config, bridge);
        if (hops.Count == 0) return [];
        var port = Uplink(bridge, sw.Ports);
        return hops.Select(g => new GatewayProbe(bridge.LbMac, g, port)).ToArray();
    }



    /// <summary>The uplink's port number on the switch, or null when it has none (or the bridge names no uplink).</summary>
    public static uint? Uplink(BridgeConfig bridge, IReadOnlyDictionary<uint, PortDescription> ports) =>
        bridge.Uplink is PortRef p ? BridgeView.Resolve(ports, p) : null;
}
