using System.Diagnostics;
using SharpPcap;
using SharpPcap.LibPcap;

namespace OvsLb.Controller.Cli.Probe;

/// <summary>A port whose device the probe watches for its packet leaving the bridge.</summary>
/// <param name="Ingress">The port the packet enters on: its device shows the packet as sent too (a veth end shows what its
/// peer sent, a tap what the host sent), which is not the packet leaving. SharpPcap cannot ask libpcap for one direction
/// only (no pcap_setdirection; the BPF <c>outbound</c> test matched nothing on its handles), so that copy is told
/// apart by its headers: every path out of the pipeline rewrites at least the destination MAC, the lbMac.</param>
internal sealed record EgressWatch(uint PortNo, string PortName, PortDevice Device, bool Ingress);

/// <summary>
/// The live part of <c>ovslb probe</c> (SharpPcap on libpcap): one filtered handle per watched port, opened in the
/// namespace of its device before anything is sent, each read by its own thread; the packet sent once from the
/// injection point; the copies collected until the first shows up (then a short grace, so a flood shows every copy)
/// or the timeout passes.
/// </summary>
internal static class ProbeCapture
{
    /// <summary>After the first copy: how long other ports may still show one (the datapath outputs them in the same pass).</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(30);

    /// <summary>How often a reader wakes without a packet to see whether it should stop.</summary>
    private const int ReadTimeoutMs = 20;

    public static IReadOnlyList<EgressFrame> Run(ProbeFrames probe, InjectionPoint from, IReadOnlyList<EgressWatch> watches, TimeSpan timeout)
    {
        var open = new List<(EgressWatch Watch, LibPcapLiveDevice Device)>();
        var seen = new List<EgressFrame>();
        var errors = new List<string>();
        bool stopping = false;
        LibPcapLiveDevice? sender = null;
        try
        {
            foreach (var inNs in watches.GroupBy(w => w.Device.Namespace))
            {
                // One thread in the namespace lists its devices once and opens them all.
                NetworkNamespaces.Run(inNs.Key, () =>
                {
                    var list = Devices();
                    foreach (var w in inNs) open.Add((w, Open(list, w.Device.Name, w.Device.Namespace, probe.Filter())));
                    return true;
                });
            }
            sender = NetworkNamespaces.Run(from.Namespace, () => Open(Devices(), from.Device, from.Namespace, filter: null));
            // Readers start from this thread, outside every namespace: the handles keep theirs. From here on each
            // reader owns its handle and closes it when it stops: a libpcap read that is waiting returns only after
            // its poll (about half a second here, whatever the read timeout), which the answer need not wait for.
            var handed = open.ToList();
            open.Clear();
            foreach (var (w, d) in handed) new Thread(() => Read(w, d)) { IsBackground = true, Name = "probe " + w.PortName }.Start();
            Send(sender, probe.Frame(), from);
            lock (seen)
            {
                var clock = Stopwatch.StartNew();
                while (seen.Count == 0 && errors.Count == 0 && Left(timeout, clock) is { } left) Monitor.Wait(seen, left);
                var grace = clock.Elapsed + Grace;
                while (seen.Count > 0 && Left(grace, clock) is { } left) Monitor.Wait(seen, left);
                stopping = true;
            }
            if (probe.Reset() is { } rst) Send(sender, rst, from);
            lock (seen)
            {
                if (errors.Count > 0) throw new DebugException(errors[0]);
                return [.. seen];
            }
        }
        finally
        {
            lock (seen) stopping = true;
            sender?.Close();
            foreach (var (_, d) in open) d.Close();
        }

        void Read(EgressWatch w, LibPcapLiveDevice d)
        {
            try
            {
                ReadUntilStopped(w, d);
            }
            finally
            {
                d.Close();
            }
        }

        void ReadUntilStopped(EgressWatch w, LibPcapLiveDevice d)
        {
            while (true)
            {
                lock (seen)
                {
                    if (stopping) return;
                }
                GetPacketStatus status;
                SharpPcap.PacketCapture e;
                try
                {
                    status = d.GetNextPacket(out e);
                }
                catch (PcapException x)
                {
                    status = GetPacketStatus.Error;
                    e = default;
                    lock (seen) errors.Add($"capturing on {w.PortName} failed: {x.Message.Trim()}");
                }
                if (status == GetPacketStatus.Error)
                {
                    lock (seen)
                    {
                        if (errors.Count == 0) errors.Add($"capturing on {w.PortName} failed: {d.LastError}");
                        Monitor.PulseAll(seen);
                    }
                    return;
                }
                if (status != GetPacketStatus.PacketRead) continue;
                var raw = e.GetPacket();
                if (ProbeFrames.Read(w.PortNo, w.PortName, raw.LinkLayerType, raw.Data) is not { } f || (w.Ingress && probe.IsAsSent(f))) continue;
                lock (seen)
                {
                    seen.Add(f);
                    Monitor.PulseAll(seen);
                }
            }
        }
    }

