using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Planning;

/// <summary>"Who has <paramref name="Gateway"/>?" from <paramref name="LbMac"/>, out of <paramref name="OutPort"/> (the uplink; null: flooded).</summary>
public sealed record GatewayProbe(MacAddress LbMac, Ipv4Address Gateway, uint? OutPort);
