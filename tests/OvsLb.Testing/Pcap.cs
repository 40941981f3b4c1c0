using SharpPcap;
using SharpPcap.LibPcap;

namespace OvsLb.Testing;

/// <summary>libpcap (through SharpPcap) as the harness uses it: one filtered live handle, and a clear error when libpcap is missing.</summary>
public static class Pcap
{
    /// <summary>What to install when SharpPcap cannot load libpcap (it tries libpcap.so, .so.0, .so.0.8, .so.1).</summary>
    public const string MissingLibpcap =
        "libpcap is not installed (SharpPcap loads libpcap.so.0.8 or libpcap.so.1): apt-get install libpcap0.8, or run tests/install-deps.sh";

    /// <summary>
    /// Opens <paramref name="iface"/> of the calling thread's network namespace in promiscuous, immediate mode
    /// and sets the BPF <paramref name="filter"/>; the handle is closed again if either step fails.
    /// </summary>
    public static LibPcapLiveDevice OpenFiltered(string iface, string filter, int snaplen, string where)
    {
        LibPcapLiveDevice? device;
        try
        {
            device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == iface);
        }
        catch (Exception e) when (IsMissingLibpcap(e))
        {
            throw new InvalidOperationException(MissingLibpcap, e);
        }
        if (device is null) throw new InvalidOperationException($"no interface {where} for libpcap to open");
        try
        {
            device.Open(new DeviceConfiguration { Mode = DeviceModes.Promiscuous, Snaplen = snaplen, ReadTimeout = 100, Immediate = true });
            device.Filter = filter;
            return device;
        }
        catch (Exception e)
        {
            device.Close();
            throw new InvalidOperationException($"libpcap could not capture on {where}: {e.Message}", e);
        }
    }

    /// <summary>Whether <paramref name="e"/> (or what it wraps, e.g. a type initializer's failure) is the native library failing to load.</summary>
    public static bool IsMissingLibpcap(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is DllNotFoundException) return true;
        }
        return false;
    }
}
