using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;

namespace OvsLb.Balancer;

/// <summary>
/// Fire-and-forget PACKET_OUTs (probes, announcements): a switch that went away or may not be written to
/// meanwhile is not an error of the load balancer, the next round or reconnect sends again.
/// </summary>
internal static class SwitchSend
{
    public static void TrySend(ISwitchHandle sw, PacketOut packet, ILogger log)
    {
        try
        {
            if (sw.CanWrite) sw.Send(packet);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
            log.LogDebug("Could not send to {Dpid}: {Error}", sw.DatapathIdText, e.Message);
        }
    }
}
