using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Balancer;

/// <summary>The packets the controller itself sends through PACKET_OUT: ARP probes and announcements.</summary>
public static class ProbePackets
{
    /// <summary>
    /// "Who has <paramref name="target"/>?" from the LB MAC with sender IP 0.0.0.0 (an RFC 5227 probe, so
    /// no neighbour caches an address for the LB MAC). The answer comes back to the LB MAC: a gateway's
    /// is learned in the datapath, a backend's goes to the controller when ARP health checks are on.
    /// Sent out of <paramref name="outPort"/> (the uplink) or flooded when there is none.
    /// </summary>
    public static PacketOut ArpProbe(MacAddress lbMac, Ipv4Address target, uint? outPort)
    {
        var frame = new byte[42];
        int n = ArpPacket.Request(frame, lbMac, Ipv4Address.Any, target);
        return Out(frame.AsSpan(0, n), outPort);
    }

    /// <summary>A gratuitous ARP: <paramref name="ip"/> is at <paramref name="mac"/> (sent once a plan that changes a port group's master is committed).</summary>
    public static PacketOut Gratuitous(MacAddress mac, Ipv4Address ip, uint? outPort)
    {
        var frame = new byte[42];
        int n = ArpPacket.Gratuitous(frame, mac, ip);
        return Out(frame.AsSpan(0, n), outPort);
    }

    private static PacketOut Out(ReadOnlySpan<byte> frame, uint? outPort) => new()
    {
        InPort = OfctlFormat.Ports.Controller,
        Actions = [new OutputAction(outPort ?? OfctlFormat.Ports.Flood)],
        Data = new Bytes(frame.ToArray()),
    };
}
