using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace OvsLb.Controller.Status;

/// <summary>
/// Turns <see cref="System.Diagnostics.Metrics"/> instruments into the Prometheus text format 0.0.4,
/// with nothing but a <see cref="MeterListener"/>: the controller needs no exporter package.
/// <list type="bullet">
/// <item><c>Counter&lt;T&gt;</c>, <c>ObservableCounter&lt;T&gt;</c> → <c>counter</c>, name + <c>_total</c>;</item>
/// <item><c>UpDownCounter&lt;T&gt;</c>, <c>ObservableUpDownCounter&lt;T&gt;</c>, <c>Gauge&lt;T&gt;</c>, <c>ObservableGauge&lt;T&gt;</c> → <c>gauge</c>;</item>
/// <item><c>Histogram&lt;T&gt;</c> → <c>histogram</c>: cumulative <c>_bucket{le=...}</c>, <c>_sum</c>, <c>_count</c>
/// (bounds from the instrument's advice, else defaults for its unit).</item>
/// </list>
/// Names: dots and other characters Prometheus does not allow become '_', and the unit in base units is
/// appended (ms instruments are reported in seconds); tags become labels. Synchronous instruments are
/// aggregated as they are recorded (one lookup, no allocation for a known tag set); observable ones are
/// read at each scrape.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>New tag sets beyond this many per instrument are dropped (a runaway tag cannot eat memory).</summary>
    public const int MaxSeriesPerInstrument = 10_000;

    private static readonly double[] SecondsBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly HashSet<string> _meters;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _scrape = new();

    /// <param name="meterNames">Meters to export (e.g. "OvsLb.Controller").</param>
    public PrometheusExporter(IEnumerable<string> meterNames)
    {
        _meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_meters.Contains(instrument.Meter.Name) || InstrumentState.Create(instrument) is not { } state) return;
            _instruments[instrument] = state;
            listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _);
        _listener.SetMeasurementEventCallback<long>((_, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>((_, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<short>((_, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<byte>((_, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>((_, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>((_, v, tags, s) => ((InstrumentState)s!).Record(v, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, v, tags, s) => ((InstrumentState)s!).Record((double)v, tags));
    }

    /// <summary>Starts listening: existing instruments of the chosen meters are picked up, later ones as they are created.</summary>
    public void Start() => _listener.Start();

    /// <summary>Scrapes in which an observable callback threw (its family is missing from that scrape).</summary>
    public long ScrapeErrors { get; private set; }

    /// <summary>The message of the latest callback failure, if any.</summary>
    public string? LastScrapeError { get; private set; }

    /// <summary>Reads the observable instruments and renders every metric family, sorted by name.</summary>
    public string Scrape()
    {
        var text = new StringBuilder();
        lock (_scrape)
        {
            var observable = _instruments.Values.Where(s => s.Observable).ToList();
            foreach (var s in observable) s.Reset();
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException e)
            {
                // One failing observable callback must not cost the whole scrape: render what was collected.
                ScrapeErrors++;
                LastScrapeError = e.InnerExceptions.FirstOrDefault()?.Message ?? e.Message;
            }
            foreach (var family in _instruments.Values.GroupBy(s => s.Family, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var first = family.First();
                // Two instruments that sanitise to one name must agree on the type, or the family would be invalid.
                var members = family.Where(s => s.Kind == first.Kind).ToList();
                text.Append("# HELP ").Append(family.Key).Append(' ').Append(PrometheusText.EscapeHelp(first.Help)).Append('\n');
                text.Append("# TYPE ").Append(family.Key).Append(' ').Append(first.Kind.ToString().ToLowerInvariant()).Append('\n');
                foreach (var series in members.SelectMany(m => m.Series.Values).OrderBy(x => x.Tags.Text, StringComparer.Ordinal))
                {
                    series.WriteTo(text, family.Key, first);
                }
            }
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    internal enum MetricKind { Counter, Gauge, Histogram }

    /// <summary>One exported instrument: its Prometheus family and its series by tag set.</summary>
    internal sealed class InstrumentState
    {
        private readonly ConcurrentDictionary<TagSet, Series>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _lookup;

        private InstrumentState(Instrument instrument, MetricKind kind, bool accumulate, bool observable)
        {
            Kind = kind;
            Accumulate = accumulate;
            Observable = observable;
            var (suffix, scale) = PrometheusText.Unit(instrument.Unit);
            Scale = scale;
            string name = PrometheusText.MetricName(instrument.Name);
            if (!name.EndsWith(suffix, StringComparison.Ordinal)) name += suffix;
            if (kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
            Family = name;
            Help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
            if (kind == MetricKind.Histogram)
            {
                Bounds = AdvisedBounds(instrument)?.Select(b => b * scale).Order().ToArray() ?? (suffix == "_seconds" ? SecondsBounds : DefaultBounds);
            }
            _lookup = Series.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
        }

        public MetricKind Kind { get; }
        /// <summary>Measurements are deltas to add (Counter, UpDownCounter), not values to set.</summary>
        public bool Accumulate { get; }
        public bool Observable { get; }
        public string Family { get; }
        public string Help { get; }
        public double Scale { get; }
        public double[] Bounds { get; } = [];
        public ConcurrentDictionary<TagSet, Series> Series { get; } = new(TagSetComparer.Instance);

        public static InstrumentState? Create(Instrument instrument)
        {
            var t = instrument.GetType();
            var def = t.IsGenericType ? t.GetGenericTypeDefinition() : null;
            if (def == typeof(Counter<>)) return new(instrument, MetricKind.Counter, accumulate: true, observable: false);
            if (def == typeof(ObservableCounter<>)) return new(instrument, MetricKind.Counter, accumulate: false, observable: true);
            if (def == typeof(UpDownCounter<>)) return new(instrument, MetricKind.Gauge, accumulate: true, observable: false);
            if (def == typeof(ObservableUpDownCounter<>) || def == typeof(ObservableGauge<>)) return new(instrument, MetricKind.Gauge, accumulate: false, observable: true);
            if (def == typeof(Gauge<>)) return new(instrument, MetricKind.Gauge, accumulate: false, observable: false);
            if (def == typeof(Histogram<>)) return new(instrument, MetricKind.Histogram, accumulate: true, observable: false);
            return null;
        }

        private static IEnumerable<double>? AdvisedBounds(Instrument i) => i switch
        {
            Instrument<double> d => d.Advice?.HistogramBucketBoundaries,
            Instrument<float> f => f.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Instrument<long> l => l.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Instrument<int> n => n.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            _ => null,
        };

        /// <summary>Forgets every series (observable instruments, before they are read again).</summary>
        public void Reset()
        {
            _last = null;
            Series.Clear();
        }

        /// <summary>The series recorded last: a stream of measurements with the same tags (a burst of
        /// PACKET_INs from one switch) skips hashing the tag strings.</summary>
        private Series? _last;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = _last;
            if (series is null || !TagSetComparer.Instance.Equals(tags, series.Tags))
            {
                if (!_lookup.TryGetValue(tags, out series))
                {
                    if (Series.Count >= MaxSeriesPerInstrument) return;
                    var key = TagSetComparer.Instance.Create(tags);
                    series = Series.GetOrAdd(key, new Series(key, Kind == MetricKind.Histogram ? Bounds.Length + 1 : 0));
                }
                _last = series;
            }
            series.Record(value * Scale, this);
        }
    }

    /// <summary>One time series: a value, or a histogram's bucket counts, sum and count.</summary>
    internal sealed class Series(TagSet tags, int buckets)
    {
        public TagSet Tags { get; } = tags;

        private readonly Lock _lock = new();
        private readonly long[] _buckets = new long[buckets];
        private double _value, _sum;
        private long _count;

        public void Record(double v, InstrumentState s)
        {
            if (s.Kind != MetricKind.Histogram && s.Accumulate)
            {
                // Counters take most measurements (one per OpenFlow message): add without the lock.
                double seen = Volatile.Read(ref _value);
                while (true)
                {
                    double was = Interlocked.CompareExchange(ref _value, seen + v, seen);
                    if (was.Equals(seen)) return;
                    seen = was;
                }
            }
            lock (_lock)
            {
                if (s.Kind == MetricKind.Histogram)
                {
                    int i = 0;
                    while (i < s.Bounds.Length && v > s.Bounds[i]) i++;
                    _buckets[i]++;
                    _sum += v;
                    _count++;
                }
                else
                {
                    Volatile.Write(ref _value, v);
                }
            }
        }

        public void WriteTo(StringBuilder text, string family, InstrumentState s)
        {
            var tags = Tags;
            lock (_lock)
            {
                if (s.Kind != MetricKind.Histogram)
                {
                    text.Append(family).Append(tags.Text).Append(' ').Append(PrometheusText.Value(Volatile.Read(ref _value))).Append('\n');
                    return;
                }
                long cumulative = 0;
                for (int i = 0; i <= s.Bounds.Length; i++)
                {
                    cumulative += _buckets[i];
                    string le = i < s.Bounds.Length ? PrometheusText.Value(s.Bounds[i]) : "+Inf";
                    text.Append(family).Append("_bucket").Append(tags.With("le", le)).Append(' ').Append(cumulative).Append('\n');
                }
                text.Append(family).Append("_sum").Append(tags.Text).Append(' ').Append(PrometheusText.Value(_sum)).Append('\n');
                text.Append(family).Append("_count").Append(tags.Text).Append(' ').Append(_count).Append('\n');
            }
        }
    }
}
