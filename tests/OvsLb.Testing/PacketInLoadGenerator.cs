using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;

namespace OvsLb.Testing;

/// <summary>Shape of a packet-in load run.</summary>
public sealed record PacketInLoadOptions
{
    /// <summary>Switches played over separate connections (ovs-testcontroller accepts at most 16).</summary>
    public int Switches { get; init; } = 16;

    /// <summary>PACKET_INs each switch keeps outstanding: a new one is sent for each answer (1..4096).</summary>
    public int Window { get; init; } = 100;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A switch with packet-ins outstanding and no answer for this long counts them lost and sends new ones.</summary>
    public TimeSpan LossTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time allowed for every switch to connect and be handshaken.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public ulong FirstDatapathId { get; init; } = 0xcb00;

    /// <summary>Port the packets arrive on (the PACKET_IN's in_port).</summary>
    public uint InPort { get; init; } = 1;
}

/// <summary>What a packet-in load run measured (replies and latencies within the measured interval only).</summary>
public sealed record PacketInLoadResult
{
    public required int Switches { get; init; }
    public required int Window { get; init; }
    public required TimeSpan Measured { get; init; }
    public required long Replies { get; init; }
    public double RepliesPerSecond => Replies / Measured.TotalSeconds;
    /// <summary>Replies in each whole second of the measured interval.</summary>
    public required IReadOnlyList<long> PerSecond { get; init; }
    public required long P50Micros { get; init; }
    public required long P90Micros { get; init; }
    public required long P99Micros { get; init; }
    public required long P999Micros { get; init; }
    public required long MaxMicros { get; init; }
    /// <summary>Counts over the whole run (warm-up included).</summary>
    public required long PacketInsSent { get; init; }
    public required long ArpReplies { get; init; }
    public required long Floods { get; init; }
    public required long Lost { get; init; }
    /// <summary>PACKET_OUTs that answered no outstanding packet-in (duplicates, unknown sequence numbers).</summary>
    public required long Unmatched { get; init; }
    /// <summary>PACKET_OUTs whose in_port, actions or ARP content were not a valid answer.</summary>
    public required long BadReplies { get; init; }
    /// <summary>FLOW_MODs received while the load ran (after the handshake).</summary>
    public required long FlowModsDuringLoad { get; init; }
}

/// <summary>
/// A cbench-style load generator: plays <see cref="PacketInLoadOptions.Switches"/> OpenFlow 1.3
/// switches (<see cref="FakeSwitch"/>) over loopback, each sending PACKET_INs (reason no_match, no
/// buffer, in_port 1) that carry a 60-byte ARP request, keeping a fixed window outstanding: every
/// PACKET_OUT that answers one (an ARP reply, or the request itself flooded by a learning switch)
/// sends the next. Answers are matched by a 24-bit sequence number carried in the ARP sender IP
/// (10.x.y.z), which an ARP reply returns as its target IP and a flood returns unchanged; latency is
/// from queuing the PACKET_IN to receiving its PACKET_OUT.
/// </summary>
public static class PacketInLoadGenerator
{
    public static readonly MacAddress HostMacBase = new(0x0a_00_00_00_00_00);
    public static readonly Ipv4Address TargetIp = Ipv4Address.Parse("10.255.255.254");

