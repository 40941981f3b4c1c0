using System.Numerics;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Groups;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// UDP services' pick, on OpenFlow 1.3 without a select group.
/// <para>
/// <b>Why.</b> OVS 3.1 hashes an OpenFlow 1.3 select group with dp_hash <c>sym_l4</c>, which leaves UDP ports out:
/// every UDP flow from one client address would land on one backend. The Nicira <c>multipath</c> action with
/// <c>symmetric_l3l4+udp</c> hashes both ports (lib/flow.c <c>flow_hash_symmetric_l3l4(flow, basis, true)</c>) and
/// writes a slot number into reg2; the <c>slot</c> table then has one flow per slot of the service's Maglev
/// table (the same slot table the select group would carry), so adding or removing a backend moves only the
/// slots whose owner changed (≤ 1.25/N of the flows), as for TCP. The figures behind the choice (against
/// OpenFlow 1.5 <c>selection_method=dp_hash</c>) are in README, "UDP services".
/// </para>
/// </summary>
public static class SlotFlows
{
    /// <summary>True when the service picks by multipath and the slot table instead of its select group.</summary>
    public static bool UsesSlots(ServiceConfig s) => s.Protocol == ServiceProtocol.Udp;

    /// <summary>
    /// multipath over <paramref name="slots"/> links into reg2[0..log2(slots)-1]: <c>hrw</c>, which OVS runs as
    /// highest-random-weight up to 64 links and as <c>iter_hash</c> above (lib/multipath.c); basis 0.
    /// </summary>
    public static MultipathAction Multipath(int slots) =>
        MultipathAction.Create(NxHashFields.SymmetricL3L4Udp, 0, NxMultipathAlgorithm.Hrw, slots, 0,
            Subfield.Bits(SlotRegister, 0, Math.Max(1, BitOperations.Log2((uint)slots))));

    /// <summary>The pick's actions for a UDP service: the slot into reg2, then the <c>slot</c> table.</summary>
    public static OfpAction[] PickActions(int slots) => [Multipath(slots), FlowParts.Resubmit(Slot)];

    /// <summary>
    /// <c>service</c> (persistence none): the UDP service's VIP:port → multipath into reg2, then <c>slot</c>. Takes the
    /// place of the select group flow (<see cref="ServiceFlows.ServiceFlow"/>). Exists while the service has a live backend.
    /// </summary>
    public static FlowEntry ServiceFlow(CookieLayout c, ServiceConfig s, int slots) =>
        FlowParts.Flow(c, Service, s.AllPorts ? Priority.ServiceAllPorts : Priority.ServicePort, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s),
            FlowParts.Apply(PickActions(slots)));

    /// <summary>
    /// <c>pick</c> (persistence, affinity or NAT): a UDP packet whose reg1 names no live backend → multipath into reg2,
    /// then <c>slot</c>, whose owner names one in reg1 and comes back. Takes the place of <see cref="PickFlows.PickGroupFlow"/>.
    /// </summary>
    public static FlowEntry PickSlotFlow(CookieLayout c, ServiceConfig s, int slots) =>
        FlowParts.Flow(c, Pick, Priority.PickGroup, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s),
            FlowParts.Apply(PickActions(slots)));

    /// <summary>
    /// <c>slot</c>: reg2 = <paramref name="slot"/> for the service's VIP:port → <paramref name="actions"/>, the
    /// slot owner's fast-failover group or bucket actions. One per slot while the service has a live backend.
    /// </summary>
    public static FlowEntry SlotFlow(CookieLayout c, ServiceConfig s, int slot, OfpAction[] actions) =>
        FlowParts.Flow(c, Slot, Priority.SlotOwner, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s, FlowParts.Reg(SlotRegister, (uint)slot)),
            FlowParts.Apply(actions));

    /// <summary>
    /// The slot table the switch's slot flows for <paramref name="s"/> encode, as a select group would carry it
    /// (bucket i = slot i's owner: its bucket actions, or its fast-failover group's first bucket), for
    /// <see cref="PipelineBuilder.RecoverSlots"/>; null when the switch holds none of them. Lets a restarted
    /// controller keep a UDP service's slots as they are.
    /// </summary>
    public static GroupEntry? RecoverTable(ServiceConfig s, SwitchState installed, CookieLayout c, int slots)
    {
        var buckets = new Bucket[slots];
        bool any = false;
        for (int i = 0; i < slots; i++)
        {
            IEnumerable<OfpAction> actions = [];
            if (installed.Flows.TryGetValue(SlotFlow(c, s, i, []).Key, out var f))
            {
                actions = f.Instructions.OfType<OvsLb.OpenFlow.Instructions.ApplyActionsInstruction>().SelectMany(a => a.Actions).ToList();
                if (actions.OfType<GroupAction>().FirstOrDefault() is { } g)
                {
                    actions = installed.Groups.TryGetValue(g.GroupId, out var ff) && ff.Buckets.Length > 0 ? ff.Buckets[0].Actions : [];
                }
                any = true;
            }
            buckets[i] = new Bucket(1, OfctlFormat.Ports.Any, GroupId.Any, new EquatableArray<OfpAction>(actions.ToArray()));
        }
        return any ? new GroupEntry(0, GroupType.Select, new EquatableArray<Bucket>(buckets)) : null;
    }

    /// <summary>
    /// A live backend's fast-failover group: bucket 1 is the backend's own bucket, watching its local port; then
    /// the service's other watched live backends, in configuration order starting after it, so each dead
    /// backend's flows go to a different neighbour. OVS takes the first bucket whose port is live in the
    /// datapath, before the controller hears of the port; the controller's re-plan then deals the dead
    /// backend's slots to the others by the slot table. Exists for a backend with a watched port.
    /// </summary>
    public static GroupEntry FailoverGroup(uint groupId, int owner, IReadOnlyList<BackendBucket> buckets)
    {
        var list = new List<Bucket>();
        for (int k = 0; k < buckets.Count; k++)
        {
            var b = buckets[(owner + k) % buckets.Count];
            if (b.WatchPort is uint p) list.Add(new Bucket(0, p, GroupId.Any, b.Actions));
        }
        return new GroupEntry(groupId, GroupType.FastFailover, new EquatableArray<Bucket>(list.ToArray()));
    }
}
