using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;

namespace OvsLb.Controller.Status;

/// <summary>
/// One exported instrument and the prometheus-net collector that holds its values. prometheus-net's
/// own meter adapter is not used: it prefixes the meter name, exports .NET counters as gauges without
/// <c>_total</c> and keeps ms histograms in ms, which broke every dashboard and <c>rate()</c> written
/// against ovslb's names. Here the name, type and unit are ovslb's documented ones, and prometheus-net
/// still keeps the series and writes the exposition.
/// <para>
/// The collector is created at the first measurement, with that measurement's tag keys (sorted) as its
/// label names: prometheus-net fixes a family's label names at creation. A later measurement with other
/// tag keys cannot be stored and is reported once (<see cref="LabelMismatch"/>).
/// </para>
/// </summary>
internal sealed class PrometheusInstrument
{
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MetricFactory _factory;
    private readonly Lock _lock = new();
    private string[]? _labelNames;
    private Collector? _collector;
    // Label values of every series stored, by their joined key; for an observable, those seen in the current read.
    private readonly Dictionary<string, string[]> _series = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenThisRead = new(StringComparer.Ordinal);

    private PrometheusInstrument(Instrument instrument, Kind kind, bool accumulate, MetricFactory factory)
    {
        Instrument = instrument;
        TypeKind = kind;
        Accumulate = accumulate;
        _factory = factory;
        var (suffix, scale) = Unit(instrument.Unit);
        Scale = scale;
        string name = Sanitize(instrument.Name, allowColon: true);
        if (!name.EndsWith(suffix, StringComparison.Ordinal)) name += suffix;
        if (kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
        Name = name;
        Help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
    }

    public enum Kind { Counter, Gauge, Histogram }

    public Instrument Instrument { get; }
    public Kind TypeKind { get; }
    /// <summary>Measurements are deltas (Counter, UpDownCounter, Histogram), not the current value.</summary>
    public bool Accumulate { get; }
    public bool Observable => Instrument.IsObservable;
    /// <summary>The Prometheus family name: ovslb's, e.g. <c>ovslb_connections_total</c>.</summary>
    public string Name { get; }
    public string Help { get; }
    /// <summary>Factor from the instrument's unit to the base unit in the name (ms → s: 0.001).</summary>
    public double Scale { get; }
    /// <summary>Set when a measurement came with other tag keys than the first one.</summary>
    public string? LabelMismatch { get; private set; }

    /// <summary>The exported form of an instrument, or null for a kind that has no Prometheus type.</summary>
    public static PrometheusInstrument? Create(Instrument instrument, MetricFactory factory)
    {
        var t = instrument.GetType();
        var def = t.IsGenericType ? t.GetGenericTypeDefinition() : null;
        if (def == typeof(Counter<>)) return new(instrument, Kind.Counter, true, factory);
        if (def == typeof(ObservableCounter<>)) return new(instrument, Kind.Counter, false, factory);
        if (def == typeof(UpDownCounter<>)) return new(instrument, Kind.Gauge, true, factory);
        if (def == typeof(ObservableUpDownCounter<>) || def == typeof(ObservableGauge<>) || def == typeof(Gauge<>)) return new(instrument, Kind.Gauge, false, factory);
        if (def == typeof(Histogram<>)) return new(instrument, Kind.Histogram, true, factory);
        return null;
    }

    /// <summary>The metric name of an instrument as ovslb exports it (see <see cref="Name"/>).</summary>
    public static string MetricName(Instrument instrument) => Create(instrument, Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()))?.Name
        ?? Sanitize(instrument.Name, allowColon: true);

    /// <summary>
    /// The name suffix and scale for a UCUM unit as System.Diagnostics.Metrics uses them: "ms" →
    /// ("_seconds", 0.001); annotations such as "{message}" and unknown units add nothing.
    /// </summary>
    public static (string Suffix, double Scale) Unit(string? unit) => unit switch
    {
        "s" => ("_seconds", 1),
        "ms" => ("_seconds", 1e-3),
        "us" or "µs" => ("_seconds", 1e-6),
        "ns" => ("_seconds", 1e-9),
        "By" => ("_bytes", 1),
        "1" => ("_ratio", 1),
        _ => ("", 1),
    };

