using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Session;

namespace OvsLb.Runtime.Diagnostics;

/// <summary>
/// Per-switch counters, exposed through <see cref="System.Diagnostics.Metrics"/> under the meter
/// <c>OvsLb.Controller</c>, every measurement tagged with <c>datapath_id</c> (16 hex digits):
/// <list type="bullet">
/// <item><c>ovslb.messages.in</c>, <c>ovslb.messages.out</c> (tag <c>type</c>: the OVS message name)</item>
/// <item><c>ovslb.errors</c>: OFPT_ERROR received and undecodable messages</item>
/// <item><c>ovslb.connections</c>: handshakes completed (a reconnect counts again)</item>
/// <item><c>ovslb.packet_ins</c>, <c>ovslb.bundle_commits</c></item>
/// <item><c>ovslb.reconcile.duration</c> (histogram, ms) and <c>ovslb.reconcile.last_duration</c> (gauge, ms)</item>
/// </list>
/// </summary>
public sealed class ControllerMetrics : IDisposable
{
    public const string MeterName = "OvsLb.Controller";

    private readonly Meter _meter;
    private readonly Counter<long> _in, _out, _errors, _connections, _packetIns, _commits;
    private readonly Histogram<double> _reconcile;
    private readonly ConcurrentDictionary<ulong, double> _lastReconcile = new();

    public ControllerMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _in = _meter.CreateCounter<long>("ovslb.messages.in", "{message}", "OpenFlow messages received");
        _out = _meter.CreateCounter<long>("ovslb.messages.out", "{message}", "OpenFlow messages sent");
        _errors = _meter.CreateCounter<long>("ovslb.errors", "{error}", "OFPT_ERROR received and undecodable messages");
        _connections = _meter.CreateCounter<long>("ovslb.connections", "{connection}", "Switch handshakes completed (reconnects included)");
        _packetIns = _meter.CreateCounter<long>("ovslb.packet_ins", "{message}", "PACKET_IN messages received");
        _commits = _meter.CreateCounter<long>("ovslb.bundle_commits", "{bundle}", "Bundles committed");
        _reconcile = _meter.CreateHistogram<double>("ovslb.reconcile.duration", "ms", "Time to reconcile a switch");
        _meter.CreateObservableGauge("ovslb.reconcile.last_duration",
            () => _lastReconcile.Select(p => new Measurement<double>(p.Value, new KeyValuePair<string, object?>("datapath_id", p.Key.ToString("x16")))),
            "ms", "Duration of the last reconciliation of each switch");
    }

    public Meter Meter => _meter;

    private static TagList Tags(SwitchSession s) => new() { { "datapath_id", s.DatapathId == 0 ? "unidentified" : s.DatapathIdText } };

    internal void MessageIn(SwitchSession s, OfpMessage m)
    {
        if (!_in.Enabled) return;
        var t = Tags(s);
        t.Add("type", m.OvsName);
        _in.Add(1, t);
    }

    internal void MessageOut(SwitchSession s, OfpMessage m)
    {
        if (!_out.Enabled) return;
        var t = Tags(s);
        t.Add("type", m.OvsName);
        _out.Add(1, t);
    }

    internal void Error(SwitchSession s) => _errors.Add(1, Tags(s));
    internal void Connected(SwitchSession s) => _connections.Add(1, Tags(s));
    internal void PacketIn(SwitchSession s) => _packetIns.Add(1, Tags(s));
    internal void BundleCommitted(SwitchSession s) => _commits.Add(1, Tags(s));

    internal void Reconciled(SwitchSession s, TimeSpan d)
    {
        _lastReconcile[s.DatapathId] = d.TotalMilliseconds;
        _reconcile.Record(d.TotalMilliseconds, Tags(s));
    }

    public void Dispose() => _meter.Dispose();
}
