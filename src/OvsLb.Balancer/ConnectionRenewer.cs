using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.Runtime.Session;
using OvsLb.State;
using PacketDotNet;
using PacketDotNet.Utils;

namespace OvsLb.Balancer;

/// <summary>
/// The controller's half of renewing reused connection entries (<see cref="RenewFlows"/>): a packet-in from the
/// <c>reuse</c> flow is a SYN whose 5-tuple still had an entry in <c>connections</c>; the controller adds that entry
/// anew (FLOW_MOD ADD, the same flow learn writes, with the backend the entry named in reg1), so the new connection
/// gets the full idle timeout instead of the 2 s its closed predecessor left. The SYN itself has already gone on to
/// that backend in the datapath; nothing waits for the controller. Anything unexpected is counted, logged at debug
/// level and ignored; nothing here throws into the session.
/// </summary>
public sealed class ConnectionRenewer(Func<LoadBalancerConfig> config, CookieLayout cookies, ILogger log)
{
    private long _renewed, _ignored;

    /// <summary>Entries added anew.</summary>
    public long Renewed => Interlocked.Read(ref _renewed);

    /// <summary>Reuse packet-ins that renewed nothing (not a SYN, no service of the bridge, no backend in reg1, malformed).</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Renews the entry when the packet-in is the reuse flow's; returns false for any other packet-in.</summary>
    public bool OnPacketIn(ISwitchHandle sw, PacketIn packetIn)
    {
        if (!RenewFlows.IsRenew(cookies, packetIn.Cookie)) return false;
        try
        {
            Renew(sw, packetIn);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _ignored);
            log.LogDebug(e, "Reuse packet-in from {Dpid} not handled", sw.DatapathIdText);
        }
        return true;
    }

    private void Renew(ISwitchHandle sw, PacketIn packetIn)
    {
        uint tag = packetIn.Match.Find(LbPipeline.BackendRegister) is { } r ? (uint)r.Value : 0;
        if ((tag & 1) == 0)
        {
            Ignore(sw, "reg1 names no backend");
            return;
        }
        if (Syn(packetIn.Data.Span) is not var (client, clientPort, vip, port))
        {
            Ignore(sw, "not a TCP SYN over IPv4 or IPv6");
            return;
        }
        var c = config();
        var bridge = PipelineBuilder.FindBridge(c, sw.DatapathId, sw.BridgeName);
        var service = bridge is null ? null : PipelineBuilder.ServicesOn(c, bridge).FirstOrDefault(s =>
            s.Protocol == ServiceProtocol.Tcp && PickFlows.LearnsConnections(s) && (s.Vip?.ToString() == vip.ToString() || s.Vip6?.ToString() == vip.ToString())
            && (s.AllPorts || s.Port == port));
        if (service is null)
        {
            Ignore(sw, $"{vip}:{port} is no TCP service with learned connections on this bridge (reloaded meanwhile?)");
            return;
        }
        // The tag may name a backend that has gone since: the entry then sends the next packet to the group, and
        // learn rewrites it for the new backend, keeping the full timeout this adds.
        var entry = vip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? RenewFlows.RenewedConnectionEntry(cookies, tag, Ipv6Address.Read(client.GetAddressBytes()), clientPort, Ipv6Address.Read(vip.GetAddressBytes()), port, c.Options.ConnectionIdleSeconds)
            : RenewFlows.RenewedConnectionEntry(cookies, tag, PacketAddresses.ToIpv4(client), clientPort, PacketAddresses.ToIpv4(vip), port, c.Options.ConnectionIdleSeconds);
        try
        {
            if (!sw.CanWrite) return;
            sw.RenewLearned(entry);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
            log.LogDebug("Could not renew an entry on {Dpid}: {Error}", sw.DatapathIdText, e.Message);
            return;
        }
        Interlocked.Increment(ref _renewed);
        log.LogDebug("Service {Service}: renewed the entry of {Client}:{ClientPort} → {Vip}:{Port} (backend tag 0x{Tag:x8}) on {Dpid}",
            service.Name, client, clientPort, vip, port, tag, sw.DatapathIdText);
    }

    /// <summary>The SYN's addresses (IPv4 or IPv6) and ports (PacketDotNet's parse), or null for anything else.</summary>
    private static (System.Net.IPAddress Client, ushort ClientPort, System.Net.IPAddress Vip, ushort Port)? Syn(ReadOnlySpan<byte> frame)
    {
        try
        {
            var eth = new EthernetPacket(new ByteArraySegment(frame.ToArray()));
            if (eth.PayloadPacket is IPv4Packet v4 && v4.FragmentOffset != 0) return null;
            if (eth.PayloadPacket is not (IPv4Packet or IPv6Packet) || eth.PayloadPacket is not IPPacket ip || ip.PayloadPacket is not TcpPacket tcp) return null;
            if (!tcp.Synchronize || tcp.Acknowledgment) return null;
            return (ip.SourceAddress, tcp.SourcePort, ip.DestinationAddress, tcp.DestinationPort);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException or NullReferenceException)
        {
            return null;
        }
    }

    private void Ignore(ISwitchHandle sw, string why)
    {
        Interlocked.Increment(ref _ignored);
        log.LogDebug("Reuse packet-in from {Dpid} ignored: {Why}", sw.DatapathIdText, why);
    }
}
