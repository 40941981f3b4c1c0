using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Groups;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// Connection persistence and affinity, shared by every mode: a new flow's backend is named in reg1 (by a
/// learned <c>connections</c> entry, an <c>affinity</c> entry, or a bucket of the select group), and
/// <c>pick</c> sends the packet to the backend reg1 names. The bucket only names the backend: a learn inside
/// a dp_hash select group's bucket never takes effect in OVS 3.1, and a bucket's actions run as an action set
/// (one output, no ct before it), so everything the backend needs happens in <c>pick</c>.
/// </summary>
public static class PickFlows
{
    /// <summary>How long after a FIN or RST from the client a learned connection entry lives without traffic.</summary>
    public const ushort FinIdleTimeout = 2;

    /// <summary>reg1's value for backend <paramref name="b"/> of <paramref name="s"/>: a stable, non-zero id of "service/backend".</summary>
    public static uint BackendTag(ServiceConfig s, BackendConfig b) => StableId.Of(PipelineBuilder.BackendId(s, b)) | 1;

    /// <summary>The backend tag <paramref name="actions"/> (a bucket's, or a learned entry's) load into reg1, or null. OVS
    /// reads a whole-register load back as set_field, so both forms count.</summary>
    public static uint? TagOf(IEnumerable<OfpAction> actions)
    {
        uint? tag = null;
        foreach (var a in actions)
        {
            if (a is RegLoadAction l && l.Dst.Ref.Field?.Id == BackendRegister) tag = (uint)l.Value;
            else if (a is SetFieldAction f && f.Field.Field?.Id == BackendRegister) tag = (uint)f.Field.Value;
        }
        return tag;
    }

    /// <summary>The backend of <paramref name="s"/> whose tag is <paramref name="tag"/>, or null (none, or two sharing it).</summary>
    public static BackendConfig? BackendOf(ServiceConfig s, uint tag)
    {
        var found = s.Backends.Where(b => BackendTag(s, b) == tag).Take(2).ToList();
        return found.Count == 1 ? found[0] : null;
    }

    /// <summary>True when the service names backends through reg1 and <c>pick</c> (NAT modes, or persistence on).</summary>
    public static bool Picks(ServiceConfig s) => s.IsNat || s.Persistence == Persistence.Connection || s.AffinityTimeout is not null;

    /// <summary>True when the service keeps connections by learned entries (persistence on, not NAT: conntrack keeps NAT connections).</summary>
    public static bool LearnsConnections(ServiceConfig s) => !s.IsNat && s.Persistence == Persistence.Connection;

    /// <summary>A bucket that names backend <paramref name="b"/> in reg1 and continues in <c>pick</c>; watched when the backend is on a local port.</summary>
    public static BackendBucket TagBucket(ServiceConfig s, BackendConfig b, uint? watchPort = null) =>
        new([FlowParts.Load(BackendRegister, BackendTag(s, b)), FlowParts.Resubmit(Pick)], watchPort);

