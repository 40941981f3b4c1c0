using OvsLb.OpenFlow.Messages.Nicira;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;

namespace OvsLb.Pipeline.Planning;

/// <summary>
/// Conntrack entries to flush once a plan is committed: a NAT backend stopped being live (down, removed,
/// or its address changed), so its connections must not keep being translated to it. Without the
/// flush a UDP flow's entry would keep sending it to the dead backend (the stale-entry black hole of
/// OVN and Antrea); with it, the flow's next packet is new and picks a live backend. So does a TCP
/// connection's next packet (OVS's userspace tracker takes a mid-stream segment as new): the live backend it
/// lands on does not know the connection and answers with a reset, which ends it at the client at once
/// (measured: every flushed connection's next request got ECONNRESET, the others kept talking).
/// </summary>
/// <param name="Service">The service the backend belonged to.</param>
/// <param name="Backend">The backend's name.</param>
/// <param name="Zone">The conntrack zone (each backend gets a second flush for the SNAT zone: fullnat's connections
/// and nat's hairpinned ones have an entry there).</param>
/// <param name="IpProto">The service's protocol (6 or 17).</param>
/// <param name="Ip">The backend's IP: the source of the entries' reply direction.</param>
/// <param name="Port">The backend's port (the reply's source port), or null for any.</param>
public sealed record ConnectionFlush(string Service, string Backend, ushort Zone, byte IpProto, Ipv4Address Ip, ushort? Port)
{
    /// <summary>The NXT_CT_FLUSH: in <see cref="Zone"/>, entries whose reply comes from Ip[:Port] over IpProto.</summary>
    public CtFlush Message => CtFlush.Create(IpProto, null, new CtTuple(CtTuple.MapIPv4(Ip.Value), SrcPort: Port ?? 0), Zone);

    /// <summary>What the log says: <c>zone 64256, replies from 10.0.0.2:8080/tcp</c>.</summary>
    public override string ToString() =>
        $"zone {Zone}, replies from {Ip}{(Port is ushort p ? ":" + p : "")}/{(IpProto == IpProtocol.Tcp ? "tcp" : "udp")}";

    /// <summary>
    /// The flushes a move from <paramref name="committed"/> to <paramref name="next"/> needs: every backend of a
    /// NAT service that <paramref name="committed"/> had live and <paramref name="next"/> has not (by name and
    /// address). Before a first commit (a new controller, or a reconnected bridge) every NAT backend that is
    /// not live is flushed: it may have died while nobody was watching.
    /// </summary>
    public static IReadOnlyList<ConnectionFlush> Between(BridgePlan? committed, BridgePlan next, LoadBalancerOptions options)
    {
        List<ConnectionFlush>? list = null;
        var before = committed?.Services.Where(s => s.Service.IsNat).ToDictionary(s => s.Service.Name, StringComparer.Ordinal);
        var after = next.Services.Where(s => s.Service.IsNat).ToDictionary(s => s.Service.Name, StringComparer.Ordinal);
        if (before is null)
        {
            foreach (var sp in after.Values)
            {
                foreach (var b in sp.Service.Backends.Where(b => !sp.LiveBackends.Contains(b))) Add(sp.Service, b);
            }
            return list ?? [];
        }
        foreach (var old in before.Values)
        {
            after.TryGetValue(old.Service.Name, out var now);
            foreach (var b in old.LiveBackends)
            {
                bool stillLive = now is not null && now.LiveBackends.Any(n => n.Name == b.Name && n.Ip == b.Ip
                    && now.Service.TargetPortOf(n) == old.Service.TargetPortOf(b) && now.Service.Protocol == old.Service.Protocol);
                if (!stillLive) Add(old.Service, b);
            }
        }
        return list ?? [];

        void Add(ServiceConfig s, BackendConfig b)
        {
            byte proto = s.Protocol == ServiceProtocol.Tcp ? IpProtocol.Tcp : IpProtocol.Udp;
            list ??= [];
            list.Add(new ConnectionFlush(s.Name, b.Name, options.ConntrackZone, proto, b.Ip!.Value, s.TargetPortOf(b)));
            // The SNAT zone holds fullnat's second entry of every connection, and nat's of hairpinned ones.
            list.Add(new ConnectionFlush(s.Name, b.Name, options.SnatZone, proto, b.Ip!.Value, s.TargetPortOf(b)));
        }
    }
}