    /// <summary>
    /// Connects, waits until every switch is handshaken (FEATURES answered and an ECHO round trip) and
    /// <paramref name="targetReady"/> (if given) holds, then runs warm-up and the measured interval.
    /// </summary>
    /// <remarks>
    /// <paramref name="onMeasure"/> is called with true just before and false just after the measured interval.
    /// </remarks>
    public static async Task<PacketInLoadResult> RunAsync(IPEndPoint controller, PacketInLoadOptions o, Func<bool>? targetReady = null, TextWriter? progress = null, Action<bool>? onMeasure = null)
    {
        if (o.Window is < 1 or > Driver.RingSize) throw new ArgumentOutOfRangeException(nameof(o), $"window {o.Window} is outside 1..{Driver.RingSize}");
        var drivers = new List<Driver>();
        try
        {
            using var connect = new CancellationTokenSource(o.ConnectTimeout);
            for (int i = 0; i < o.Switches; i++)
            {
                var sw = await FakeSwitch.ConnectAsync(controller, new FakeSwitchOptions { DatapathId = o.FirstDatapathId + (ulong)i }, connect.Token);
                drivers.Add(new Driver(sw, o, new MacAddress(HostMacBase.Value + (ulong)i + 1)));
            }
            foreach (var d in drivers) await d.Switch.FeaturesAnswered.WaitAsync(connect.Token);
            foreach (var d in drivers) await d.Switch.EchoAsync(o.ConnectTimeout);
            if (targetReady is not null && !await ProcessRunner.WaitUntilAsync(targetReady, o.ConnectTimeout))
            {
                throw new TimeoutException($"the controller did not report {o.Switches} switches ready within {o.ConnectTimeout.TotalSeconds:0}s");
            }
            var flowModsBefore = drivers.Sum(d => d.Switch.FlowModsReceived);
            progress?.WriteLine($"  {o.Switches} switches handshaken; warm-up {o.Warmup.TotalSeconds:0.#}s, then {o.Duration.TotalSeconds:0.#}s measured, window {o.Window}/switch");

            using var watchdog = new Timer(_ => { foreach (var d in drivers) d.CheckLoss(); }, null, 100, 100);
            foreach (var d in drivers) d.Start();
            await Task.Delay(o.Warmup);

            onMeasure?.Invoke(true);
            foreach (var d in drivers) d.Measuring = true;
            long first = drivers.Sum(d => d.Replies);
            var sw0 = Stopwatch.StartNew();
            var perSecond = new List<long>();
            long last = first;
            for (int s = 1; s <= (int)Math.Floor(o.Duration.TotalSeconds); s++)
            {
                var wait = TimeSpan.FromSeconds(s) - sw0.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                long now = drivers.Sum(d => d.Replies);
                perSecond.Add(now - last);
                last = now;
            }
            var rest = o.Duration - sw0.Elapsed;
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
            foreach (var d in drivers) d.Measuring = false;
            var measured = sw0.Elapsed;
            onMeasure?.Invoke(false);
            long total = drivers.Sum(d => d.Replies) - first;
            foreach (var d in drivers) d.Stop();

            var hist = new LatencyHistogram();
            foreach (var d in drivers) lock (d) hist.Add(d.Histogram);
            return new PacketInLoadResult
            {
                Switches = o.Switches, Window = o.Window, Measured = measured, Replies = total, PerSecond = perSecond,
                P50Micros = hist.Percentile(50), P90Micros = hist.Percentile(90), P99Micros = hist.Percentile(99),
                P999Micros = hist.Percentile(99.9), MaxMicros = hist.MaxMicros,
                PacketInsSent = drivers.Sum(d => d.Sent), ArpReplies = drivers.Sum(d => d.ArpReplies), Floods = drivers.Sum(d => d.Floods),
                Lost = drivers.Sum(d => d.Lost), Unmatched = drivers.Sum(d => d.Unmatched), BadReplies = drivers.Sum(d => d.BadReplies),
                FlowModsDuringLoad = drivers.Sum(d => d.Switch.FlowModsReceived) - flowModsBefore,
            };
        }
        finally
        {
            foreach (var d in drivers) await d.Switch.DisposeAsync();
        }
    }

    /// <summary>One switch's sender: the PACKET_IN template, the ring of outstanding sequence numbers and the counters.</summary>
    private sealed class Driver
    {
        public const int RingSize = 4096;
        private const int FrameLength = 60;

        private readonly PacketInLoadOptions _o;
        private readonly MacAddress _hostMac;
        private readonly byte[] _template;
        private readonly int _spaOffset;
        private readonly uint[] _ringSeq = new uint[RingSize];
        private readonly long[] _ringSent = new long[RingSize];
        private uint _seq;
        private int _outstanding;
        private long _lastProgress;
        private bool _running;

