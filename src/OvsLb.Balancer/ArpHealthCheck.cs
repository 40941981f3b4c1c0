using OvsLb.State;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;

namespace OvsLb.Balancer;

/// <summary>
/// ARP health checks: "who has BACKEND?" by PACKET_OUT from a connected bridge, and the reply, which the
/// health flow (<see cref="Pipeline.Flows.ArpFlows.HealthReplyFlow"/>) sends to the controller, within the
/// timeout. Replies are remembered by sender IP and sender MAC, with when they were seen. A backend whose
/// <c>ip</c> is IPv6 is checked by neighbour solicitation instead (<see cref="NdpPackets.NeighborSolicitation"/>):
/// its advertisement comes back by <see cref="Pipeline.Flows.NdpFlows.HealthAdvertisementFlow"/> and is remembered
/// by target address, so only an answer for the backend's own address counts.
/// </summary>
public sealed class ArpHealthCheck(SwitchDirectory switches, CookieLayout cookies, ILogger log)
{
    /// <summary>When an ARP reply to the LB MAC was last seen, by sender IP and by sender MAC (Stopwatch ticks).</summary>
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);

    /// <summary>
    /// Records a probe reply. Only the health flow's packet-ins (told by their cookie) are read (with
    /// <see cref="ProbePackets.TryReadArpReply"/>); anything else sent to the controller is not this pipeline's.
    /// </summary>
    public void OnPacketIn(PacketIn packetIn)
    {
        ulong cookie = packetIn.Cookie;
        if (!cookies.Owns(cookie) || CookieLayout.Feature(cookie) != (byte)FlowFeature.Health) return;
        long now = Stopwatch.GetTimestamp();
        if (ProbePackets.TryReadArpReply(packetIn.Data.Span, out var senderIp, out var senderMac))
        {
            _seen[senderIp.ToString()] = now;
            _seen[senderMac.ToString()] = now;
        }
        else if (NdpPackets.TryReadNeighborAdvertisement(packetIn.Data.Span, out var na) && na.Solicited)
        {
            _seen[NdpKey(na.Target)] = now;
        }
    }

    private static string NdpKey(Ipv6Address target) => "nd/" + target;

    /// <summary>One check of backend <paramref name="b"/>; null when it cannot be checked now (no bridge connected to send from).</summary>
    public async Task<bool?> CheckAsync(LoadBalancerConfig config, ServiceConfig s, BackendConfig b, TimeSpan timeout, CancellationToken ct)
    {
        // Send from the backend's own bridge when it has one, else from one connected bridge carrying the service.
        ISwitchHandle? sw = null;
        BridgeConfig? bridge = null;
        foreach (var x in switches.Connected)
        {
            var bc = PipelineBuilder.FindBridge(config, x.DatapathId, x.BridgeName);
            if (bc is null || !x.CanWrite) continue;
            if (!s.IsBehind(b, bc.Name)) continue;
            sw = x;
            bridge = bc;
            if (b.Bridge == bc.Name) break;
        }
        if (sw is null || bridge is null) return null;
        var ports = sw.Ports;
        uint? port = b.Port is PortRef pr && PipelineBuilder.IsLocal(config, b, bridge) ? BridgeView.Resolve(ports, pr) : null;
        port ??= Pipeline.Planning.BridgePlanner.Uplink(bridge, ports);
        string key;
        PacketOut probe;
        if (b.Ip6 is Ipv6Address ip6)
        {
            key = NdpKey(ip6);
            probe = NdpPackets.NeighborSolicitation(bridge.LbMac, ip6, port);
        }
        else
        {
            var ip = b.Ip ?? s.Ipv4Vip;   // a direct-mode backend with a check has its own ip (validated)
            key = b.Mac?.ToString() ?? ip.ToString();
            probe = ProbePackets.ArpProbe(bridge.LbMac, ip, port);
        }
        long sent = Stopwatch.GetTimestamp();
        SwitchSend.TrySend(sw, probe, log);
        long deadline = sent + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_seen.TryGetValue(key, out long seen) && seen >= sent) return true;
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
        return _seen.TryGetValue(key, out long last) && last >= sent;
    }
}
