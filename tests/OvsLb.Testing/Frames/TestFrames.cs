using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;
using OvsLb.OpenFlow.Packets;
using ArpOperation = PacketDotNet.ArpOperation;
using Ipv4Address = OvsLb.OpenFlow.Packets.Ipv4Address;
using Ipv6Address = OvsLb.OpenFlow.Packets.Ipv6Address;
using MacAddress = OvsLb.OpenFlow.Packets.MacAddress;

namespace OvsLb.Testing.Frames;

/// <summary>
/// Frames the tests and the harness send or compare, built with PacketDotNet (lengths and checksums are
/// its own). Exactness against Open vSwitch is asserted in OvsComposedFrameTests (`ovs-ofctl compose-packet`).
/// </summary>
public static class TestFrames
{
    /// <summary>An ARP request "who has <paramref name="tpa"/>", broadcast.</summary>
    public static byte[] ArpRequest(MacAddress sha, Ipv4Address spa, Ipv4Address tpa, VlanTag? vlan = null) =>
        Arp(ArpOperation.Request, MacAddress.Broadcast, sha, spa, MacAddress.Zero, tpa, vlan);

    /// <summary>An ARP reply "<paramref name="spa"/> is at <paramref name="sha"/>", sent to <paramref name="tha"/>.</summary>
    public static byte[] ArpReply(MacAddress sha, Ipv4Address spa, MacAddress tha, Ipv4Address tpa, VlanTag? vlan = null) =>
        Arp(ArpOperation.Response, tha, sha, spa, tha, tpa, vlan);

    /// <summary>A gratuitous ARP: a broadcast request whose sender and target IPs are both <paramref name="ip"/>.</summary>
    public static byte[] ArpGratuitous(MacAddress mac, Ipv4Address ip, VlanTag? vlan = null) =>
        Arp(ArpOperation.Request, MacAddress.Broadcast, mac, ip, MacAddress.Zero, ip, vlan);

    private static byte[] Arp(ArpOperation op, MacAddress ethDst, MacAddress sha, Ipv4Address spa, MacAddress tha, Ipv4Address tpa, VlanTag? vlan) =>
        Ethernet(new EthernetHeader(ethDst, sha, vlan), EthernetType.Arp, new ArpPacket(op, Phys(tha), Ip(tpa), Phys(sha), Ip(spa)));

    /// <summary>An IPv4 TCP segment (20-byte header) carrying <paramref name="payload"/>.</summary>
    public static byte[] Tcp(in EthernetHeader eth, in Ipv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> payload = default) =>
        V4(eth, ip, ProtocolType.Tcp, Segment(tcp, payload));

    /// <summary>An IPv6 TCP segment (20-byte header) carrying <paramref name="payload"/>.</summary>
    public static byte[] Tcp(in EthernetHeader eth, in Ipv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> payload = default) =>
        V6(eth, ip, ProtocolType.Tcp, Segment(tcp, payload));

    /// <summary>An IPv4 UDP datagram.</summary>
    public static byte[] Udp(in EthernetHeader eth, in Ipv4Header ip, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload) =>
        V4(eth, ip, ProtocolType.Udp, new UdpPacket(srcPort, dstPort) { PayloadData = payload.ToArray() });

    /// <summary>An IPv6 UDP datagram.</summary>
    public static byte[] Udp(in EthernetHeader eth, in Ipv6Header ip, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload) =>
        V6(eth, ip, ProtocolType.Udp, new UdpPacket(srcPort, dstPort) { PayloadData = payload.ToArray() });

    /// <summary>An ICMP echo request (<paramref name="reply"/> false) or reply.</summary>
    public static byte[] IcmpEcho(in EthernetHeader eth, in Ipv4Header ip, bool reply, ushort id, ushort seq, ReadOnlySpan<byte> data = default)
    {
        var bytes = new byte[8 + data.Length];
        data.CopyTo(bytes.AsSpan(8));
        var icmp = new IcmpV4Packet(new ByteArraySegment(bytes))
        {
            TypeCode = reply ? IcmpV4TypeCode.EchoReply : IcmpV4TypeCode.EchoRequest, Id = id, Sequence = seq,
        };
        return V4(eth, ip, ProtocolType.Icmp, icmp);
    }

