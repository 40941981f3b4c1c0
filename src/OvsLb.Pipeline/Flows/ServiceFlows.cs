using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Groups;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>Flows of the <c>service</c> table and the buckets of the services' select groups.</summary>
public static class ServiceFlows
{
    /// <summary>
    /// <c>classify</c>: IPv4 addressed to this bridge's LB MAC (the MAC its ARP flows hand out for the
    /// VIPs) goes to <c>service</c>. Matching the LB MAC, not just the VIP, keeps a packet that a bucket
    /// already sent to a backend (direct mode keeps ip_dst = VIP) from being balanced again by the next
    /// bridge on its way.
    /// </summary>
    public static FlowEntry ClassifyToServiceFlow(CookieLayout cookies, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyToService, FlowFeature.Default, 0,
            FlowParts.Match(FlowParts.EthDst(lbMac), FlowParts.EthType(EtherType.IPv4)), FlowParts.Goto(Service));

    /// <summary>
    /// The service's entry: its VIP, protocol and port (or every port) → its select group, which picks
    /// a backend per flow by the datapath's dp_hash (OVS 3.1: a symmetric hash of the addresses and TCP ports; UDP ports
    /// are not hashed, see Hashing/OvsDpHash.cs). Exists while the service has a live backend
    /// on this bridge.
    /// </summary>
    public static FlowEntry ServiceFlow(CookieLayout cookies, ServiceConfig service, uint groupId) =>
        FlowParts.Flow(cookies, Service, service.AllPorts ? Priority.ServiceAllPorts : Priority.ServicePort, FlowFeature.Service, StableId.Of(service.Name),
            FlowParts.VipMatch(service),
            FlowParts.Apply(FlowParts.Group(groupId)));

    /// <summary>
    /// Port-group mode: IPv4 to the shared VIP that no service port matches (ICMP, other
    /// ports) goes to the master server, the one the VIP's ARP entry stands for. Exists while the port
    /// group has a live server; moves when the master's port goes down.
    /// </summary>
    public static FlowEntry PortGroupMasterFlow(CookieLayout cookies, ServiceConfig service, MacAddress groupMac, MacAddress masterMac, uint masterPort) =>
        FlowParts.Flow(cookies, Service, Priority.PortGroupMaster, FlowFeature.PortGroup, StableId.Of(service.Name),
            FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpDst(service.Ipv4Vip)),
            FlowParts.Apply(FlowParts.SetEthSrc(groupMac), FlowParts.SetEthDst(masterMac), FlowParts.Output(masterPort)));

    /// <summary>Other traffic to the LB MAC has nowhere to go: dropped (visible in this flow's counters).</summary>
    public static FlowEntry ServiceDefaultFlow(CookieLayout cookies) =>
        FlowParts.Flow(cookies, Service, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any);

    /// <summary>
    /// Direct mode bucket: the backend's real MAC, then its port when the backend's switch port is on
    /// this bridge (watched, so OVS skips the bucket while the port is down), else NORMAL switching. The
    /// backend holds the VIP on a non-ARP interface and answers the client directly.
    /// </summary>
    public static BackendBucket DirectBucket(MacAddress backendMac, uint? localPort) =>
        new([FlowParts.SetEthDst(backendMac), localPort is uint p ? FlowParts.Output(p) : FlowParts.Normal], localPort);

    /// <summary>
    /// Translate mode bucket: the fake MAC that encodes the backend's IPv4 address, then the
    /// <c>translate</c> table, which turns it back into ip_dst and finds the next hop.
    /// </summary>
    public static BackendBucket TranslateBucket(MacAddress fakeMac) =>
        new([FlowParts.SetEthDst(fakeMac), FlowParts.Resubmit(Translate)]);

    /// <summary>
    /// Port-group bucket: the server's MAC, the group MAC as source (so the server replies to
    /// the switch), out of the server's port, which is watched.
    /// </summary>
    public static BackendBucket PortGroupBucket(MacAddress groupMac, MacAddress serverMac, uint port) =>
        new([FlowParts.SetEthSrc(groupMac), FlowParts.SetEthDst(serverMac), FlowParts.Output(port)], port);

    /// <summary>The destination MAC a bucket sets (how a group read back from the switch names its backends).</summary>
    public static MacAddress? BucketEthDst(IEnumerable<OfpAction> actions)
    {
        foreach (var a in actions)
        {
            if (a is SetFieldAction { Field: var f } && f.Field?.Id == MfId.EthDst) return new MacAddress((ulong)f.Value);
        }
        return null;
    }
}
