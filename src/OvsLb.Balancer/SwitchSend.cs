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
    public static void TrySend(ISwitchHandle sw, PacketOut packet, ILogger log) => TrySend(sw, () => sw.Send(packet), log);

    public static void TrySend(ISwitchHandle sw, OvsLb.OpenFlow.Messages.Nicira.CtFlush flush, ILogger log) => TrySend(sw, () => sw.Send(flush), log);

    private static void TrySend(ISwitchHandle sw, Action send, ILogger log)
    {
        try
        {
            if (sw.CanWrite) send();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
            log.LogDebug("Could not send to {Dpid}: {Error}", sw.DatapathIdText, e.Message);
        }
    }
}
