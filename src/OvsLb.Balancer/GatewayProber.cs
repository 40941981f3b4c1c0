using OvsLb.State;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Planning;
using OvsLb.Runtime.Session;

namespace OvsLb.Balancer;

/// <summary>
/// Keeps every bridge's gateways learned: sends the ARP probes <see cref="BridgePlanner.GatewayProbes"/>
/// lists for a bridge when it becomes ready, on a reload, and every <c>options.gatewayProbeInterval</c> (by
/// default a third of the learned entries' hard timeout, so an answering gateway never expires), read
/// again before each wait so a reload changes it. The replies are learned in
/// the datapath; the controller never sees them.
/// </summary>
public sealed class GatewayProber(SwitchDirectory switches, Func<LoadBalancerConfig> config, ILogger log)
{
    public TimeSpan Interval => config().Options.EffectiveGatewayProbeInterval;

    /// <summary>Probes the gateways of the bridge <paramref name="sw"/> is (nothing if it is not configured or may not be written).</summary>
    public void Send(ISwitchHandle sw)
    {
        if (!sw.CanWrite) return;
        foreach (var p in BridgePlanner.GatewayProbes(config(), new SwitchInfo(sw.DatapathId, sw.BridgeName, sw.Ports)))
        {
            SwitchSend.TrySend(sw, ProbePackets.ArpProbe(p.LbMac, p.Gateway, p.OutPort), log);
        }
    }

    /// <summary>Probes the gateways of every connected bridge.</summary>
    public void SendAll()
    {
        foreach (var sw in switches.Connected) Send(sw);
    }

    /// <summary>Runs the periodic probes until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(Interval, ct).ConfigureAwait(false);
                SendAll();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