    /// <summary>
    /// The time left until <paramref name="until"/> on <paramref name="clock"/>, in whole milliseconds and at least one, or
    /// null when it has passed. Computed once per wait: <c>Monitor.Wait(o, TimeSpan)</c> truncates to milliseconds and
    /// takes -1 ms as "forever", so a remainder computed a moment after the check (between -1 and -2 ms on a preempted
    /// thread) once made a probe wait for ever.
    /// </summary>
    internal static int? Left(TimeSpan until, Stopwatch clock)
    {
        double ms = (until - clock.Elapsed).TotalMilliseconds;
        return ms <= 0 ? null : (int)Math.Ceiling(Math.Min(ms, int.MaxValue));
    }

    /// <summary>Opens <paramref name="iface"/> of the calling thread's namespace (immediate mode) with <paramref name="filter"/>.</summary>
    private static LibPcapLiveDevice Open(IReadOnlyList<LibPcapLiveDevice> devices, string iface, string? ns, string? filter)
    {
        string where = ns is null ? iface : $"{iface} in namespace {ns}";
        var device = devices.FirstOrDefault(d => d.Name == iface) ?? throw new DebugException($"libpcap does not list {where}");
        try
        {
            device.Open(new DeviceConfiguration { Mode = DeviceModes.None, Snaplen = 256, ReadTimeout = ReadTimeoutMs, Immediate = true });
            if (filter is not null) device.Filter = filter;
            return device;
        }
        catch (Exception e) when (e is PcapException or InvalidOperationException)
        {
            device.Close();
            throw Permission(e.Message)
                ? new DebugException($"capturing on {where} is not permitted: run as root or with CAP_NET_RAW ({e.Message.Trim()})")
                : new DebugException($"libpcap cannot open {where}: {e.Message.Trim()}");
        }
    }

    /// <summary>The devices libpcap lists in the calling thread's namespace (a fresh list: its handles are ours to open and close).</summary>
    private static IReadOnlyList<LibPcapLiveDevice> Devices()
    {
        try
        {
            return LibPcapLiveDeviceList.New();
        }
        catch (Exception e) when (IsMissingLibpcap(e))
        {
            throw new DebugException("libpcap is not installed (apt-get install libpcap0.8)");
        }
    }

    private static void Send(LibPcapLiveDevice device, byte[] frame, InjectionPoint from)
    {
        try
        {
            device.SendPacket(frame);
        }
        catch (PcapException e)
        {
            throw new DebugException($"sending on {from.Device} failed: {e.Message.Trim()}");
        }
    }

    private static bool Permission(string message) =>
        message.Contains("permi", StringComparison.OrdinalIgnoreCase) || message.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase);

    private static bool IsMissingLibpcap(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is DllNotFoundException) return true;
        }
        return false;
    }
}
