using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Flows;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Balancer;

/// <summary>
/// onEmpty "reject", the controller's half: a packet-in from a reject flow (<see cref="RejectFlows.RejectFlow"/>,
/// told by its cookie, which names the service) is answered out of the port it came in on with a TCP reset or an
/// ICMP port unreachable from the VIP (<see cref="RejectPackets"/>). The bridge's meter has already limited how
/// many arrive. Anything unexpected is logged at debug level and ignored; nothing here throws into the session.
/// </summary>
public sealed class RejectResponder(Func<LoadBalancerConfig> config, CookieLayout cookies, ILogger log)
{
    private readonly ConcurrentDictionary<(string Service, string Protocol), long> _sent = new();
    private long _ignored;

    /// <summary>Answers sent, by service and protocol ("tcp": resets, "udp": ICMP port unreachables).</summary>
    public IReadOnlyDictionary<(string Service, string Protocol), long> Sent => _sent;

    /// <summary>Reject packet-ins that got no answer (a reset, malformed, unknown service, no bridge).</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Answers the packet-in when it is a reject flow's; returns false for any other packet-in.</summary>
    public bool OnPacketIn(ISwitchHandle sw, PacketIn packetIn)
    {
        if (!RejectFlows.IsReject(cookies, packetIn.Cookie)) return false;
        try
        {
            Answer(sw, packetIn);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _ignored);
            log.LogDebug(e, "Reject packet-in from {Dpid} not answered", sw.DatapathIdText);
        }
        return true;
    }

    private void Answer(ISwitchHandle sw, PacketIn packetIn)
    {
        var c = config();
        var bridge = PipelineBuilder.FindBridge(c, sw.DatapathId, sw.BridgeName);
        var service = bridge is null ? null : RejectFlows.ServiceOf(PipelineBuilder.ServicesOn(c, bridge), packetIn.Cookie);
        if (bridge is null || service is null)
        {
            Ignore(sw, $"cookie 0x{packetIn.Cookie:x16} names no service of this bridge (reloaded meanwhile?)");
            return;
        }
        if (packetIn.Data.Length < packetIn.TotalLength)
        {
            Ignore(sw, $"truncated packet ({packetIn.Data.Length} of {packetIn.TotalLength} bytes)");
            return;
        }
        var frame = RejectPackets.Answer(packetIn.Data.Span, bridge.LbMac, out var what, out var why);
        if (frame is null)
        {
            Ignore(sw, $"service '{service.Name}': {why}");
            return;
        }
        var reply = new PacketOut
        {
            InPort = packetIn.InPort,
            Actions = [new OutputAction(OfctlFormat.Ports.InPort)],
            Data = new Bytes(frame),
        };
        SwitchSend.TrySend(sw, reply, log);
        _sent.AddOrUpdate((service.Name, what.Protocol), 1, (_, n) => n + 1);
        log.LogDebug("Service {Service} has no live backend: refused {Proto} {Client}:{ClientPort} → {Vip}:{VipPort} on {Dpid}",
            service.Name, what.Protocol, what.Client, what.ClientPort, what.Vip, what.VipPort, sw.DatapathIdText);
    }

    private void Ignore(ISwitchHandle sw, string why)
    {
        Interlocked.Increment(ref _ignored);
        log.LogDebug("Reject packet-in from {Dpid} ignored: {Why}", sw.DatapathIdText, why);
    }
}
