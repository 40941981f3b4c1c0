using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;
using Ipv4Address = OvsLb.OpenFlow.Packets.Ipv4Address;
using MacAddress = OvsLb.OpenFlow.Packets.MacAddress;

namespace OvsLb.Balancer;

/// <summary>What a refused packet was: its protocol and addresses, as the reject counters and logs name them.</summary>
public readonly record struct RejectedPacket(string Protocol, Ipv4Address Client, ushort ClientPort, Ipv4Address Vip, ushort VipPort);

/// <summary>
/// The answers of onEmpty "reject", built with PacketDotNet from the client's packet as the reject flow sent it
/// to the controller: a TCP reset (RFC 9293 §3.10.7.1) or an ICMP port unreachable (RFC 792, RFC 1812 §4.3.2.3).
/// Pure: bytes in, bytes out; null for a packet that gets no answer (a reset, a fragment, anything malformed).
/// </summary>
public static class RejectPackets
{
    /// <summary>TTL of the answers.</summary>
    public const int Ttl = 64;

    /// <summary>
    /// The answer to <paramref name="frame"/> from the VIP at <paramref name="lbMac"/> to the client's MAC, or null
    /// with <paramref name="why"/> saying why there is none.
    /// </summary>
    public static byte[]? Answer(ReadOnlySpan<byte> frame, MacAddress lbMac, out RejectedPacket what, out string? why)
    {
        what = default;
        why = null;
        EthernetPacket eth;
        try
        {
            eth = new EthernetPacket(new ByteArraySegment(frame.ToArray()));
            if (eth.Type != EthernetType.IPv4 || eth.PayloadPacket is not IPv4Packet ip) return Fail("not IPv4", out why);
            if (ip.HeaderLength < 5 || ip.TotalLength < ip.HeaderLength * 4 || ip.TotalLength > ip.Bytes.Length) return Fail("bad IPv4 lengths", out why);
            // Only the first fragment carries the ports; a later one is not answered (nor is a broadcast source).
            if (ip.FragmentOffset != 0) return Fail("a non-first fragment", out why);
            var src = eth.SourceHardwareAddress.GetAddressBytes();
            if ((src[0] & 1) != 0) return Fail("multicast source MAC", out why);
            // RFC 1812 §4.3.2.7: no ICMP error (nor reset) to an address that names no single host.
            var from = ip.SourceAddress.GetAddressBytes();
            if (from[0] == 0 || from[0] >= 224 || from[0] == 127) return Fail($"source {ip.SourceAddress} is no single host", out why);
            var clientMac = eth.SourceHardwareAddress;
            var lb = PacketAddresses.ToPhysical(lbMac);
            return ip.Protocol switch
            {
                ProtocolType.Tcp when ip.PayloadPacket is TcpPacket tcp => Reset(ip, tcp, lb, clientMac, out what, out why),
                ProtocolType.Udp when ip.PayloadPacket is UdpPacket udp => Unreachable(ip, udp, lb, clientMac, out what, out why),
                _ => Fail($"protocol {ip.Protocol} (or its header) is not one reject answers", out why),
            };
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException or NullReferenceException)
        {
            return Fail($"malformed: {e.GetType().Name}", out why);
        }
    }

    /// <summary>
    /// RFC 9293 §3.10.7.1 (CLOSED state): a segment with ACK gets &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;; without,
    /// &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;, SYN and FIN counting one each. A reset is never answered.
    /// </summary>
    private static byte[]? Reset(IPv4Packet ip, TcpPacket seg, PhysicalAddress lb, PhysicalAddress client, out RejectedPacket what, out string? why)
    {
        what = new RejectedPacket("tcp", Addr(ip.SourceAddress), seg.SourcePort, Addr(ip.DestinationAddress), seg.DestinationPort);
        why = null;
        if (seg.Reset) return Fail("a reset (never answered)", out why);
        int header = seg.DataOffset * 4;
        int len = ip.TotalLength - ip.HeaderLength * 4 - header;
        if (header < 20 || len < 0) return Fail("bad TCP header length", out why);
        var rst = new TcpPacket(seg.DestinationPort, seg.SourcePort) { Reset = true, WindowSize = 0 };
        if (seg.Acknowledgment)
        {
            rst.SequenceNumber = seg.AcknowledgmentNumber;
        }
        else
        {
            rst.SequenceNumber = 0;
            rst.Acknowledgment = true;
            rst.AcknowledgmentNumber = unchecked(seg.SequenceNumber + (uint)len + (seg.Synchronize ? 1u : 0) + (seg.Finished ? 1u : 0));
        }
        var reply = new IPv4Packet(ip.DestinationAddress, ip.SourceAddress) { TimeToLive = Ttl, Protocol = ProtocolType.Tcp, PayloadPacket = rst };
        reply.UpdateCalculatedValues();
        rst.UpdateTcpChecksum();
        reply.UpdateIPChecksum();
        return Frame(lb, client, reply);
    }

    /// <summary>ICMP destination unreachable, port unreachable (type 3 code 3), quoting the IP header and the first 8 bytes of its payload.</summary>
    private static byte[]? Unreachable(IPv4Packet ip, UdpPacket udp, PhysicalAddress lb, PhysicalAddress client, out RejectedPacket what, out string? why)
    {
        what = new RejectedPacket("udp", Addr(ip.SourceAddress), udp.SourcePort, Addr(ip.DestinationAddress), udp.DestinationPort);
        why = null;
        int quoted = Math.Min(ip.TotalLength, ip.HeaderLength * 4 + 8);
        var icmpBytes = new byte[8 + quoted];
        Array.Copy(ip.Bytes, 0, icmpBytes, 8, quoted);
        var icmp = new IcmpV4Packet(new ByteArraySegment(icmpBytes)) { TypeCode = IcmpV4TypeCode.UnreachablePort };
        icmp.UpdateIcmpChecksum();
        var reply = new IPv4Packet(ip.DestinationAddress, ip.SourceAddress) { TimeToLive = Ttl, Protocol = ProtocolType.Icmp, PayloadPacket = icmp };
        reply.UpdateCalculatedValues();
        reply.UpdateIPChecksum();
        return Frame(lb, client, reply);
    }

    private static byte[] Frame(PhysicalAddress src, PhysicalAddress dst, IPv4Packet ip) =>
        new EthernetPacket(src, dst, EthernetType.IPv4) { PayloadPacket = ip }.Bytes;

    private static byte[]? Fail(string reason, out string? why)
    {
        why = reason;
        return null;
    }

    private static Ipv4Address Addr(IPAddress a) => PacketAddresses.ToIpv4(a);
}
