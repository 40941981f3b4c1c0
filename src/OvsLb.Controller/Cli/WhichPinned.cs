using System.Text;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.Pipeline.Hashing;
using OvsLb.State;

namespace OvsLb.Controller.Cli;

/// <summary>
/// What keeps an established connection on its backend, for <c>ovslb which --switch</c>: the group's choice in
/// the rest of the answer is what a <em>new</em> connection meets; an established one follows its learned entry
/// (table 21, persistence in the stateless modes), its client's affinity entry (table 23), or its conntrack entry
/// (NAT modes, which OpenFlow cannot read: the answer gives the command that can).
/// </summary>
internal static class WhichPinned
{
    public static void Append(StringBuilder sb, DebugPlan dp, FlowPlacement p)
    {
        if (p.Service?.Service is not ServiceConfig s || !PickFlows.Picks(s)) return;
        var t = p.Tuple;
        if (s.IsNat)
        {
            sb.Append("pinned:   by the connection tracker (zone ").Append(dp.Config.Options.ConntrackZone)
              .Append("), which OpenFlow cannot read; on the switch's host: ovs-appctl dpctl/dump-conntrack zone=").Append(dp.Config.Options.ConntrackZone)
              .Append(" | grep 'src=").Append(t.Source).Append(",dst=").Append(t.Destination).Append(",sport=").Append(t.SourcePort).Append(",dport=").Append(t.DestinationPort).Append("'\n");
        }
        if (dp.Switch is not SwitchSnapshot sw)
        {
            if (!s.IsNat) sb.Append("pinned:   give --switch to read the connection's learned entry (table ").Append(LbPipeline.Connections.Id).Append(")\n");
            return;
        }
        if (PickFlows.LearnsConnections(s))
        {
            var entry = sw.Installed.Flows.Values.FirstOrDefault(f => f.TableId == LbPipeline.Connections.Id && Is(f.Match, t, withSourcePort: true));
            sb.Append("pinned:   ").Append(entry is null
                ? $"no entry in table {LbPipeline.Connections.Id}: not an established connection; the group above decides"
                : $"table {LbPipeline.Connections.Id} learned entry → {Backend(s, entry)} (established connections keep it whatever the group says)").Append('\n');
        }
        if (s.AffinityTimeout is not null)
        {
            var entry = sw.Installed.Flows.Values.FirstOrDefault(f => f.TableId == LbPipeline.Affinity.Id && Is(f.Match, t, withSourcePort: false));
            sb.Append("affinity: ").Append(entry is null
                ? $"no entry for {t.Source} in table {LbPipeline.Affinity.Id}"
                : $"{t.Source} → {Backend(s, entry)} (table {LbPipeline.Affinity.Id}, for its new connections)").Append('\n');
        }
    }

    /// <summary>True when a learned entry's match is this connection (or, without the source port, this client and VIP:port).</summary>
    private static bool Is(OfpMatch m, FiveTuple t, bool withSourcePort)
    {
        ulong? V(MfId id) => m.Fields.FirstOrDefault(e => e.Field?.Id == id) is { } e && e.Field is not null ? (ulong)e.Value : null;
        bool tcp = t.Protocol == IpProtocol.Tcp;
        return V(MfId.IpProto) == t.Protocol && V(MfId.Ipv4Src) == t.Source.Value && V(MfId.Ipv4Dst) == t.Destination.Value
            && (!withSourcePort || V(tcp ? MfId.TcpSrc : MfId.UdpSrc) == t.SourcePort)
            && (V(tcp ? MfId.TcpDst : MfId.UdpDst) is not ulong d || d == t.DestinationPort); // an all-ports service's entry has none
    }

    /// <summary>The backend a learned entry's reg1 names, or its tag when none of the service's has it.</summary>
    private static string Backend(ServiceConfig s, FlowEntry f)
    {
        if (PickFlows.TagOf(f.Instructions.OfType<ActionsInstruction>().SelectMany(i => i.Actions)) is not uint v) return "no backend (the entry loads no reg1)";
        return PickFlows.BackendOf(s, v) is { } b
            ? $"{b.Name} (reg1=0x{v:x8})"
            : $"reg1=0x{v:x8}, a backend no longer in the service (its next packet is picked anew)";
    }
}