    /// <summary>
    /// <c>service</c> (persistence or affinity, not NAT): the VIP:port looks up the connection's learned entry, then the
    /// client's affinity entry (only while reg1 is still 0), then <c>pick</c> forwards. Exists while the
    /// service has a live backend. A TCP service that learns connections also passes <c>reuse</c> after the lookup, where a
    /// SYN that found an entry is copied to the controller to renew it (<see cref="RenewFlows"/>). While the bridge's connection cap is reached (<paramref name="capped"/>) the affinity
    /// lookup is left out: an affinity entry would name a backend for a new connection, which would then be admitted
    /// (and learned) past the cap; established connections find their own entry in <c>connections</c> first anyway.
    /// </summary>
    public static FlowEntry PersistentServiceFlow(CookieLayout c, ServiceConfig s, bool capped = false) =>
        FlowParts.Flow(c, Service, s.AllPorts ? Priority.ServiceAllPorts : Priority.ServicePort, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s),
            FlowParts.Apply([
                .. LearnsConnections(s) ? [FlowParts.Resubmit(Connections)] : Array.Empty<OfpAction>(),
                .. LearnsConnections(s) && s.Protocol == ServiceProtocol.Tcp ? [FlowParts.Resubmit(Reuse)] : Array.Empty<OfpAction>(),
                .. s.AffinityTimeout is null || capped ? Array.Empty<OfpAction>() : [FlowParts.Resubmit(Affinity)],
                FlowParts.Resubmit(Pick)]));

    /// <summary>
    /// <c>pick</c>: a packet whose reg1 names no live backend of the service (no entry yet, or an entry of a
    /// backend that has since gone) goes to the select group, whose bucket names one and comes back. Exists
    /// while the service has a live backend.
    /// </summary>
    public static FlowEntry PickGroupFlow(CookieLayout c, ServiceConfig s, uint groupId) =>
        FlowParts.Flow(c, Pick, Priority.PickGroup, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s),
            FlowParts.Apply(FlowParts.Group(groupId)));

    /// <summary>
    /// <c>pick</c>, in place of <see cref="PickGroupFlow"/> while the bridge holds <c>options.maxConnections</c> learned
    /// connection entries: a packet whose reg1 names no live backend (a new connection; or one whose backend has gone,
    /// which the new backend would reset anyway) is dropped, so nothing new is learned. Connections with an entry match
    /// their backend's flow above it and go on as before. Same match and priority as the group flow, so reaching and
    /// clearing the cap each modify one flow per service.
    /// </summary>
    public static FlowEntry CapReachedFlow(CookieLayout c, ServiceConfig s) =>
        FlowParts.Flow(c, Pick, Priority.PickGroup, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s));

    /// <summary>
    /// <c>pick</c>: reg1 = live backend <paramref name="b"/> → (re)learn the connection's entry (persistence, not
    /// NAT: conntrack keeps NAT connections) and the client's affinity entry (when configured), then
    /// <paramref name="toBackend"/>: the mode's way to the backend. One per live backend; a backend that goes
    /// away loses it, so its connections' next packets are picked anew.
    /// </summary>
    public static FlowEntry PickBackendFlow(CookieLayout c, ServiceConfig s, BackendConfig b, ushort connectionIdle, params OfpAction[] toBackend)
    {
        var actions = new List<OfpAction>();
        if (LearnsConnections(s)) actions.Add(LearnConnection(c, s, b, connectionIdle));
        if (s.AffinityTimeout is ushort t) actions.Add(LearnAffinity(c, s, t));
        actions.AddRange(toBackend);
        return FlowParts.Flow(c, Pick, Priority.PickBackend, FlowFeature.Service, BackendTag(s, b),
            FlowParts.VipMatch(s, FlowParts.Reg(BackendRegister, BackendTag(s, b))),
            FlowParts.Apply(actions.ToArray()));
    }

    /// <summary>
    /// The connection's entry in <c>connections</c>: its 5-tuple keeps reg1's backend until it has been idle
    /// <paramref name="idle"/> seconds, or <see cref="FinIdleTimeout"/> seconds after the client's FIN or RST.
    /// The cookie carries the backend's tag, so one backend's entries can be found (and deleted) by cookie.
    /// </summary>
    private static LearnAction LearnConnection(CookieLayout c, ServiceConfig s, BackendConfig b, ushort idle)
    {
        bool tcp = s.Protocol == ServiceProtocol.Tcp;
        return new LearnAction
        {
            TableId = Connections.Id,
            Priority = Priority.ConnectionLearned,
            IdleTimeout = idle,
            FinIdleTimeout = tcp ? FinIdleTimeout : (ushort)0,
            Cookie = c.Make(CookieLayout.LearnedFeature, BackendTag(s, b)),
            Specs =
            [
                LearnSpec.MatchValue(MfId.EthType, s.IsIpv6 ? EtherType.IPv6 : EtherType.IPv4),
                LearnSpec.MatchValue(MfId.IpProto, tcp ? IpProtocol.Tcp : IpProtocol.Udp),
                LearnSpec.Match(s.IsIpv6 ? MfId.Ipv6Src : MfId.Ipv4Src),
                LearnSpec.Match(s.IsIpv6 ? MfId.Ipv6Dst : MfId.Ipv4Dst),
                LearnSpec.Match(tcp ? MfId.TcpSrc : MfId.UdpSrc),
                LearnSpec.Match(tcp ? MfId.TcpDst : MfId.UdpDst),
                LearnSpec.Load(BackendRegister, BackendRegister),
            ],
        };
    }

    /// <summary>
    /// The client's affinity entry in <c>affinity</c>: this client IP to this VIP:port keeps reg1's backend for
    /// <paramref name="timeout"/> seconds without a new connection. It matches reg1 = 0, so it never overrides a
    /// connection's own entry: clients opening connections in parallel (each overwriting the entry) move none.
    /// </summary>
    private static LearnAction LearnAffinity(CookieLayout c, ServiceConfig s, ushort timeout)
    {
        var specs = new List<LearnSpec>
        {
            LearnSpec.MatchValue(MfId.EthType, s.IsIpv6 ? EtherType.IPv6 : EtherType.IPv4),
            LearnSpec.MatchValue(MfId.IpProto, s.Protocol == ServiceProtocol.Tcp ? IpProtocol.Tcp : IpProtocol.Udp),
            LearnSpec.MatchValue(BackendRegister, 0),
            LearnSpec.Match(s.IsIpv6 ? MfId.Ipv6Src : MfId.Ipv4Src),
            s.Vip is Ipv4Address v4 ? LearnSpec.MatchValue(MfId.Ipv4Dst, v4.Value) : LearnSpec.MatchValue(MfId.Ipv6Dst, s.Vip6!.Value.Value),
        };
        if (s.Port is ushort p) specs.Add(LearnSpec.MatchValue(s.Protocol == ServiceProtocol.Tcp ? MfId.TcpDst : MfId.UdpDst, p));
        specs.Add(LearnSpec.Load(BackendRegister, BackendRegister));
        return new LearnAction
        {
            TableId = Affinity.Id,
            Priority = Priority.AffinityLearned,
            IdleTimeout = timeout,
            Cookie = c.Make(CookieLayout.LearnedFeature, StableId.Of(s.Name)),
            Specs = specs.ToArray(),
        };
    }

}
