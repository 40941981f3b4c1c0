using System.Diagnostics.Metrics;
using OvsLb.Cluster;

namespace OvsLb.Controller.Status;

/// <summary>
/// Gauges of cluster mode under the meter <c>OvsLb.Cluster</c>, read from the coordinator's in-memory view when scraped
/// (the same facts as the <c>cluster</c> section of <c>/status</c>); created only in cluster mode, so a single
/// instance's /metrics has none of them:
/// <list type="bullet">
/// <item><c>ovslb_cluster_master</c> {datapath_id}: 1 while this instance is the bridge's master and may write to it, else 0
/// (every bridge with an election);</item>
/// <item><c>ovslb_cluster_generation</c> {datapath_id}: the generation id of the bridge's current master;</item>
/// <item><c>ovslb_cluster_lease_remaining_seconds</c>: time left on this instance's lease by its own clock (0: it writes nothing);</item>
/// <item><c>ovslb_cluster_etcd_up</c>: 1 while the last keepalive was answered.</item>
/// </list>
/// Before the coordinator starts (etcd not reached yet) there is no series at all.
/// </summary>
public sealed class ClusterMetrics : IDisposable
{
    public const string MeterName = "OvsLb.Cluster";

    private readonly Meter _meter;

    /// <param name="view">This instance's view now; null while cluster mode is not started.</param>
    public ClusterMetrics(Func<LocalClusterView?> view, IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("ovslb.cluster.master", () => Bridges(view).Select(b => new Measurement<int>(b.IsMaster ? 1 : 0, Dpid(b))),
            "{bridge}", "1 while this instance is the bridge's master and may write to it");
        _meter.CreateObservableGauge("ovslb.cluster.generation", () => Bridges(view).Select(b => new Measurement<double>(b.GenerationId, Dpid(b))),
            "{generation}", "Generation id of the bridge's master (create_revision of its election key)");
        _meter.CreateObservableGauge("ovslb.cluster.lease_remaining", () => view() is { } v ? [new Measurement<double>(v.LeaseSecondsLeft)] : Array.Empty<Measurement<double>>(),
            "s", "Time left on this instance's etcd lease by its own clock; at 0 it writes to no switch");
        _meter.CreateObservableGauge("ovslb.cluster.etcd_up", () => view() is { } v ? [new Measurement<int>(v.EtcdUp ? 1 : 0)] : Array.Empty<Measurement<int>>(),
            "{state}", "1 while the last etcd keepalive of this instance was answered");
    }

    public Meter Meter => _meter;

    private static IEnumerable<LocalBridgeMastership> Bridges(Func<LocalClusterView?> view) => view()?.Bridges ?? [];

    private static KeyValuePair<string, object?> Dpid(LocalBridgeMastership b) => new("datapath_id", b.DatapathId.ToString("x16"));

    public void Dispose() => _meter.Dispose();
}
