using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Hashing;
using PacketDotNet;

namespace OvsLb.Controller.Cli.Probe;

/// <summary>One frame the probe saw leave the bridge: the port and the headers as they left.</summary>
internal sealed record EgressFrame(uint PortNo, string PortName, MacAddress EthSrc, MacAddress EthDst, Ipv4Address IpSrc, Ipv4Address IpDst, ushort SrcPort, ushort DstPort);

/// <summary>
/// The probe's packet (PacketDotNet): a TCP SYN or a UDP datagram carrying a random mark that every rewrite the pipeline
/// does (MAC, IP address, port, NAT) leaves alone: the IP identification and the TCP sequence number, or the first four
/// bytes of the UDP payload. The captures' BPF filter asks for that mark, so they see this one packet and nothing else
/// with the same 5-tuple (a client's own connection, the backend's answer).
/// </summary>
internal sealed record ProbeFrames(FiveTuple Tuple, MacAddress Source, MacAddress Destination, ushort IpId, uint Mark)
{
    /// <summary>The UDP payload: the mark, then a text saying what this is to whoever captures it.</summary>
    private static readonly byte[] UdpText = "ovslb probe"u8.ToArray();

    public static ProbeFrames Create(FiveTuple t, MacAddress src, MacAddress dst) =>
        new(t, src, dst, (ushort)Random.Shared.Next(1, 0x10000), (uint)Random.Shared.NextInt64(1, 0x1_0000_0000));

    /// <summary>The SYN (window 64240, no options) or the datagram, with correct checksums, TTL 64 and DF.</summary>
    public byte[] Frame()
    {
        var t = Tuple;
        var ip = new IPv4Packet(ToIp(t.Source), ToIp(t.Destination)) { TimeToLive = 64, Id = IpId, FragmentFlags = 0x2 };
        if (t.Protocol == IpProtocol.Tcp)
        {
            var tcp = new TcpPacket(t.SourcePort, t.DestinationPort) { Synchronize = true, SequenceNumber = Mark, WindowSize = 64240 };
            ip.Protocol = ProtocolType.Tcp;
            ip.PayloadPacket = tcp;
            ip.UpdateCalculatedValues();
            tcp.UpdateTcpChecksum();
        }
        else
        {
            var payload = new byte[4 + UdpText.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, Mark);
            UdpText.CopyTo(payload, 4);
            var udp = new UdpPacket(t.SourcePort, t.DestinationPort) { PayloadData = payload };
            ip.Protocol = ProtocolType.Udp;
            ip.PayloadPacket = udp;
            ip.UpdateCalculatedValues();
            udp.UpdateUdpChecksum();
        }
        ip.UpdateIPChecksum();
        return new EthernetPacket(ToPhysical(Source), ToPhysical(Destination), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
    }

    /// <summary>
    /// TCP: a reset of the probe's connection (RST, sequence mark + 1, the number the SYN consumed), sent after the capture
    /// along the same path, so the backend and the bridge's connection state drop the half-open connection; null for UDP.
    /// </summary>
    public byte[]? Reset()
    {
        var t = Tuple;
        if (t.Protocol != IpProtocol.Tcp) return null;
        var ip = new IPv4Packet(ToIp(t.Source), ToIp(t.Destination)) { TimeToLive = 64, Id = unchecked((ushort)(IpId + 1)), FragmentFlags = 0x2, Protocol = ProtocolType.Tcp };
        var tcp = new TcpPacket(t.SourcePort, t.DestinationPort) { Reset = true, SequenceNumber = unchecked(Mark + 1), WindowSize = 0 };
        ip.PayloadPacket = tcp;
        ip.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        return new EthernetPacket(ToPhysical(Source), ToPhysical(Destination), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
    }

    /// <summary>The BPF filter for the probe's packet, whatever the pipeline rewrote.</summary>
    public string Filter()
    {
        string id = "0x" + IpId.ToString("x4", CultureInfo.InvariantCulture);
        string mark = "0x" + Mark.ToString("x8", CultureInfo.InvariantCulture);
        string l4 = Tuple.Protocol == IpProtocol.Tcp ? $"tcp and tcp[4:4] = {mark}" : $"udp and udp[8:4] = {mark}";
        return $"ip and ip[4:2] = {id} and {l4}";
    }

    /// <summary>Whether <paramref name="f"/> carries the headers the probe was sent with (it is the probe entering, not leaving).</summary>
    public bool IsAsSent(EgressFrame f) =>
        f.EthSrc == Source && f.EthDst == Destination && f.IpSrc == Tuple.Source && f.IpDst == Tuple.Destination
        && f.SrcPort == Tuple.SourcePort && f.DstPort == Tuple.DestinationPort;

    /// <summary>The headers of a captured frame, or null when it is not the probe's (not IPv4 TCP/UDP).</summary>
    public static EgressFrame? Read(uint portNo, string portName, LinkLayers link, byte[] data)
    {
        if (PacketDotNet.Packet.ParsePacket(link, data) is not EthernetPacket eth || eth.PayloadPacket is not IPv4Packet ip) return null;
        (ushort sp, ushort dp) = ip.PayloadPacket switch
        {
            TcpPacket tcp => (tcp.SourcePort, tcp.DestinationPort),
            UdpPacket udp => (udp.SourcePort, udp.DestinationPort),
            _ => ((ushort)0, (ushort)0),
        };
        return new EgressFrame(portNo, portName, ToMac(eth.SourceHardwareAddress), ToMac(eth.DestinationHardwareAddress),
            ToIpv4(ip.SourceAddress), ToIpv4(ip.DestinationAddress), sp, dp);
    }

    public static MacAddress ToMac(PhysicalAddress p) => MacAddress.Read(p.GetAddressBytes());

    private static Ipv4Address ToIpv4(IPAddress a) => Ipv4Address.Read(a.GetAddressBytes());

    private static PhysicalAddress ToPhysical(MacAddress m)
    {
        var b = new byte[6];
        m.Write(b);
        return new PhysicalAddress(b);
    }

    private static IPAddress ToIp(Ipv4Address a)
    {
        var b = new byte[4];
        a.Write(b);
        return new IPAddress(b);
    }
}
