using System.Diagnostics.Metrics;
using OvsLb.Controller.Status;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// /metrics as prometheus-net renders our instruments (<see cref="PrometheusMetrics"/>), checked by the
/// strict 0.0.4 reader and, when installed, by Prometheus's own <c>promtool check metrics</c>.
/// </summary>
[TestFixture]
public class PrometheusMetricsTests
{
    private static string MeterName() => "OvsLb.Test." + Guid.NewGuid().ToString("N")[..8];

    private static void AssertPromtoolAccepts(string text)
    {
        var r = PrometheusExposition.Promtool(text);
        if (r is null)
        {
            TestContext.Out.WriteLine("promtool not installed (Debian package prometheus): format checked by the built-in reader only");
            return;
        }
        Assert.That(r.ExitCode, Is.Zero, $"promtool check metrics:\n{r.Stdout}{r.Stderr}\n--- exposition ---\n{text}");
    }

    [Test]
    public async Task Every_instrument_kind_we_use_becomes_a_valid_family_with_the_recorded_values()
    {
        string name = MeterName();
        using var meter = new Meter(name);
        using var metrics = new PrometheusMetrics([meter]);
        var requests = meter.CreateCounter<long>("test.requests", "{request}", "Requests handled");
        var latency = meter.CreateHistogram<double>("test.latency", "ms", "Request latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10, 100] });
        var plain = meter.CreateHistogram<double>("test.duration", "ms", "Durations without advice");
        long observed = 41;
        meter.CreateObservableCounter("test.observed", () => observed, "By", "Bytes seen");
        meter.CreateObservableGauge("test.queue", () => new[] { new Measurement<int>(3, new KeyValuePair<string, object?>("queue", "a")), new Measurement<int>(5, new KeyValuePair<string, object?>("queue", "b")) });

        requests.Add(2, new KeyValuePair<string, object?>("path", "/x"), new KeyValuePair<string, object?>("code", "200"));
        requests.Add(3, new KeyValuePair<string, object?>("code", "200"), new KeyValuePair<string, object?>("path", "/x")); // same series, other tag order
        requests.Add(1, new KeyValuePair<string, object?>("path", "/y"), new KeyValuePair<string, object?>("code", "404"));
        foreach (var ms in new[] { 0.5, 5.0, 50.0, 500.0, 5.0 }) latency.Record(ms);
        plain.Record(3);
        observed = 42;

        string text = await metrics.ScrapeAsync();
        TestContext.Out.WriteLine(text);
        var samples = PrometheusExposition.Parse(text);
        AssertPromtoolAccepts(text);

        // Counters are Prometheus counters named ..._total; the unit goes into the name in base units.
        Assert.That(text, Does.Contain("# TYPE test_requests_total counter\n"));
        Assert.That(text, Does.Contain("# TYPE test_observed_bytes_total counter\n"));
        Assert.That(text, Does.Contain("# TYPE test_queue gauge\n"));
        Assert.That(samples.Where(s => s.Name == $"test_requests_total").Select(s => (s["path"], s["code"], s.Value)),
            Is.EquivalentTo(new[] { ("/x", "200", 5.0), ("/y", "404", 1.0) }));
        Assert.That(samples.Single(s => s.Name == "test_observed_bytes_total").Value, Is.EqualTo(42));
        Assert.That(samples.Where(s => s.Name == $"test_queue").Select(s => (s["queue"], s.Value)), Is.EquivalentTo(new[] { ("a", 3.0), ("b", 5.0) }));

        // ms histograms are reported in seconds, with the advised bounds scaled.
        Assert.That(text, Does.Contain("# TYPE test_latency_seconds histogram\n"));
        var buckets = samples.Where(s => s.Name == "test_latency_seconds_bucket").Select(s => (s["le"], s.Value)).ToList();
        Assert.That(buckets, Is.EqualTo(new[] { ("0.001", 1.0), ("0.01", 3.0), ("0.1", 4.0), ("+Inf", 5.0) }));
        Assert.That(samples.Single(s => s.Name == "test_latency_seconds_count").Value, Is.EqualTo(5));
        Assert.That(samples.Single(s => s.Name == "test_latency_seconds_sum").Value, Is.EqualTo(0.5605).Within(1e-9));
        // Without advice, durations get 0.5 ms .. 10 s.
        Assert.That(samples.Where(s => s.Name == "test_duration_seconds_bucket").Select(s => s["le"]),
            Is.EqualTo(new[] { "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf" }));
        // prometheus-net's default process and .NET metrics are not in a private registry.
        Assert.That(samples.Where(s => s.Name.StartsWith("process_", StringComparison.Ordinal) || s.Name.StartsWith("dotnet_", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task Label_values_are_escaped_and_names_sanitised()
    {
        string name = MeterName();
        using var meter = new Meter(name);
        using var metrics = new PrometheusMetrics([meter]);
        var c = meter.CreateCounter<long>("9test.Odd-Name.with dots", null, "Odd name");
        string nasty = "say \"hi\"\\ \nbye";
        c.Add(7, new KeyValuePair<string, object?>("weird.key-1", nasty), new KeyValuePair<string, object?>("flag", "true"));

        string text = await metrics.ScrapeAsync();
        var samples = PrometheusExposition.Parse(text);
        AssertPromtoolAccepts(text);

        var s = samples.Single(x => x.Name.Contains("test_Odd", StringComparison.Ordinal));
        Assert.That(s.Name, Is.EqualTo("_9test_Odd_Name_with_dots_total"));
        Assert.That(s.Name, Is.EqualTo(PrometheusMetrics.MetricName(c)));
        Assert.That(s.Labels, Is.EquivalentTo(new Dictionary<string, string> { ["weird_key_1"] = nasty, ["flag"] = "true" }));
        Assert.That(s.Value, Is.EqualTo(7));
    }

    /// <summary>
    /// prometheus-net writes HELP text as it is, where the format wants a backslash and a line feed
    /// escaped: an instrument whose description has one would make the whole exposition unreadable
    /// (promtool rejects it). Such an instrument is refused with an error; the others are exported.
    /// </summary>
    [Test]
    public async Task An_instrument_whose_description_the_library_cannot_write_is_refused_and_the_rest_stays_valid()
    {
        string name = MeterName();
        using var logs = new RecordingLoggerProvider();
        using var factory = logs.Factory();
        using var meter = new Meter(name);
        using var metrics = new PrometheusMetrics([meter], factory.CreateLogger("test"));
        meter.CreateCounter<long>("test.bad", null, "Help with a \\ backslash\nand a new line").Add(1);
        meter.CreateCounter<long>("test.good", null, "Plain help").Add(2);

        string text = await metrics.ScrapeAsync();
        AssertPromtoolAccepts(text);
        var samples = PrometheusExposition.Parse(text);
        Assert.That(samples.Select(s => (s.Name, s.Value)), Is.EqualTo(new[] { ("test_good_total", 2.0) }));
        Assert.That(logs.Lines, Has.One.Contains($"metric test_bad_total: instrument 'test.bad' of meter '{name}' is not exported: its description has a backslash or line feed"));
    }

    [Test]
    public async Task Only_the_given_meter_instances_are_exported()
    {
        string chosen = MeterName();
        using var mine = new Meter(chosen);
        using var sameName = new Meter(chosen);   // another controller's meter in the same process
        using var metrics = new PrometheusMetrics([mine]);
        mine.CreateCounter<long>("test.count").Add(1);
        sameName.CreateCounter<long>("test.count").Add(100);
        using var other = new Meter(MeterName());
        other.CreateCounter<long>("test.other").Add(1);

        var samples = PrometheusExposition.Parse(await metrics.ScrapeAsync()).Where(s => !s.Name.StartsWith("prometheus_net_", StringComparison.Ordinal));
        Assert.That(samples.Select(s => (s.Name, s.Value)), Is.EqualTo(new[] { ("test_count_total", 1.0) }));
    }

    /// <summary>
    /// "a.b" and "a-b" (or "a" in bytes and "a.bytes") are one Prometheus name: prometheus-net would fold both
    /// instruments into one metric. The second is refused with an error naming both, and the first is exported alone.
    /// </summary>
    [Test]
    public async Task Two_instruments_with_one_prometheus_name_export_only_the_first_and_log_an_error_naming_both()
    {
        string name = MeterName();
        using var logs = new RecordingLoggerProvider();
        using var factory = logs.Factory();
        using var meter = new Meter(name);
        using var metrics = new PrometheusMetrics([meter], factory.CreateLogger("test"));
        var first = meter.CreateCounter<long>("test.sent.bytes");
        var second = meter.CreateCounter<long>("test.sent-bytes");
        var third = meter.CreateObservableCounter("test.sent", () => 1000L, "By");
        first.Add(5);
        second.Add(7);

        var samples = PrometheusExposition.Parse(await metrics.ScrapeAsync());
        Assert.That(samples.Where(s => s.Name == "test_sent_bytes_total").Select(s => s.Value), Is.EqualTo(new[] { 5.0 }));
        Assert.That(metrics.Refused, Has.Count.EqualTo(2));
        foreach (var refused in new[] { "test.sent-bytes", "test.sent" })
        {
            Assert.That(logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal)),
                Has.One.Contains($"metric test_sent_bytes_total: instrument '{refused}' of meter '{name}' is not exported")
                    .And.Contains($"instrument 'test.sent.bytes' of meter '{name}', which is exported"));
        }
    }

    /// <summary>
    /// Observable instruments are read before each scrape: a series the callback no longer reports goes
    /// at the next scrape, as a removed service's gauges should. A counter that is not added to keeps its value.
    /// </summary>
    [Test]
    public async Task A_series_an_observable_no_longer_reports_goes_and_an_idle_counter_stays()
    {
        string name = MeterName();
        using var meter = new Meter(name);
        using var metrics = new PrometheusMetrics([meter]);
        string[] services = ["a", "b"];
        meter.CreateObservableGauge("test.backends", () => services.Select(s => new Measurement<int>(2, new KeyValuePair<string, object?>("service", s))));
        meter.CreateCounter<long>("test.errors").Add(3);

        Assert.That(PrometheusExposition.Parse(await metrics.ScrapeAsync()).Where(s => s.Name == "test_backends").Select(s => s["service"]), Is.EquivalentTo(services));
        services = ["a"];
        IReadOnlyList<Sample> now = [];
        bool gone = ProcessRunner.WaitUntil(() =>
        {
            now = PrometheusExposition.Parse(metrics.ScrapeAsync().GetAwaiter().GetResult());
            return now.Where(s => s.Name == "test_backends").Select(s => s["service"]).SequenceEqual(["a"]);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        Assert.That(gone, Is.True, "service b's series is still exported");
        Assert.That(now.Single(s => s.Name == "test_errors_total").Value, Is.EqualTo(3), "the idle counter");
    }

    [Test]
    public void The_reader_rejects_what_the_format_forbids()
    {
        // The strict reader is the test's referee: show it fails on the mistakes it is meant to catch.
        string[] bad =
        [
            "x 1",                                                           // no trailing line feed
            "# random comment\nx 1\n",                                       // comment other than HELP/TYPE (stricter than the spec: we write none)
            "x{a=\"1\"} 1\nx{a=\"1\"} 2\n",                                  // duplicate series
            "x{a=1} 1\n",                                                    // unquoted label value
            "x{a=\"\\t\"} 1\n",                                              // unknown escape
            "# TYPE x counter\nx -1\n",                                      // negative counter
            "x{a=\"1\"} 1\ny 1\nx{a=\"2\"} 2\n",                               // interleaved families
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",                        // no +Inf
            "x 1\n# TYPE x gauge\n",                                         // TYPE after samples
            "x{1a=\"v\"} 1\n",                                               // bad label name
            "x one\n",                                                       // bad value
        ];
        foreach (var text in bad)
        {
            Assert.That(() => PrometheusExposition.Parse(text), Throws.TypeOf<FormatException>(), text);
        }
        Assert.That(PrometheusExposition.Parse("# HELP x a\n# TYPE x gauge\nx{a=\"q\\\"\\\\\\n\"} +Inf\n").Single()["a"], Is.EqualTo("q\"\\\n"));
    }
}
