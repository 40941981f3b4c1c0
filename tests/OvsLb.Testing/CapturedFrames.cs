using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace OvsLb.Testing;

/// <summary>
/// Typed views of a captured Ethernet frame for test assertions (PacketDotNet does the decoding), and a
/// one-line description of it for test logs.
/// </summary>
public static class CapturedFrames
{
    /// <summary>The frame's IPv4 packet, or null.</summary>
    public static IPv4Packet? Ipv4(this EthernetPacket frame) => frame.PayloadPacket as IPv4Packet;

    /// <summary>The frame's TCP segment (over IPv4), or null.</summary>
    public static TcpPacket? Tcp(this EthernetPacket frame) => frame.Ipv4()?.PayloadPacket as TcpPacket;

    /// <summary>The frame's ARP packet, or null.</summary>
    public static ArpPacket? Arp(this EthernetPacket frame) => frame.PayloadPacket as ArpPacket;

    /// <summary>Whether <paramref name="address"/> is the MAC written <paramref name="mac"/> (aa:bb:…).</summary>
    public static bool Is(this PhysicalAddress address, string mac) => address.Equals(PhysicalAddress.Parse(mac));

    /// <summary>Whether <paramref name="address"/> is the IP written <paramref name="ip"/>.</summary>
    public static bool Is(this IPAddress address, string ip) => address.Equals(IPAddress.Parse(ip));

    /// <summary>A SYN-ACK: SYN and ACK set, no FIN or RST.</summary>
    public static bool IsSynAck(this TcpPacket tcp) => tcp is { Synchronize: true, Acknowledgment: true, Finished: false, Reset: false };

    /// <summary>An ARP request whose sender and target are both <paramref name="ip"/>: a gratuitous ARP announcing it.</summary>
    public static bool IsGratuitousRequestFor(this ArpPacket arp, string ip) =>
        arp.Operation == ArpOperation.Request && arp.SenderProtocolAddress.Is(ip) && arp.TargetProtocolAddress.Is(ip);

    /// <summary>"SRC_MAC > DST_MAC, …" in the spirit of <c>tcpdump -nn -e</c>, for logs (never parsed).</summary>
    public static string Describe(EthernetPacket frame)
    {
        string link = $"{Mac(frame.SourceHardwareAddress)} > {Mac(frame.DestinationHardwareAddress)}, ";
        return frame.PayloadPacket switch
        {
            IPv4Packet { PayloadPacket: TcpPacket t } ip =>
                link + $"IPv4 {ip.SourceAddress}.{t.SourcePort} > {ip.DestinationAddress}.{t.DestinationPort}: TCP [{TcpFlags(t)}] seq {t.SequenceNumber}",
            IPv4Packet { PayloadPacket: UdpPacket u } ip =>
                link + $"IPv4 {ip.SourceAddress}.{u.SourcePort} > {ip.DestinationAddress}.{u.DestinationPort}: UDP length {u.Length}",
            IPv4Packet ip => link + $"IPv4 {ip.SourceAddress} > {ip.DestinationAddress}: {ip.Protocol}",
            ArpPacket a => link + $"ARP {a.Operation} {a.SenderProtocolAddress} ({Mac(a.SenderHardwareAddress)}) asks/tells {a.TargetProtocolAddress}",
            _ => link + $"ethertype {frame.Type}",
        };
    }

    private static string Mac(PhysicalAddress a) => string.Join(':', a.GetAddressBytes().Select(b => b.ToString("x2")));

    private static string TcpFlags(TcpPacket t) =>
        (t.Synchronize ? "S" : "") + (t.Finished ? "F" : "") + (t.Reset ? "R" : "") + (t.Push ? "P" : "") + (t.Acknowledgment ? "." : "");
}
