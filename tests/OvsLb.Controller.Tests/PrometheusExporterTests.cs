using System.Diagnostics.Metrics;
using OvsLb.Controller.Status;

namespace OvsLb.Controller.Tests;

/// <summary>
/// The MeterListener exporter on instruments of every kind, checked by the strict 0.0.4 reader and,
/// when installed, by Prometheus's own <c>promtool check metrics</c>.
/// </summary>
[TestFixture]
public class PrometheusExporterTests
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
    public void Every_instrument_kind_becomes_a_valid_family_with_the_recorded_values()
    {
        string name = MeterName();
        using var meter = new Meter(name);
        using var exporter = new PrometheusExporter([name]);
        exporter.Start();
        var requests = meter.CreateCounter<long>("test.requests", "{request}", "Requests handled");
        var inFlight = meter.CreateUpDownCounter<int>("test.in_flight", "{request}", "Requests in progress");
        var latency = meter.CreateHistogram<double>("test.latency", "ms", "Request latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10, 100] });
        var temperature = meter.CreateGauge<double>("test.temperature", "Cel", "Last temperature");
        long observed = 41;
        meter.CreateObservableCounter("test.observed", () => observed, "By", "Bytes seen");
        meter.CreateObservableGauge("test.queue", () => new[] { new Measurement<int>(3, new KeyValuePair<string, object?>("queue", "a")), new Measurement<int>(5, new KeyValuePair<string, object?>("queue", "b")) });

        requests.Add(2, new KeyValuePair<string, object?>("path", "/x"), new KeyValuePair<string, object?>("code", 200));
        requests.Add(3, new KeyValuePair<string, object?>("code", 200), new KeyValuePair<string, object?>("path", "/x")); // same series, other tag order
        requests.Add(1, new KeyValuePair<string, object?>("path", "/y"), new KeyValuePair<string, object?>("code", 404));
        inFlight.Add(4);
        inFlight.Add(-1);
        foreach (var ms in new[] { 0.5, 5.0, 50.0, 500.0, 5.0 }) latency.Record(ms);
        temperature.Record(20.5);
        temperature.Record(21.25);
        observed = 42;

        string text = exporter.Scrape();
        var samples = PrometheusExposition.Parse(text);
        AssertPromtoolAccepts(text);

        Assert.That(text, Does.Contain("# TYPE test_requests_total counter\n"));
        Assert.That(samples.Where(s => s.Name == "test_requests_total").Select(s => (s["path"], s["code"], s.Value)),
            Is.EquivalentTo(new[] { ("/x", "200", 5.0), ("/y", "404", 1.0) }));
        Assert.That(text, Does.Contain("# TYPE test_in_flight gauge\n"));
        Assert.That(samples.Single(s => s.Name == "test_in_flight").Value, Is.EqualTo(3));
        Assert.That(samples.Single(s => s.Name == "test_temperature").Value, Is.EqualTo(21.25));
        Assert.That(text, Does.Contain("# TYPE test_observed_bytes_total counter\n"));
        Assert.That(samples.Single(s => s.Name == "test_observed_bytes_total").Value, Is.EqualTo(42));
        Assert.That(samples.Where(s => s.Name == "test_queue").Select(s => (s["queue"], s.Value)), Is.EquivalentTo(new[] { ("a", 3.0), ("b", 5.0) }));

        // ms → seconds: the advised bounds 1, 10, 100 ms become 0.001, 0.01, 0.1 s.
        Assert.That(text, Does.Contain("# TYPE test_latency_seconds histogram\n"));
        var buckets = samples.Where(s => s.Name == "test_latency_seconds_bucket").Select(s => (s["le"], s.Value)).ToList();
        Assert.That(buckets, Is.EqualTo(new[] { ("0.001", 1.0), ("0.01", 3.0), ("0.1", 4.0), ("+Inf", 5.0) }));
        Assert.That(samples.Single(s => s.Name == "test_latency_seconds_count").Value, Is.EqualTo(5));
        Assert.That(samples.Single(s => s.Name == "test_latency_seconds_sum").Value, Is.EqualTo(0.5605).Within(1e-12));
    }

    [Test]
    public void Label_values_and_help_are_escaped_and_names_sanitised()
    {
        string name = MeterName();
        using var meter = new Meter(name);
        using var exporter = new PrometheusExporter([name]);
        exporter.Start();
        var c = meter.CreateCounter<long>("9test.odd-name.with dots", null, "Help with a \\ backslash\nand a new line");
        string nasty = "say \"hi\"\\ \nbye";
        c.Add(7, new KeyValuePair<string, object?>("weird.key-1", nasty), new KeyValuePair<string, object?>("flag", true));

        string text = exporter.Scrape();
        var samples = PrometheusExposition.Parse(text);
        AssertPromtoolAccepts(text);

        var s = samples.Single();
        Assert.That(s.Name, Is.EqualTo("_9test_odd_name_with_dots_total"));
        Assert.That(s.Labels, Is.EquivalentTo(new Dictionary<string, string> { ["weird_key_1"] = nasty, ["flag"] = "true" }));
        Assert.That(s.Value, Is.EqualTo(7));
        Assert.That(text, Does.Contain("# HELP _9test_odd_name_with_dots_total Help with a \\\\ backslash\\nand a new line\n"));
    }

    [Test]
    public void Only_the_chosen_meters_are_exported_and_a_disposed_meter_disappears()
    {
        string chosen = MeterName(), other = MeterName();
        using var exporter = new PrometheusExporter([chosen]);
        exporter.Start();
        using var otherMeter = new Meter(other);
        otherMeter.CreateCounter<long>("test.other").Add(1);
        var meter = new Meter(chosen);
        meter.CreateCounter<long>("test.mine").Add(1);

        Assert.That(PrometheusExposition.Parse(exporter.Scrape()).Select(s => s.Name), Is.EqualTo(new[] { "test_mine_total" }));
        meter.Dispose();
        Assert.That(exporter.Scrape(), Is.Empty);
    }

    /// <summary>
    /// The controller counts every OpenFlow message with two tags: with the exporter listening, adding to a
    /// known series must not allocate (the series is found from the tag span). Prints the cost per Add.
    /// </summary>
    [Test]
    public void Counting_into_a_known_series_allocates_nothing()
    {
        string name = MeterName();
        using var meter = new Meter(name);
        using var exporter = new PrometheusExporter([name]);
        exporter.Start();
        var counter = meter.CreateCounter<long>("test.messages");
        string dpid = "00000000000000d4", type = "OFPT_PACKET_IN";
        void Add()
        {
            var tags = new System.Diagnostics.TagList { { "datapath_id", dpid }, { "type", type } };
            counter.Add(1, tags);
        }
        for (int i = 0; i < 200_000; i++) Add(); // first series created, code jitted to its final tier
        const int N = 1_000_000;
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < N; i++) Add();
        sw.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - bytes;
        TestContext.Out.WriteLine($"Counter.Add with 2 tags, exporter listening: {sw.Elapsed.TotalNanoseconds / N:0} ns/op, {allocated} bytes allocated over {N} adds");
        Assert.That(allocated, Is.LessThan(1024), "bytes allocated by a million adds to one series");
        Assert.That(PrometheusExposition.Parse(exporter.Scrape()).Single().Value, Is.EqualTo(N + 200_000));
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
