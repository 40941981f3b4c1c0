using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace OvsLb.Controller.Cli.Probe;

/// <summary>
/// A bridge port's network device as the kernel knows it, from <c>ip -details -json link show</c> in the namespace of
/// ovs-vswitchd: for a system, internal or tap port the OVS interface name is the device's name.
/// </summary>
/// <param name="Name">The device (= the OVS port's name).</param>
/// <param name="Namespace">The namespace it lives in (null: ours).</param>
/// <param name="Kind">Its link kind: veth, tun (tap), openvswitch (an internal port of the kernel datapath), "" for a NIC.</param>
/// <param name="Mac">Its MAC address.</param>
/// <param name="PeerIndex">veth: the peer's ifindex (in the peer's namespace).</param>
/// <param name="PeerNamespaceId">veth: the nsid of the peer's namespace as seen from <paramref name="Namespace"/>; null when the peer is beside it.</param>
/// <param name="Up">Administratively up (libpcap cannot open a device that is down, and nothing leaves through it).</param>
internal sealed record PortDevice(string Name, string? Namespace, string Kind, string Mac, int? PeerIndex, int? PeerNamespaceId, bool Up);

/// <summary>Where the probe's packet is sent from so that the bridge receives it on the port: a device and its namespace.</summary>
/// <param name="Device">The device libpcap transmits on.</param>
/// <param name="Namespace">Its namespace (null: ours).</param>
/// <param name="Mac">Its MAC address (the probe's Ethernet source).</param>
/// <param name="How">How it relates to the port, for the output.</param>
internal sealed record InjectionPoint(string Device, string? Namespace, string Mac, string How);

/// <summary>Reads devices with the <c>ip</c> command (iproute2), which resolves veth peers across namespaces.</summary>
internal static class PortDevices
{
    /// <summary>The device named <paramref name="name"/> in <paramref name="ns"/>, or null when there is none.</summary>
    public static PortDevice? Find(string name, string? ns) => All(ns).GetValueOrDefault(name);

    /// <summary>Every device in <paramref name="ns"/> (null: ours) by name: one <c>ip</c> run for all the bridge's ports.</summary>
    public static IReadOnlyDictionary<string, PortDevice> All(string? ns)
    {
        var (ok, json, err) = Ip(ns, "-details", "-json", "link", "show");
        if (!ok) throw new DebugException($"ip link show{(ns is null ? "" : " in namespace " + ns)} failed: {err}");
        using var doc = JsonDocument.Parse(json);
        var all = new Dictionary<string, PortDevice>(StringComparer.Ordinal);
        foreach (var d in doc.RootElement.EnumerateArray())
        {
            string name = d.GetProperty("ifname").GetString() ?? "";
            string kind = d.TryGetProperty("linkinfo", out var li) && li.TryGetProperty("info_kind", out var k) ? k.GetString() ?? "" : "";
            int? peer = kind == "veth" && d.TryGetProperty("link_index", out var pi) ? pi.GetInt32() : null;
            int? peerNs = kind == "veth" && d.TryGetProperty("link_netnsid", out var pn) ? pn.GetInt32() : null;
            bool up = d.TryGetProperty("flags", out var flags) && flags.EnumerateArray().Any(f => f.GetString() == "UP");
            all[name] = new PortDevice(name, ns, kind, d.TryGetProperty("address", out var a) ? a.GetString() ?? "" : "", peer, peerNs, up);
        }
        return all;
    }

    /// <summary>
    /// Where a frame must be sent so that the bridge receives it on <paramref name="port"/>: sending on a veth end
    /// gives the frame to its peer, so for a veth port that is the peer (often eth0 of a container's namespace);
    /// sending on a tap or internal device gives it to OVS, so that is the device itself. Anything else (a NIC,
    /// whose transmit goes to the wire) has no such place.
    /// </summary>
    public static InjectionPoint IngressOf(string ovsPort, PortDevice port)
    {
        switch (port.Kind)
        {
            case "tun":
            case "openvswitch":
                return new InjectionPoint(port.Name, port.Namespace, port.Mac, $"sent on {port.Name} itself ({(port.Kind == "tun" ? "a tap" : "an internal port")}: OVS reads what the host sends on it)");
            case "veth" when port.PeerIndex is int index:
                string? ns = port.Namespace;
                if (port.PeerNamespaceId is int nsid)
                {
                    ns = NamespaceOfId(port.Namespace, nsid)
                        ?? throw new DebugException($"port '{ovsPort}' is a veth whose peer is in a network namespace without a name in /run/netns (nsid {nsid}); name it (ip netns attach NAME PID) so the probe can send from there");
                }
                string peer = NameOfIndex(ns, index)
                    ?? throw new DebugException($"port '{ovsPort}' is a veth whose peer (ifindex {index}{(ns is null ? "" : " in namespace " + ns)}) was not found");
                var dev = Find(peer, ns) ?? throw new DebugException($"port '{ovsPort}': its veth peer {peer} disappeared");
                return new InjectionPoint(peer, ns, dev.Mac, $"sent on its veth peer {peer}{(ns is null ? "" : " in namespace " + ns)}");
            default:
                throw new DebugException($"port '{ovsPort}' is a {(port.Kind.Length == 0 ? "NIC" : port.Kind + " device")}: a frame sent on it leaves the host instead of entering the bridge; probe from a veth, tap or internal port");
        }
    }

    private static string? NamespaceOfId(string? from, int nsid)
    {
        var (ok, json, _) = Ip(from, "-json", "netns", "list");
        if (!ok || json.Length == 0) return null;
        using var doc = JsonDocument.Parse(json);
        foreach (var n in doc.RootElement.EnumerateArray())
        {
            if (n.TryGetProperty("id", out var id) && id.GetInt32() == nsid) return n.GetProperty("name").GetString();
        }
        return null;
    }

    private static string? NameOfIndex(string? ns, int index)
    {
        var (ok, json, _) = Ip(ns, "-json", "link", "show");
        if (!ok) return null;
        using var doc = JsonDocument.Parse(json);
        foreach (var d in doc.RootElement.EnumerateArray())
        {
            if (d.GetProperty("ifindex").GetInt32() == index) return d.GetProperty("ifname").GetString();
        }
        return null;
    }

    private static (bool Ok, string Out, string Err) Ip(string? ns, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ns is not null)
        {
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add(ns);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode == 0, output.Trim(), err.Result.Trim());
        }
        catch (Win32Exception e)
        {
            throw new DebugException($"the ip command (iproute2) could not be run: {e.Message}");
        }
    }
}
