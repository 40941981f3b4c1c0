using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime.Session;

namespace OvsLb.Balancer;

/// <summary>One bridge's learned connection entries as last counted, and whether its cap is reached.</summary>
/// <param name="Bridge">The bridge's configured name.</param>
/// <param name="Entries">Learned entries in table 21 (<c>connections</c>): its flow count minus the controller's own flows there.</param>
/// <param name="Capped">True from the count reaching <c>options.maxConnections</c> until it falls below the low-water mark.</param>
public sealed record ConnectionCount(string Bridge, int Entries, bool Capped);

/// <summary>
/// Enforces <c>options.maxConnections</c> on every bridge whose services learn connection entries (persistence in
/// the stateless modes): every <c>options.connectionCapInterval</c> it reads each such bridge's table statistics
/// (OFPMP_TABLE: OVS keeps each table's flow count, so the cost does not grow with the entries, unlike an aggregate
/// over table 21), counts the learned entries, and when they reach the cap marks the bridge capped, logs it once
/// and asks for a replan: the planner then puts <see cref="Pipeline.Flows.PickFlows.CapReachedFlow"/> in place of the
/// group flow, and the reconciler (the only sender of flow mods) installs it. Below the low-water mark
/// (<see cref="LoadBalancerOptions.ConnectionCapLowWater"/>) the mark is cleared the same way. Connections opened
/// within one interval of reaching the cap are admitted: the overshoot is at most the setup rate times the interval.
/// </summary>
public sealed class ConnectionCap(Func<IReadOnlyList<ISwitchHandle>> connected, Func<LoadBalancerConfig> config, Func<ulong, BridgePlan?> committed, Action invalidate, ILogger log)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<ulong, ConnectionCount> _counts = new();

    /// <summary>How often each bridge is counted (<c>options.connectionCapInterval</c>), read again before each wait.</summary>
    public TimeSpan Interval => config().Options.ConnectionCapInterval;

    /// <summary>The last count of each connected bridge that learns connections, by datapath id.</summary>
    public IReadOnlyDictionary<ulong, ConnectionCount> Counts => _counts;

    /// <summary>Whether the bridge's cap is reached (its plan then drops new connections of the services that learn them).</summary>
    public bool IsCapped(ulong datapathId) => _counts.TryGetValue(datapathId, out var c) && c.Capped;

    /// <summary>Forgets a disconnected bridge: a reconnected one (perhaps a restarted OVS, with table 21 empty) is counted afresh.</summary>
    public void Forget(ulong datapathId) => _counts.TryRemove(datapathId, out _);

    /// <summary>Counts every connected bridge every interval until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(Interval, ct).ConfigureAwait(false);
                await PollAllAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Counts every connected bridge once (asks for a replan if any bridge's cap state changed).</summary>
    public async Task PollAllAsync(CancellationToken ct)
    {
        bool changed = false;
        foreach (var sw in connected())
        {
            try
            {
                changed |= await PollAsync(sw, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or IOException or OpenFlowErrorException or InvalidOperationException)
            {
                log.LogDebug("Bridge {Dpid}: learned connection entries not counted this time: {Error}", sw.DatapathIdText, e.Message);
            }
        }
        if (changed) invalidate();
    }

    private async Task<bool> PollAsync(ISwitchHandle sw, CancellationToken ct)
    {
        var cfg = config();
        var plan = committed(sw.DatapathId);
        // The controller's own flows in table 21 (its default drop), present exactly when the bridge learns connections.
        int own = plan?.Bridge is null ? 0 : plan.State.Flows.Values.Count(f => f.TableId == LbPipeline.Connections.Id);
        if (plan?.Bridge is not BridgeConfig bridge || own == 0 || !sw.CanWrite)
        {
            return _counts.TryRemove(sw.DatapathId, out var gone) && gone.Capped;
        }
        var reply = await sw.RequestAsync(EmptyMultipartRequest.Table(), ct, RequestTimeout).ConfigureAwait(false) as TableStatsReply
            ?? throw new InvalidOperationException("OFPMP_TABLE was not answered with table statistics");
        var table = reply.Entries.FirstOrDefault(e => e.TableId == LbPipeline.Connections.Id)
            ?? throw new InvalidOperationException($"the table statistics have no table {LbPipeline.Connections.Id}");
        int entries = (int)Math.Max(0, (long)table.ActiveCount - own);
        var o = cfg.Options;
        bool was = IsCapped(sw.DatapathId);
        bool capped = o.MaxConnections is int max && entries >= (was ? o.ConnectionCapLowWater!.Value : max);
        _counts[sw.DatapathId] = new ConnectionCount(bridge.Name, entries, capped);
        if (capped == was) return false;
        var services = string.Join(", ", cfg.Services.Where(s => Pipeline.Flows.PickFlows.LearnsConnections(s) && plan.Services.Any(p => p.Service.Name == s.Name)).Select(s => s.Name));
        if (capped)
        {
            log.LogWarning("Bridge {Bridge} ({Dpid}): connection cap reached: {Entries} learned connection entries, options.maxConnections is {Max}. " +
                "New connections to {Services} are dropped on this bridge (clients see their SYN go unanswered); established connections keep their backend and keep working. " +
                "It clears when fewer than {Low} entries remain, as connections close (2 s after their FIN) or idle out (options.connectionIdleTimeout).",
                bridge.Name, sw.DatapathIdText, entries, o.MaxConnections, services, o.ConnectionCapLowWater);
        }
        else if (o.MaxConnections is int m)
        {
            log.LogWarning("Bridge {Bridge} ({Dpid}): connection cap cleared: {Entries} learned connection entries, below {Low} (options.maxConnections is {Max}). New connections to {Services} are accepted again.",
                bridge.Name, sw.DatapathIdText, entries, o.ConnectionCapLowWater, m, services);
        }
        else
        {
            log.LogWarning("Bridge {Bridge} ({Dpid}): connection cap cleared: options.maxConnections is now unlimited ({Entries} learned connection entries). New connections to {Services} are accepted again.",
                bridge.Name, sw.DatapathIdText, entries, services);
        }
        return true;
    }
}
