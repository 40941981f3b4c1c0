using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// onEmpty "reject": the flow that sends an empty service's packets to the controller, and the meter that
/// limits how many. OVS 3.1 cannot build a TCP reset or an ICMP error with OpenFlow actions (tcp_flags and
/// tcp_seq are not writable, no action makes ICMP), so, as OVN's reject does, the datapath hands the packet
/// to the controller and the controller answers it with a PACKET_OUT.
/// </summary>
public static class RejectFlows
{
    /// <summary>
    /// <c>service</c>: the VIP, protocol and port of a service with no live backend on this bridge and
    /// onEmpty "reject" → meter (rate limit), then the controller, which answers TCP with a reset and UDP with
    /// an ICMP port unreachable. Same table, priority and match as the service's own entry, which replaces
    /// it as soon as a backend is live again. The cookie's object id names the service (<see cref="StableId"/>).
    /// </summary>
    public static FlowEntry RejectFlow(CookieLayout cookies, ServiceConfig service, uint meterId) =>
        FlowParts.Flow(cookies, Service, service.AllPorts ? Priority.ServiceAllPorts : Priority.ServicePort, FlowFeature.Reject, StableId.Of(service.Name),
            FlowParts.VipMatch(service),
            new MeterInstruction(meterId),
            FlowParts.Apply(FlowParts.Output(OfctlFormat.Ports.Controller)));

    /// <summary>
    /// The meter of the reject flows: packets per second with a drop band at <paramref name="rate"/>
    /// (<c>options.rejectRate</c>) and a burst of as many again, so a flood of connection attempts to an
    /// empty service costs the controller at most about rate × seconds + burst packet-ins. Exists on a
    /// bridge while it carries a service with onEmpty "reject".
    /// </summary>
    public static MeterEntry RejectMeter(uint meterId, uint rate) =>
        new(meterId, MeterFlags.Pktps | MeterFlags.Burst | MeterFlags.Stats, new EquatableArray<MeterBand>([MeterBand.Drop(rate, rate)]));

    /// <summary>True when the cookie is a reject flow's of this controller.</summary>
    public static bool IsReject(CookieLayout cookies, ulong cookie) => cookies.Owns(cookie) && CookieLayout.Feature(cookie) == (byte)FlowFeature.Reject;

    /// <summary>The service a reject flow's cookie names, among <paramref name="services"/>; null when none does.</summary>
    public static ServiceConfig? ServiceOf(IEnumerable<ServiceConfig> services, ulong cookie)
    {
        ulong id = CookieLayout.ObjectId(cookie);
        return services.FirstOrDefault(s => (StableId.Of(s.Name) & 0xff_ffff_ffffUL) == id);
    }
}
