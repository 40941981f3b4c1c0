using PacketDotNet;
using PacketDotNet.Utils;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using static OvsLb.Balancer.PacketAddresses;
using Ipv4Address = OvsLb.OpenFlow.Packets.Ipv4Address;
using MacAddress = OvsLb.OpenFlow.Packets.MacAddress;

namespace OvsLb.Balancer;

/// <summary>
/// The packets the controller itself sends through PACKET_OUT (ARP probes and announcements, RFC 826 / RFC 5227),
/// and the reading of the ARP replies that answer them; both with PacketDotNet. Frames are not padded to the
/// 60-byte Ethernet minimum (42 bytes); the switch pads when it transmits.
/// </summary>
public static class ProbePackets
{
    /// <summary>Most 802.1Q/802.1ad tags read before the ARP header, as OVS parses (FLOW_MAX_VLAN_HEADERS).</summary>
    private const int MaxVlanHeaders = 2;

    /// <summary>
    /// "Who has <paramref name="target"/>?" from the LB MAC with sender IP 0.0.0.0 (an RFC 5227 probe, so
    /// no neighbour caches an address for the LB MAC). The answer comes back to the LB MAC: a gateway's
    /// is learned in the datapath, a backend's goes to the controller when ARP health checks are on.
    /// Sent out of <paramref name="outPort"/> (the uplink) or flooded when there is none.
    /// </summary>
    public static PacketOut ArpProbe(MacAddress lbMac, Ipv4Address target, uint? outPort) =>
        Out(ArpProbeFrame(lbMac, target), outPort);

    /// <summary>A gratuitous ARP: <paramref name="ip"/> is at <paramref name="mac"/> (sent once a plan that changes a port group's master is committed).</summary>
    public static PacketOut Gratuitous(MacAddress mac, Ipv4Address ip, uint? outPort) =>
        Out(GratuitousFrame(mac, ip), outPort);

    /// <summary>The frame of <see cref="ArpProbe"/>: a broadcast request, sender <paramref name="lbMac"/>/0.0.0.0, target 00:00:00:00:00:00/<paramref name="target"/>.</summary>
    public static byte[] ArpProbeFrame(MacAddress lbMac, Ipv4Address target) =>
        Request(lbMac, Ipv4Address.Any, target);

    /// <summary>The frame of <see cref="Gratuitous"/>: a broadcast request whose sender and target IPs are both <paramref name="ip"/>.</summary>
    public static byte[] GratuitousFrame(MacAddress mac, Ipv4Address ip) =>
        Request(mac, ip, ip);

    /// <summary>
    /// Reads an Ethernet/IPv4 ARP reply (after up to two VLAN tags) from a packet-in's data: its sender IP and MAC.
    /// False for anything else: another frame, another ARP operation, a hardware or protocol type that is not
    /// Ethernet/IPv4, or an ARP header cut short.
    /// </summary>
    public static bool TryReadArpReply(ReadOnlySpan<byte> frame, out Ipv4Address senderIp, out MacAddress senderMac)
    {
        senderIp = default;
        senderMac = default;
        try
        {
            Packet? p = new EthernetPacket(new ByteArraySegment(frame.ToArray())).PayloadPacket;
            for (int tags = 0; p is Ieee8021QPacket tag && tags < MaxVlanHeaders; tags++) p = tag.PayloadPacket;
            if (p is not ArpPacket arp || arp.Operation != ArpOperation.Response) return false;
            if (arp.HardwareAddressType != LinkLayers.Ethernet || arp.ProtocolAddressType != EthernetType.IPv4) return false;
            if (arp.HardwareAddressLength != 6 || arp.ProtocolAddressLength != 4) return false;
            // PacketDotNet reads a cut-short header's fields from past the frame's end (as zeros or garbage).
            if (arp.HeaderSegment.Offset + arp.HeaderSegment.Length > frame.Length) return false;
            senderIp = ToIpv4(arp.SenderProtocolAddress);
            senderMac = ToMac(arp.SenderHardwareAddress);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException or NullReferenceException)
        {
            return false;
        }
    }

    private static byte[] Request(MacAddress sha, Ipv4Address spa, Ipv4Address tpa)
    {
        var from = ToPhysical(sha);
        var arp = new ArpPacket(ArpOperation.Request, ToPhysical(MacAddress.Zero), ToIp(tpa), from, ToIp(spa));
        return new EthernetPacket(from, ToPhysical(MacAddress.Broadcast), EthernetType.Arp) { PayloadPacket = arp }.Bytes;
    }

    private static PacketOut Out(byte[] frame, uint? outPort) => new()
    {
        InPort = OfctlFormat.Ports.Controller,
        Actions = [new OutputAction(outPort ?? OfctlFormat.Ports.Flood)],
        Data = new Bytes(frame),
    };
}