        public Driver(FakeSwitch sw, PacketInLoadOptions o, MacAddress hostMac)
        {
            Switch = sw;
            _o = o;
            _hostMac = hostMac;
            var frame = new byte[FrameLength];   // padded to the Ethernet minimum, as a switch delivers it
            Frames.TestFrames.ArpRequest(hostMac, Ipv4Address.Any, TargetIp).CopyTo(frame, 0);
            _template = OfpEncoder.ToArray(new PacketIn
            {
                BufferId = FlowMod.NoBuffer, TotalLength = FrameLength, Reason = PacketInReason.NoMatch, TableId = 0,
                Match = new OfpMatch(OxmEntry.For(MfId.InPortOxm, o.InPort)), Data = frame,
            });
            _spaOffset = _template.Length - FrameLength + 14 + 14;   // Ethernet header, then ARP sender IP at byte 14
            sw.PacketOutHandler = (_, po) => OnPacketOut(po);
        }

        public FakeSwitch Switch { get; }
        public LatencyHistogram Histogram { get; } = new();
        public volatile bool Measuring;
        public long Replies, Sent, ArpReplies, Floods, Lost, Unmatched, BadReplies;

        public void Start()
        {
            lock (this)
            {
                _running = true;
                _lastProgress = Stopwatch.GetTimestamp();
                while (_outstanding < _o.Window) SendNext();
            }
        }

        public void Stop()
        {
            lock (this) _running = false;
        }

        private void SendNext()
        {
            uint seq = _seq = (_seq + 1) & 0xff_ffff;
            if (seq == 0) seq = _seq = 1;
            var m = (byte[])_template.Clone();
            BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), seq);
            BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(_spaOffset), 0x0a00_0000u | seq);
            int slot = (int)(seq % RingSize);
            _ringSeq[slot] = seq;
            _ringSent[slot] = Stopwatch.GetTimestamp();
            _outstanding++;
            Sent++;
            Switch.SendRaw(m);
        }

        private void OnPacketOut(PacketOut po)
        {
            var p = ParsedPacket.Parse(po.Data.Span);
            bool reply = p.IsArp && p.ArpOp == ArpOp.Reply;
            bool flood = p.IsArp && p.ArpOp == ArpOp.Request;
            uint port = po.Actions.Count == 1 && po.Actions[0] is OutputAction o ? o.Port : 0;
            bool valid = po.InPort == _o.InPort
                && (reply ? port == OfctlFormat.Ports.InPort && p.EthDst == _hostMac && p.ArpTha == _hostMac && p.ArpSpa == TargetIp
                    : flood && port is OfctlFormat.Ports.Flood or OfctlFormat.Ports.All && p.ArpSha == _hostMac);
            uint seq = (reply ? p.ArpTpa.Value : p.ArpSpa.Value) & 0xff_ffff;
            long now = Stopwatch.GetTimestamp();
            lock (this)
            {
                if (!valid)
                {
                    BadReplies++;
                    return;
                }
                int slot = (int)(seq % RingSize);
                if (_ringSeq[slot] != seq || _ringSent[slot] == 0)
                {
                    Unmatched++;
                    return;
                }
                if (Measuring) Histogram.RecordTicks(now - _ringSent[slot]);
                _ringSent[slot] = 0;
                _outstanding--;
                _lastProgress = now;
                Replies++;
                if (reply) ArpReplies++;
                else Floods++;
                if (_running) SendNext();
            }
        }

        /// <summary>Counts packet-ins unanswered for <see cref="PacketInLoadOptions.LossTimeout"/> as lost and refills the window.</summary>
        public void CheckLoss()
        {
            lock (this)
            {
                if (!_running || _outstanding == 0) return;
                if (Stopwatch.GetElapsedTime(_lastProgress) < _o.LossTimeout) return;
                Lost += _outstanding;
                _outstanding = 0;
                Array.Clear(_ringSent);
                _lastProgress = Stopwatch.GetTimestamp();
                while (_outstanding < _o.Window) SendNext();
            }
        }
    }
}
