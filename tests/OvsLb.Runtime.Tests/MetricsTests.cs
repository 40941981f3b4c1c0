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
    /// Every message in and out is counted (when an exporter listens): that path runs per PACKET_IN, so it
    /// must not allocate (it did: the datapath_id tag was formatted for every message).
    /// </summary>
    [Test]
    public async Task Counting_a_message_allocates_nothing()
    {
        long counted = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Name == ControllerMetrics.MeterName) l.EnableMeasurementEvents(i); },
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref counted, v));
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

        long before = Interlocked.Read(ref counted);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            metrics.MessageIn(session, echo);
            metrics.MessageOut(session, echo);
            metrics.PacketIn(session);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.That(Interlocked.Read(ref counted) - before, Is.GreaterThanOrEqualTo(3000), "the listener saw the measurements");
        Assert.That(allocated, Is.Zero, "bytes allocated by 1000 x (message in, message out, packet-in) counted");
    }
}
