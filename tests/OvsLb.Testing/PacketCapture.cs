using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace OvsLb.Testing;

/// <summary>
/// A live libpcap capture (SharpPcap) on an interface inside a test namespace: a witness of what actually
/// crossed the wire, link-layer addresses included, that owes nothing to the controller or to OVS (a kernel
/// socket only says a connection worked; the capture says which addresses its packets carried). Frames come
/// as typed PacketDotNet packets (<see cref="Packets"/>), at most <c>count</c> of them when a count is given
/// (<see cref="WaitForCount"/>). Disposing stops the capture and closes the pcap handle.
/// </summary>
/// <remarks>
/// The handle is opened (and its BPF filter set) on a thread that entered the namespace, so its packet
/// socket is bound to that namespace's interface for life; the capture loop's thread is started afterwards
/// from the caller's thread, outside the namespace (<see cref="NetNamespace.Run"/> checks none stays inside).
/// The loop is our own (<c>GetNextPacket</c> with a 100 ms read timeout), not SharpPcap's <c>StartCapture</c>,
/// whose stop can return while its thread is still inside a libpcap call, so the handle's socket outlived
/// <see cref="Dispose"/> by a few hundred milliseconds; here Dispose joins the loop, then closes the handle.
/// </remarks>
public sealed class PacketCapture : IDisposable
{
    /// <summary>Enough for Ethernet + IPv4 (with options) + TCP (with options) headers, and any ARP.</summary>
    private const int Snaplen = 256;

    private readonly LibPcapLiveDevice _device;
    private readonly string _where;
    private readonly int? _count;
    private readonly List<EthernetPacket> _packets = [];
    private readonly List<string> _errors = [];
    private readonly Thread _loop;
    private volatile bool _stopping;
    private int _disposed;

    private PacketCapture(LibPcapLiveDevice device, string where, int? count)
    {
        _device = device;
        _where = where;
        _count = count;
        _loop = new Thread(Loop) { IsBackground = true, Name = "pcap " + where };
    }

    /// <summary>
    /// Starts capturing <paramref name="filter"/> (a pcap/BPF expression) on <paramref name="iface"/> in
    /// <paramref name="ns"/>, keeping at most <paramref name="count"/> packets when given. Returns once the
    /// filtered handle is active: every matching frame from then on is kept.
    /// </summary>
    public static PacketCapture Start(NetNamespace ns, string iface, string filter, int? count = null)
    {
        string where = $"{iface} in {ns.Name} (filter '{filter}')";
        var device = ns.Run(() => Pcap.OpenFiltered(iface, filter, Snaplen, where));
        var capture = new PacketCapture(device, where, count);
        capture._loop.Start();   // from the caller's thread: outside the namespace
        return capture;
    }

    /// <summary>The frames captured so far, in arrival order.</summary>
    public IReadOnlyList<EthernetPacket> Packets
    {
        get
        {
            lock (_packets) return [.. _packets];
        }
    }

    /// <summary>Waits until a captured frame satisfies <paramref name="match"/>; returns it, or null on timeout.</summary>
    public EthernetPacket? WaitFor(Func<EthernetPacket, bool> match, TimeSpan timeout)
    {
        EthernetPacket? found = null;
        ProcessRunner.WaitUntil(() => (found = Packets.FirstOrDefault(match)) is not null, timeout);
        return found;
    }

    /// <summary>With a packet count: waits until that many frames are captured; false on timeout.</summary>
    public bool WaitForCount(TimeSpan timeout)
    {
        if (_count is not int n) throw new InvalidOperationException("capture started without a packet count");
        return ProcessRunner.WaitUntil(() => Packets.Count >= n, timeout);
    }

    /// <summary>What was captured (count and first frames) and any capture error, for failure messages.</summary>
    public string Output(int frames = 8)
    {
        var packets = Packets;
        string[] errors;
        lock (_errors) errors = [.. _errors];
        return $"{packets.Count} frame(s) on {_where}" + string.Concat(errors.Select(e => "\n  error: " + e))
            + string.Concat(packets.Take(frames).Select(p => "\n  " + CapturedFrames.Describe(p)));
    }

    private void Loop()
    {
        while (!_stopping)
        {
            GetPacketStatus status;
            SharpPcap.PacketCapture e;
            try
            {
                status = _device.GetNextPacket(out e);
            }
            catch (Exception ex)
            {
                lock (_errors) _errors.Add("capture failed: " + ex.Message);
                return;
            }
            if (status == GetPacketStatus.PacketRead) Arrived(e);
            else if (status == GetPacketStatus.Error)
            {
                lock (_errors) _errors.Add("capture failed: " + _device.LastError);
                return;
            }
        }
    }

    private void Arrived(SharpPcap.PacketCapture e)
    {
        try
        {
            var raw = e.GetPacket();
            if (Packet.ParsePacket(raw.LinkLayerType, raw.Data) is not EthernetPacket eth) return;
            lock (_packets)
            {
                if (_count is not int n || _packets.Count < n) _packets.Add(eth);
            }
        }
        catch (Exception ex)
        {
            lock (_errors) _errors.Add("undecodable frame: " + ex.Message);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping = true;
        try
        {
            if (_loop.IsAlive && !_loop.Join(TimeSpan.FromSeconds(5))) throw new InvalidOperationException($"the capture loop on {_where} did not stop");
        }
        finally
        {
            _device.Close();
        }
    }
}
