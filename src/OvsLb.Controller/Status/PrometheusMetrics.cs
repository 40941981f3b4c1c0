using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace OvsLb.Controller.Status;

/// <summary>
/// The <c>/metrics</c> exposition of one status server: a <see cref="MeterListener"/> feeds the
/// instruments of the given <see cref="Meter"/>s into prometheus-net collectors (Counter, Gauge,
/// Histogram, see <see cref="PrometheusInstrument"/>) of a private <see cref="CollectorRegistry"/>,
/// which prometheus-net renders in the text format 0.0.4. Private, not <c>Metrics.DefaultRegistry</c>:
/// a test process runs several controllers, each with its own meters of the same names, and each
/// /metrics must show its own; a private registry also gets none of prometheus-net's default
/// process/.NET metrics.
/// <para>
/// Names are ovslb's: the instrument name with every character Prometheus does not allow made '_', the
/// unit in base units appended (ms instruments are reported in seconds), counters ending in
/// <c>_total</c>. Observable instruments are read before every scrape; a series their callback no
/// longer reports leaves at once. Two instruments whose names come out the same are refused (the
/// second, with an error naming both), and so is an instrument whose description has a backslash or
/// line feed: prometheus-net writes HELP text unescaped.
/// </para>
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>The content type of the text format prometheus-net writes.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly HashSet<Meter> _meters;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Lock _read = new();
    private readonly Dictionary<string, PrometheusInstrument> _names = new(StringComparer.Ordinal);
    private readonly List<string> _refused = [];
    private readonly HashSet<PrometheusInstrument> _mismatchReported = [];
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;

    /// <param name="meters">The meters to export (these instances: other meters of the same name are not).</param>
    /// <param name="log">Where a refused instrument is reported.</param>
    public PrometheusMetrics(IEnumerable<Meter> meters, ILogger? log = null)
    {
        _meters = [.. meters];
        _log = log ?? NullLogger.Instance;
        Registry = Metrics.NewCustomRegistry();
        _factory = Metrics.WithCustomRegistry(Registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (Accept(instrument) is { } state) listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.MeasurementsCompleted = (_, state) => ((PrometheusInstrument)state!).RemoveAll();
        _listener.SetMeasurementEventCallback<long>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<int>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<short>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<byte>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<double>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<float>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, v, tags, s) => Record(s, (double)v, tags));
        Registry.AddBeforeCollectCallback(ReadObservables);
        _listener.Start();
    }

    /// <summary>The registry /metrics renders.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The refusals logged so far, one sentence each.</summary>
    public IReadOnlyList<string> Refused
    {
        get
        {
            lock (_lock) return [.. _refused];
        }
    }

    /// <summary>Reads the observable instruments and writes every metric family to <paramref name="body"/>.</summary>
    public Task WriteAsync(Stream body, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(body, ExpositionFormat.PrometheusText, cancellationToken);

    /// <summary>The exposition as a string (tests).</summary>
    public async Task<string> ScrapeAsync()
    {
        using var text = new MemoryStream();
        await WriteAsync(text, CancellationToken.None).ConfigureAwait(false);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>The Prometheus name ovslb gives an instrument, e.g. <c>ovslb.connections</c> → <c>ovslb_connections_total</c>.</summary>
    public static string MetricName(Instrument instrument) => PrometheusInstrument.MetricName(instrument);

    private void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var instrument = (PrometheusInstrument)state!;
        instrument.Record(value, tags);
        if (instrument.LabelMismatch is { } mismatch)
        {
            lock (_lock)
            {
                if (_mismatchReported.Add(instrument))
                {
                    Refuse($"metric {instrument.Name}: some measurements of instrument '{instrument.Instrument.Name}' of meter '{instrument.Instrument.Meter.Name}' are not exported: {mismatch}");
                }
            }
        }
    }

    /// <summary>Before each scrape: every observable callback runs, and series it no longer reports leave.</summary>
    private void ReadObservables()
    {
        lock (_read)
        {
            List<PrometheusInstrument> observable;
            lock (_lock) observable = [.. _names.Values.Where(i => i.Observable && i.Instrument.Enabled)];
            foreach (var i in observable) i.BeginRead();
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (Exception e)
            {
                // One failing callback must not cost the whole scrape: what was read is rendered.
                _log.LogWarning(e, "Status /metrics: an observable instrument's callback failed");
            }
            foreach (var i in observable) i.EndRead();
        }
    }

    private PrometheusInstrument? Accept(Instrument instrument)
    {
        if (!_meters.Contains(instrument.Meter)) return null;
        var state = PrometheusInstrument.Create(instrument, _factory);
        if (state is null) return null;
        string name = state.Name;
        lock (_lock)
        {
            if (instrument.Description is { } help && help.AsSpan().IndexOfAny('\\', '\n') >= 0)
            {
                // prometheus-net writes HELP unescaped: one such line makes the whole exposition unreadable.
                Refuse($"metric {name}: instrument '{instrument.Name}' of meter '{instrument.Meter.Name}' is not exported: " +
                       "its description has a backslash or line feed, which prometheus-net writes unescaped into HELP");
                return null;
            }
            // An instrument no longer enabled was unpublished (its meter disposed): its name is free again.
            if (_names.TryGetValue(name, out var other) && !ReferenceEquals(other.Instrument, instrument) && other.Instrument.Enabled)
            {
                Refuse($"metric {name}: instrument '{instrument.Name}' of meter '{instrument.Meter.Name}' is not exported: " +
                       $"its name becomes the same Prometheus name as instrument '{other.Instrument.Name}' of meter '{other.Instrument.Meter.Name}', which is exported; rename one of them");
                return null;
            }
            _names[name] = state;
            return state;
        }
    }

    private void Refuse(string message)
    {
        _refused.Add(message);
        _log.LogError("Status /metrics: {Refusal}", message);
    }

    public void Dispose() => _listener.Dispose();
}
