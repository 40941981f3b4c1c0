using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline.Hashing;

/// <summary>
/// Answers "which backend gets this connection" from a <see cref="BridgePlan"/>, following the
/// <c>service</c> table as OVS does (a service port at priority 200, then an all-ports service at 150,
/// then the port-group master at 100, else the default drop) and the select group as OVS 3.1's userspace
/// datapath does (<see cref="OvsDpHash"/>); a UDP service's multipath and slot table as OVS translates them (<see cref="OvsMultipath"/>). Pure: the same plan the controller installs.
/// </summary>
public static class FlowPlacements
{
    /// <summary>The hash OVS 3.1 uses for the groups <see cref="Groups.BackendSelectGroup"/> builds (no selection
    /// method given → <c>OVS_HASH_ALG_SYM_L4</c>, basis 0 on datapaths that support it, as netdev does).</summary>
    public const DpHashAlgorithm GroupAlgorithm = DpHashAlgorithm.SymmetricL4;

    public static FlowPlacement Resolve(BridgePlan plan, FiveTuple t)
    {
        ArgumentNullException.ThrowIfNull(plan);
        uint dpHash = OvsDpHash.Compute(GroupAlgorithm, t);
        var candidates = plan.Services.Where(p => Targets(p.Service, t) && ProtocolNumber(p.Service.Protocol) == t.Protocol).ToList();
        var balanced = candidates.Where(p => p.SlotKeys.Count > 0 && p.Service.Port == t.DestinationPort)
            .Concat(candidates.Where(p => p.SlotKeys.Count > 0 && p.Service.AllPorts))
            .FirstOrDefault();
        if (balanced is not null && Flows.SlotFlows.UsesSlots(balanced.Service))
        {
            // UDP: multipath into reg2, then the slot table (no group).
            int n = balanced.SlotKeys.Count;
            uint hash = OvsMultipath.Hash(t);
            int slot = OvsMultipath.Hrw(hash, n);
            var owner = balanced.LiveBackends.First(b => PipelineBuilder.BackendKey(balanced.Service, b) == balanced.SlotKeys[slot]);
            return new FlowPlacement(t, balanced, null, GroupAlgorithm, hash, slot, owner,
                $"service '{balanced.Service.Name}' → multipath slot {slot} of {n} (table={LbPipeline.Slot.Id}) → backend '{owner.Name}'", n);
        }
        if (balanced is not null && plan.State.Groups.TryGetValue(balanced.GroupId, out var group))
        {
            int bucket = OvsDpHash.Bucket(dpHash, group.Buckets.Length);
            string key = balanced.SlotKeys[bucket];
            var backend = balanced.LiveBackends.First(b => PipelineBuilder.BackendKey(balanced.Service, b) == key);
            return new FlowPlacement(t, balanced, group, GroupAlgorithm, dpHash, bucket, backend,
                $"service '{balanced.Service.Name}' → group {balanced.GroupId}, bucket {bucket} of {group.Buckets.Length} → backend '{backend.Name}'");
        }
        var pg = plan.Services.FirstOrDefault(p => Targets(p.Service, t) && p.Master is not null);
        if (pg is not null)
        {
            return new FlowPlacement(t, pg, null, GroupAlgorithm, dpHash, -1, pg.Master,
                $"no balanced service port matches; IPv4 to port-group VIP {pg.Service.Vip} goes to the master server '{pg.Master!.Name}' (table=20 priority={LbPipeline.Priority.PortGroupMaster})");
        }
        string why = candidates.Count > 0
            ? $"service(s) {string.Join(", ", candidates.Select(c => $"'{c.Service.Name}'"))} match the VIP but " +
              (candidates.Any(c => c.SlotKeys.Count == 0) ? "have no live backend on this bridge" : $"not port {t.DestinationPort}") + ": table=20 drops it"
            : plan.Services.Any(p => Targets(p.Service, t))
                ? $"no {t.ProtocolName} service on VIP {t.DestinationText}: table=20 drops it"
                : $"{t.DestinationText} is not a VIP on this bridge: a packet to the LB MAC is dropped by table=20; to any other MAC it is switched by NORMAL";
        return new FlowPlacement(t, null, null, GroupAlgorithm, dpHash, -1, null, why);
    }

    /// <summary>True when the connection is to one of the service's VIPs (of the connection's address family).</summary>
    public static bool Targets(ServiceConfig s, FiveTuple t) => t.IsIpv6 ? s.Vip6 == t.Destination6 : s.Vip == t.Destination;

    private static byte ProtocolNumber(ServiceProtocol p) => p == ServiceProtocol.Tcp ? IpProtocol.Tcp : IpProtocol.Udp;
}