    /// <summary>Every character Prometheus does not allow becomes '_' (dots included); a leading digit gets '_' before it.</summary>
    public static string Sanitize(string s, bool allowColon)
    {
        if (s.Length == 0) return "_";
        var b = new StringBuilder(s.Length + 1);
        if (char.IsAsciiDigit(s[0])) b.Append('_');
        foreach (char c in s) b.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        return b.ToString();
    }

    /// <summary>Stores one measurement (scaled to the base unit) in its series.</summary>
    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new KeyValuePair<string, string>[tags.Length];
        for (int i = 0; i < tags.Length; i++) pairs[i] = new(Sanitize(tags[i].Key, allowColon: false), Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var names = pairs.Select(p => p.Key).ToArray();
        var values = pairs.Select(p => p.Value).ToArray();
        value *= Scale;
        lock (_lock)
        {
            if (_collector is null && LabelMismatch is null)
            {
                try
                {
                    _collector = CreateCollector(names);
                    _labelNames = names;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // e.g. a family of this name left by an unpublished instrument with other labels:
                    // never throw into the code that counted.
                    LabelMismatch = $"prometheus-net refused the family: {e.Message}";
                }
            }
            if (_collector is null) return;
            if (!_labelNames!.AsSpan().SequenceEqual(names))
            {
                LabelMismatch ??= $"tags ({string.Join(", ", names)}) differ from the first measurement's ({string.Join(", ", _labelNames!)}); such measurements are dropped";
                return;
            }
            string key = string.Join('\0', values);
            _series.TryAdd(key, values);
            if (Observable) _seenThisRead.Add(key);
            switch (_collector)
            {
                case Prometheus.Counter c when Accumulate: c.WithLabels(values).Inc(value); break;
                case Prometheus.Counter c: c.WithLabels(values).IncTo(value); break;
                case Prometheus.Gauge g when Accumulate: g.WithLabels(values).Inc(value); break;
                case Prometheus.Gauge g: g.WithLabels(values).Set(value); break;
                case Prometheus.Histogram h: h.WithLabels(values).Observe(value); break;
            }
        }
    }

    /// <summary>Before an observable instrument is read: forget which series it reported last time.</summary>
    public void BeginRead()
    {
        lock (_lock) _seenThisRead.Clear();
    }

    /// <summary>After it was read: the series it no longer reports (a removed service, a gone bridge) leave.</summary>
    public void EndRead()
    {
        lock (_lock)
        {
            foreach (var key in _series.Keys.Where(k => !_seenThisRead.Contains(k)).ToList()) Remove(key);
        }
    }

    /// <summary>The instrument was unpublished (its meter disposed): all its series leave.</summary>
    public void RemoveAll()
    {
        lock (_lock)
        {
            foreach (var key in _series.Keys.ToList()) Remove(key);
        }
    }

    private void Remove(string key)
    {
        var values = _series[key];
        _series.Remove(key);
        switch (_collector)
        {
            case Prometheus.Counter c: c.RemoveLabelled(values); break;
            case Prometheus.Gauge g: g.RemoveLabelled(values); break;
            case Prometheus.Histogram h: h.RemoveLabelled(values); break;
        }
    }

    private Collector CreateCollector(string[] labelNames) => TypeKind switch
    {
        Kind.Counter => _factory.CreateCounter(Name, Help, labelNames),
        Kind.Gauge => _factory.CreateGauge(Name, Help, labelNames),
        _ => _factory.CreateHistogram(Name, Help, labelNames, new HistogramConfiguration { Buckets = Buckets() }),
    };

    /// <summary>The instrument's advised boundaries (scaled to the base unit), else 0.5 ms … 10 s for durations.</summary>
    private double[] Buckets()
    {
        var advised = Instrument switch
        {
            Histogram<double> d => d.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> f => f.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            Histogram<long> l => l.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            Histogram<int> n => n.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            _ => null,
        };
        if (advised is { Length: > 0 }) return [.. advised.Select(b => b * Scale).Order()];
        return Unit(Instrument.Unit).Suffix == "_seconds" ? SecondsBuckets : DefaultBuckets;
    }
}