    /// <summary>An ICMPv6 echo request (<paramref name="reply"/> false) or reply.</summary>
    public static byte[] Icmpv6Echo(in EthernetHeader eth, in Ipv6Header ip, bool reply, ushort id, ushort seq, ReadOnlySpan<byte> data = default)
    {
        var body = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(6), seq);
        data.CopyTo(body.AsSpan(8));
        return Icmpv6Frame(eth, ip, reply ? IcmpV6Type.EchoReply : IcmpV6Type.EchoRequest, body);
    }

    /// <summary>An RFC 4861 neighbour solicitation for <paramref name="target"/>, to its solicited-node group; no source link-layer option from ::.</summary>
    public static byte[] NeighborSolicitation(MacAddress srcMac, Ipv6Address srcIp, Ipv6Address target, VlanTag? vlan = null)
    {
        var group = target.SolicitedNode;
        bool option = srcIp != Ipv6Address.Any;
        return Icmpv6Frame(new EthernetHeader(MacAddress.ForIpv6Multicast(group), srcMac, vlan), new Ipv6Header(srcIp, group, HopLimit: 255),
            IcmpV6Type.NeighborSolicitation, NdBody(0, target, option ? (byte)1 : (byte)0, srcMac));
    }

    /// <summary>An RFC 4861 neighbour advertisement of <paramref name="srcIp"/> with a target link-layer option.</summary>
    public static byte[] NeighborAdvertisement(MacAddress srcMac, Ipv6Address srcIp, MacAddress dstMac, Ipv6Address dstIp,
        NdAdvertFlags flags = NdAdvertFlags.Solicited | NdAdvertFlags.Override, VlanTag? vlan = null) =>
        Icmpv6Frame(new EthernetHeader(dstMac, srcMac, vlan), new Ipv6Header(srcIp, dstIp, HopLimit: 255),
            IcmpV6Type.NeighborAdvertisement, NdBody((uint)flags, srcIp, 2, srcMac));

    /// <summary>The bytes after the ICMPv6 type/code/checksum: the flags word, the target and one link-layer option.</summary>
    private static byte[] NdBody(uint word, Ipv6Address target, byte optionType, MacAddress optionMac)
    {
        var b = new byte[optionType != 0 ? 32 : 24];
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), word);
        target.Write(b.AsSpan(8));
        if (optionType != 0)
        {
            b[24] = optionType;
            b[25] = 1;
            optionMac.Write(b.AsSpan(26));
        }
        return b;
    }

    /// <summary>
    /// The ICMPv6 message as the IPv6 payload, with its checksum from PacketDotNet's one's-complement sum over
    /// the RFC 8200 pseudo-header. Not PacketDotNet's IcmpV6Packet: in 1.4.8 its checksum is not the one OVS
    /// composes and a neighbour solicitation or advertisement comes out 4 bytes long (OvsComposedFrameTests showed both).
    /// </summary>
    private static byte[] Icmpv6Frame(in EthernetHeader eth, in Ipv6Header h, IcmpV6Type type, byte[] body)
    {
        body[0] = (byte)type;
        body[2] = body[3] = 0;
        var pseudo = new byte[40 + body.Length];
        h.Source.Write(pseudo);
        h.Destination.Write(pseudo.AsSpan(16));
        BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)body.Length);
        pseudo[39] = (byte)ProtocolType.IcmpV6;
        body.CopyTo(pseudo, 40);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), (ushort)ChecksumUtils.OnesComplementSum(pseudo, 0, pseudo.Length));   // already complemented
        var ip = new IPv6Packet(Ip(h.Source), Ip(h.Destination))
        {
            HopLimit = h.HopLimit, TrafficClass = h.TrafficClass, FlowLabel = (int)h.FlowLabel, NextHeader = ProtocolType.IcmpV6, PayloadData = body,
            PayloadLength = (ushort)body.Length,   // UpdateCalculatedValues counts only a payload packet, not payload data
        };
        return Ethernet(eth, EthernetType.IPv6, ip);
    }

    private static TcpPacket Segment(in TcpHeader t, ReadOnlySpan<byte> payload) => new(t.SourcePort, t.DestinationPort)
    {
        SequenceNumber = t.Sequence, AcknowledgmentNumber = t.Acknowledgment, Flags = (ushort)t.Flags,
        WindowSize = t.Window, UrgentPointer = t.UrgentPointer, PayloadData = payload.ToArray(),
    };

    private static byte[] V4(in EthernetHeader eth, in Ipv4Header h, ProtocolType proto, TransportOrIcmp l4)
    {
        var ip = new IPv4Packet(Ip(h.Source), Ip(h.Destination))
        {
            TimeToLive = h.Ttl, TypeOfService = h.Tos, Id = h.Identification, FragmentFlags = h.DontFragment ? (byte)2 : (byte)0,
            Protocol = proto, PayloadPacket = l4.Packet,
        };
        ip.UpdateCalculatedValues();
        l4.UpdateChecksum();
        ip.UpdateIPChecksum();
        return Ethernet(eth, EthernetType.IPv4, ip);
    }

    private static byte[] V6(in EthernetHeader eth, in Ipv6Header h, ProtocolType next, TransportOrIcmp l4)
    {
        var ip = new IPv6Packet(Ip(h.Source), Ip(h.Destination))
        {
            HopLimit = h.HopLimit, TrafficClass = h.TrafficClass, FlowLabel = (int)h.FlowLabel, NextHeader = next, PayloadPacket = l4.Packet,
        };
        ip.UpdateCalculatedValues();
        l4.UpdateChecksum();
        return Ethernet(eth, EthernetType.IPv6, ip);
    }

    /// <summary>The transport packet and the PacketDotNet call that fills in its checksum once it has its IP parent.</summary>
    private readonly record struct TransportOrIcmp(Packet Packet, Action UpdateChecksum)
    {
        public static implicit operator TransportOrIcmp(TcpPacket p) => new(p, p.UpdateTcpChecksum);
        public static implicit operator TransportOrIcmp(UdpPacket p) => new(p, p.UpdateUdpChecksum);
        public static implicit operator TransportOrIcmp(IcmpV4Packet p) => new(p, p.UpdateIcmpChecksum);
    }

    private static byte[] Ethernet(in EthernetHeader eth, EthernetType type, Packet payload)
    {
        if (eth.Vlan is not { } tag)
        {
            return new EthernetPacket(Phys(eth.Source), Phys(eth.Destination), type) { PayloadPacket = payload }.Bytes;
        }
        // PacketDotNet makes a tag only from bytes: an empty TCI and the inner EtherType, then the payload it carries.
        // The payload goes back in as bytes: re-parsed, PacketDotNet 1.4.8 writes a neighbour advertisement 4 bytes longer.
        byte[] inner = payload.Bytes;
        var q = new Ieee8021QPacket(new ByteArraySegment([0, 0, (byte)((int)type >> 8), (byte)type, .. inner]))
        {
            VlanIdentifier = tag.Vid, PriorityControlPoint = (IeeeP8021PPriority)tag.Pcp, PayloadData = inner,
        };
        return new EthernetPacket(Phys(eth.Source), Phys(eth.Destination), (EthernetType)tag.Tpid) { PayloadPacket = q }.Bytes;
    }

    private static PhysicalAddress Phys(MacAddress m)
    {
        var b = new byte[6];
        m.Write(b);
        return new PhysicalAddress(b);
    }

    private static IPAddress Ip(Ipv4Address a)
    {
        var b = new byte[4];
        a.Write(b);
        return new IPAddress(b);
    }

    private static IPAddress Ip(Ipv6Address a)
    {
        var b = new byte[16];
        a.Write(b);
        return new IPAddress(b);
    }
}
