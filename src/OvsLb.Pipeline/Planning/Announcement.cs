using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Planning;

/// <summary>A gratuitous ARP to send once a plan is committed: a port group's VIP now reaches another server.</summary>
/// <param name="Service">The port-group service whose master changed.</param>
/// <param name="OldMaster">The master the committed plan had.</param>
/// <param name="NewMaster">The master of the new plan.</param>
/// <param name="Mac">The MAC announced (the bridge's LB MAC).</param>
/// <param name="Ip">The IP announced (the service's VIP).</param>
/// <param name="OutPort">Where to send it: the uplink, or null to flood.</param>
public sealed record Announcement(string Service, string OldMaster, string NewMaster, MacAddress Mac, Ipv4Address Ip, uint? OutPort);
