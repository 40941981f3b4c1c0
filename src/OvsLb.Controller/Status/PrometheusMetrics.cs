using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace OvsLb.Controller.Status;

/// <summary>
/// The <c>/metrics</c> exposition of one status server: prometheus-net's meter adapter copies the
/// instruments of the given <see cref="Meter"/>s into a private <see cref="CollectorRegistry"/>, which
/// prometheus-net renders in the text format 0.0.4. Private, not <c>Metrics.DefaultRegistry</c>: a test
/// process runs several controllers, each with its own meters of the same names, and each /metrics
/// must show its own. A private registry also gets none of prometheus-net's default process/.NET
/// metrics (those are added to the default registry only), which ovslb does not export.
/// <para>
/// Two adapters feed the registry: synchronous instruments (counters, histograms) keep their series
/// as long as the library allows (<see cref="SynchronousExpiry"/>), since it holds their accumulated
/// values and an expired series restarts at zero; observable ones are read again before every scrape, so a short expiry only
/// drops the series their callbacks no longer report (a removed service, a disconnected bridge).
/// </para>
/// <para>
/// Names are prometheus-net's: <c>meter name + "_" + instrument name</c>, lower case, every character
/// other than <c>[a-z0-9_]</c> made '_'. Two instruments whose names come out the same would be merged
/// into one metric by the library (their values summed or overwritten) or dropped without a word: the
/// second one is refused here instead, with an error naming both. So is an instrument whose description
/// has a backslash or line feed: prometheus-net writes HELP text unescaped.
/// </para>
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>The content type of the text format prometheus-net writes.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>How long a synchronous instrument's series lives without a measurement: one day, the
    /// longest prometheus-net's meter adapter accepts (it has no "never"). A counter series idle for a
    /// day (a switch that has not reconnected) leaves /metrics and starts again from its next measurement.</summary>
    public static readonly TimeSpan SynchronousExpiry = TimeSpan.FromDays(1);

    /// <summary>Default expiry of the series an observable instrument stopped reporting.</summary>
    public static readonly TimeSpan DefaultObservableExpiry = TimeSpan.FromMinutes(1);

    /// <summary>Buckets for durations in ms without advised boundaries (0.5 ms to 10 s).</summary>
    private static readonly double[] MillisecondBuckets = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly HashSet<Meter> _meters;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Instrument> _names = new(StringComparer.Ordinal);
    private readonly List<string> _refused = [];
    private readonly IDisposable _synchronous, _observable;

    /// <param name="meters">The meters to export (these instances: other meters of the same name are not).</param>
    /// <param name="log">Where a refused instrument is reported.</param>
    /// <param name="observableExpiry">How long a series an observable instrument no longer reports stays (tests shorten it).</param>
    public PrometheusMetrics(IEnumerable<Meter> meters, ILogger? log = null, TimeSpan? observableExpiry = null)
    {
        _meters = [.. meters];
        _log = log ?? NullLogger.Instance;
        Registry = Metrics.NewCustomRegistry();
        // Both Registry and MetricFactory: the options' MetricFactory defaults to the default registry's
        // factory and, when set, wins over Registry (prometheus-net 8.2.1).
        var factory = Metrics.WithCustomRegistry(Registry);
        _synchronous = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = factory,
            InstrumentFilterPredicate = i => !i.IsObservable && Accept(i),
            MetricsExpireAfter = SynchronousExpiry,
            ResolveHistogramBuckets = Buckets,
        });
        _observable = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = factory,
            InstrumentFilterPredicate = i => i.IsObservable && Accept(i),
            MetricsExpireAfter = observableExpiry ?? DefaultObservableExpiry,
            ResolveHistogramBuckets = Buckets,
        });
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

    /// <summary>
    /// The metric name prometheus-net gives an instrument (its meter adapter does not expose it): meter
    /// and instrument name joined by '_', lower case, each character outside <c>[a-z0-9_]</c> made '_',
    /// and '_' put before a first character that is not a letter or '_'.
    /// </summary>
    public static string MetricName(Instrument instrument)
    {
        string input = instrument.Meter.Name + "_" + instrument.Name;
        var name = new StringBuilder(input.Length + 1);
        foreach (char raw in input)
        {
            char c = char.ToLowerInvariant(raw);
            bool letter = c is (>= 'a' and <= 'z') or '_';
            if (name.Length == 0 && !letter) name.Append('_');
            name.Append(letter || c is >= '0' and <= '9' ? c : '_');
        }
        return name.ToString();
    }

    private bool Accept(Instrument instrument)
    {
        if (!_meters.Contains(instrument.Meter)) return false;
        string name = MetricName(instrument);
        lock (_lock)
        {
            if (instrument.Description is { } help && help.AsSpan().IndexOfAny('\\', '\n') >= 0)
            {
                // prometheus-net writes HELP unescaped: one such line makes the whole exposition unreadable.
                Refuse($"metric {name}: instrument '{instrument.Name}' of meter '{instrument.Meter.Name}' is not exported: " +
                       "its description has a backslash or line feed, which prometheus-net writes unescaped into HELP");
                return false;
            }
            // An instrument no longer enabled was unpublished (its meter disposed): its name is free again.
            if (_names.TryGetValue(name, out var other) && !ReferenceEquals(other, instrument) && other.Enabled)
            {
                Refuse($"metric {name}: instrument '{instrument.Name}' of meter '{instrument.Meter.Name}' is not exported: " +
                       $"its name becomes the same Prometheus name as instrument '{other.Name}' of meter '{other.Meter.Name}', which is exported; rename one of them");
                return false;
            }
            _names[name] = instrument;
            return true;
        }
    }

    private void Refuse(string message)
    {
        _refused.Add(message);
        _log.LogError("Status /metrics: {Refusal}", message);
    }

    /// <summary>The instrument's advised boundaries; durations in ms or s get buckets from 0.5 ms to 10 s.</summary>
    private static double[] Buckets(Instrument instrument)
    {
        var advised = instrument switch
        {
            Histogram<double> d => d.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> f => f.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            Histogram<long> l => l.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            Histogram<int> n => n.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            _ => null,
        };
        if (advised is { Length: > 0 }) return [.. advised.Order()];
        return instrument.Unit switch
        {
            "ms" => MillisecondBuckets,
            "s" => [.. MillisecondBuckets.Select(b => b / 1000)],
            _ => MeterAdapterOptions.DefaultHistogramBuckets,
        };
    }

    public void Dispose()
    {
        _synchronous.Dispose();
        _observable.Dispose();
    }
}
