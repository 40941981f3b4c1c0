using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// The per-switch counters a real bridge produces, read through a <see cref="MeterListener"/> as any
/// metrics exporter would: messages in/out by type, connections, bundle commits, reconcile durations,
/// all tagged with the datapath id in OVS's 16-hex-digit form.
/// </summary>
[TestFixture, Category("Ovs")]
public class MetricsTests
{
    [Test]
    public async Task A_connected_bridge_is_counted_per_datapath()
    {
        var seen = new ConcurrentQueue<(string Name, double Value, string? Dpid, string? Type)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Name == ControllerMetrics.MeterName) l.EnableMeasurementEvents(i); },
        };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? dpid = null, type = null;
            foreach (var t in tags)
            {
                if (t.Key == "datapath_id") dpid = t.Value as string;
                if (t.Key == "type") type = t.Value as string;
            }
            seen.Enqueue((i.Name, v, dpid, type));
        }
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();

        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brm", 0xe5);
        await using var c = new RunningController(TestStates.Patch());
        ovs.SetController("brm", c.Target);
        c.WaitReady(0xe5);
        listener.RecordObservableInstruments();

        const string dp = "00000000000000e5";
        var mine = seen.Where(m => m.Dpid == dp).ToList();
        Assert.That(mine.Where(m => m.Name == "ovslb.connections").Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(mine.Where(m => m.Name == "ovslb.bundle_commits").Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(mine.Any(m => m.Name == "ovslb.messages.in" && m.Type == "OFPST_FLOW reply"), Is.True);
        Assert.That(mine.Any(m => m.Name == "ovslb.messages.out" && m.Type == "ONFT_BUNDLE_ADD_MESSAGE"), Is.True);
        Assert.That(mine.Where(m => m.Name == "ovslb.messages.out" && m.Type == "ONFT_BUNDLE_ADD_MESSAGE").Sum(m => m.Value), Is.EqualTo(2), "two patch flows, one bundle");
        Assert.That(mine.Any(m => m.Name == "ovslb.reconcile.duration" && m.Value > 0), Is.True);
        Assert.That(mine.Any(m => m.Name == "ovslb.reconcile.last_duration" && m.Value > 0), Is.True);
        Assert.That(seen.Where(m => m.Name.StartsWith("ovslb.", StringComparison.Ordinal) && m.Dpid is null && m.Name != "ovslb.messages.in" && m.Name != "ovslb.messages.out"), Is.Empty,
            "every switch measurement carries datapath_id");
    }

    /// <summary>
    /// Every message in and out is counted: that path runs per PACKET_IN, so it must not allocate and must
    /// not go through a listener (an exporter's work per <c>Counter.Add</c>): the counts are read when
    /// the observable counters are, and then they equal the messages counted.
    /// </summary>
    [Test]
    public async Task Counting_a_message_allocates_nothing_and_is_read_at_collection()
    {
        var observed = new ConcurrentDictionary<(string Instrument, string? Type), long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Name == ControllerMetrics.MeterName) l.EnableMeasurementEvents(i); },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            if (!i.IsObservable) return;
            string? dp = null, type = null;
            foreach (var t in tags)
            {
                if (t.Key == "datapath_id") dp = t.Value as string;
                if (t.Key == "type") type = t.Value as string;
            }
            if (dp == "00000000000000e6") observed[(i.Name, type)] = v;
        });
        listener.Start();

        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("bra", 0xe6);
        await using var c = new RunningController(TestStates.Patch());
        ovs.SetController("bra", c.Target);
        var session = c.WaitReady(0xe6);
        var metrics = c.Controller.Metrics;
        var echo = new EchoMessage(false, Bytes.Empty);
        metrics.MessageIn(session, echo);
        metrics.MessageOut(session, echo);
        metrics.PacketIn(session);
        listener.RecordObservableInstruments();
        var before = new Dictionary<(string, string?), long>(observed);

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            metrics.MessageIn(session, echo);
            metrics.MessageOut(session, echo);
            metrics.PacketIn(session);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.That(allocated, Is.Zero, "bytes allocated by 1000 x (message in, message out, packet-in) counted");

        listener.RecordObservableInstruments();
        foreach (var name in new[] { "ovslb.messages.in", "ovslb.messages.out" })
        {
            Assert.That(observed[(name, "OFPT_ECHO_REQUEST")] - before[(name, "OFPT_ECHO_REQUEST")], Is.EqualTo(1000), name);
        }
        Assert.That(observed[("ovslb.packet_ins", null)] - before[("ovslb.packet_ins", null)], Is.EqualTo(1000), "ovslb.packet_ins");
    }

    /// <summary>
    /// What counting one message costs, in one run: <c>Counter.Add</c> with the two tags through
    /// prometheus-net's meter adapter (how messages were counted before) against
    /// <see cref="ControllerMetrics.MessageIn"/> now. A measurement, not a test: it prints both figures for
    /// the README and asserts nothing about speed (speed is never a pass/fail criterion of the suite), so it
    /// runs only when asked: <c>dotnet test tests/OvsLb.Runtime.Tests -c Release --filter Name~Counting_a_message_cost</c>.
    /// </summary>
    [Test, Explicit("measurement for README: run on purpose")]
    public async Task Counting_a_message_cost_against_a_counter_add_through_the_meter_adapter()
    {
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brc", 0xe7);
        await using var c = new RunningController(TestStates.Patch());
        ovs.SetController("brc", c.Target);
        var session = c.WaitReady(0xe7);
        var metrics = c.Controller.Metrics;
        var echo = new EchoMessage(false, Bytes.Empty);

        using var meter = new Meter("OvsLb.Test.Cost." + Guid.NewGuid().ToString("N")[..8]);
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var adapter = Prometheus.MeterAdapter.StartListening(new Prometheus.MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = Prometheus.Metrics.WithCustomRegistry(registry),
            InstrumentFilterPredicate = i => ReferenceEquals(i.Meter, meter) || i.Meter.Name == ControllerMetrics.MeterName,
        });
        var counter = meter.CreateCounter<long>("test.messages.in");
        const int N = 1_000_000;
        double Measure(Action count)
        {
            for (int i = 0; i < 10_000; i++) count();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < N; i++) count();
            return sw.Elapsed.TotalNanoseconds / N;
        }
        double adapterNs = 0, nowNs = 0;
        for (int run = 0; run < 3; run++)
        {
            adapterNs = Measure(() => counter.Add(1, new KeyValuePair<string, object?>("datapath_id", session.DatapathIdText), new KeyValuePair<string, object?>("type", echo.OvsName)));
            nowNs = Measure(() => metrics.MessageIn(session, echo));
            TestContext.Out.WriteLine($"run {run + 1}: Counter.Add through the meter adapter {adapterNs:F0} ns, MessageIn {nowNs:F0} ns (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        }
    }
}
