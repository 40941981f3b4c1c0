using System.Diagnostics.Metrics;
using OvsLb.Pipeline;
using OvsLb.Balancer;
using OvsLb.Runtime;

namespace OvsLb.Controller.Status;

/// <summary>
/// Gauges of the load balancer's state under the meter <c>OvsLb.LoadBalancer</c>, read when scraped
/// (so they never disagree with <c>/status</c>):
/// <list type="bullet">
/// <item><c>ovslb.lb.services</c>: configured services;</item>
/// <item><c>ovslb.lb.bridges.connected</c>: configured bridges with a live session;</item>
/// <item><c>ovslb.lb.backends.configured</c> {service}, <c>ovslb.lb.backends.live</c> {service, bridge}:
/// backends owning buckets on each connected bridge;</item>
/// <item><c>ovslb.lb.backend.up</c> {service, backend}: 1 unless the active health check holds it down;</item>
/// <item><c>ovslb.lb.backend.slots</c> {service, backend, bridge}: select-group buckets it owns;</item>
/// <item><c>ovslb.lb.connections.pinned</c> {bridge}: learned connection entries (persistence in the stateless
/// modes) as last counted; <c>ovslb.lb.connections.cap_reached</c> {bridge}: 1 while the bridge drops new
/// connections because the count reached <c>options.maxConnections</c>;</item>
/// <item><c>ovslb.lb.health.rounds</c>: health-check rounds run (a counter);</item>
/// <item><c>ovslb.lb.rejects.sent</c> {service, protocol}: onEmpty "reject" answers sent (tcp: resets, udp: ICMP
/// port unreachables); <c>ovslb.lb.rejects.ignored</c>: reject packet-ins not answered (counters);</item>
/// <item><c>ovslb.lb.flows.installed</c>, <c>ovslb.lb.groups.installed</c> {datapath_id}: what the
/// controller believes each switch holds.</item>
/// </list>
/// </summary>
public sealed class LoadBalancerMetrics : IDisposable
{
    public const string MeterName = "OvsLb.LoadBalancer";

    private readonly Meter _meter;

    public LoadBalancerMetrics(LoadBalancer lb, SwitchServer controller, IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("ovslb.lb.services", () => lb.Config.Services.Length, "{service}", "Configured load-balanced services");
        _meter.CreateObservableGauge("ovslb.lb.bridges.connected",
            () => controller.Sessions.Values.Count(s => PipelineBuilder.FindBridge(lb.Config, s.DatapathId, s.BridgeName) is not null),
            "{bridge}", "Configured bridges connected to this controller");
        _meter.CreateObservableGauge("ovslb.lb.backends.configured",
            () => lb.Config.Services.Select(s => new Measurement<int>(s.Backends.Length, Tag("service", s.Name))),
            "{backend}", "Backends configured per service");
        _meter.CreateObservableGauge("ovslb.lb.backends.live", () => LivePlans(lb, controller)
            .SelectMany(p => p.Plan.Services.Select(sp => new Measurement<int>(sp.LiveBackends.Count, Tag("service", sp.Service.Name), Tag("bridge", p.Plan.Bridge!.Name)))),
            "{backend}", "Backends owning buckets of the service's select group, per bridge");
        _meter.CreateObservableGauge("ovslb.lb.backend.up", () => lb.Config.Services.SelectMany(s => s.Backends.Select(b =>
                new Measurement<int>(lb.Health.IsUp(PipelineBuilder.BackendId(s, b)) ? 1 : 0, Tag("service", s.Name), Tag("backend", b.Name)))),
            "{backend}", "1 unless the service's active health check holds the backend down");
        _meter.CreateObservableGauge("ovslb.lb.backend.slots", () => LivePlans(lb, controller).SelectMany(p => p.Plan.Services.SelectMany(sp =>
                StatusReport.SlotCounts(sp).Select(c => new Measurement<int>(c.Value, Tag("service", sp.Service.Name), Tag("backend", c.Key), Tag("bridge", p.Plan.Bridge!.Name))))),
            "{bucket}", "Select-group buckets owned by each backend, per bridge");
        _meter.CreateObservableGauge("ovslb.lb.connections.pinned", () => lb.ConnectionCounts.Values.Select(c => new Measurement<int>(c.Entries, Tag("bridge", c.Bridge))),
            "{connection}", "Learned connection entries (table 21) per bridge, as last counted");
        _meter.CreateObservableGauge("ovslb.lb.connections.cap_reached", () => lb.ConnectionCounts.Values.Select(c => new Measurement<int>(c.Capped ? 1 : 0, Tag("bridge", c.Bridge))),
            "{bridge}", "1 while the bridge drops new connections because its learned entries reached options.maxConnections");
        _meter.CreateObservableCounter("ovslb.lb.health.rounds", () => lb.HealthRounds, "{round}", "Active health-check rounds run (all services)");
        _meter.CreateObservableCounter("ovslb.lb.rejects.sent", () => lb.Rejects.Sent.Select(p => new Measurement<long>(p.Value, Tag("service", p.Key.Service), Tag("protocol", p.Key.Protocol))),
            "{packet}", "onEmpty reject answers sent by the controller: TCP resets (tcp) and ICMP port unreachables (udp)");
        _meter.CreateObservableCounter("ovslb.lb.rejects.ignored", () => lb.Rejects.Ignored, "{packet}", "Reject packet-ins not answered (resets, malformed, unknown service)");
        _meter.CreateObservableCounter("ovslb.lb.connections.renewed", () => lb.Renewals.Renewed, "{entry}",
            "Connection entries added anew for a SYN that found one (a reused 5-tuple or a retransmitted SYN)");
        _meter.CreateObservableCounter("ovslb.lb.connections.renew_ignored", () => lb.Renewals.Ignored, "{packet}",
            "Reuse packet-ins that renewed nothing (not a SYN, no such service, malformed)");
        // Installed is read once per session: the session's thread may set it to null (failed bundle) meanwhile.
        _meter.CreateObservableGauge("ovslb.lb.flows.installed", () => controller.Sessions.Values.Select(s => (s, i: s.Installed)).Where(x => x.i is not null)
            .Select(x => new Measurement<int>(x.i!.Flows.Count, Tag("datapath_id", x.s.DatapathIdText))),
            "{flow}", "Flows the controller believes the switch holds (read back on connect, updated by each bundle)");
        _meter.CreateObservableGauge("ovslb.lb.groups.installed", () => controller.Sessions.Values.Select(s => (s, i: s.Installed)).Where(x => x.i is not null)
            .Select(x => new Measurement<int>(x.i!.Groups.Count, Tag("datapath_id", x.s.DatapathIdText))),
            "{group}", "Groups the controller believes the switch holds");
    }

    public Meter Meter => _meter;

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    /// <summary>The last plan of each connected, configured bridge.</summary>
    private static IEnumerable<(ulong Dpid, BridgePlan Plan)> LivePlans(LoadBalancer lb, SwitchServer controller) =>
        controller.Sessions.Keys
            .Select(d => (Dpid: d, Plan: lb.Plans.TryGetValue(d, out var p) ? p : null))
            .Where(x => x.Plan?.Bridge is not null)
            .Select(x => (x.Dpid, x.Plan!));

    public void Dispose() => _meter.Dispose();
}
