using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Config;

/// <summary>
/// A service's VIPs: <c>"vip"</c> is one address (IPv4 or IPv6) or an array of at most one IPv4 and one IPv6
/// address (dual stack). IPv6 is built in direct mode only (TCP and UDP, onEmpty drop); every other use is an error here,
/// never ignored.
/// </summary>
internal sealed partial class ConfigBinder
{
    /// <summary>The service's VIPs; both null after an error (reported) or when "vip" is missing.</summary>
    private (Ipv4Address? V4, Ipv6Address? V6) Vips(Obj o)
    {
        if (!Required(o, "vip")) return (null, null);
        var n = o["vip"]!;
        if (n is not JArray a) return One(n, o.At("vip")) switch
        {
            (Ipv4Address v4, null) => (v4, null),
            (null, Ipv6Address v6) => (null, v6),
            _ => (null, null),
        };
        if (a.Items.Count is 0 or > 2)
        {
            Error(o.At("vip"), n, n.Display, $"expected one IPv4 and/or one IPv6 address, got {a.Items.Count} addresses");
            return (null, null);
        }
        Ipv4Address? four = null;
        Ipv6Address? six = null;
        int before = Errors.Count;
        for (int i = 0; i < a.Items.Count; i++)
        {
            string path = Index(o.At("vip"), i);
            var (x4, x6) = One(a.Items[i], path);
            if ((x4 is not null && four is not null) || (x6 is not null && six is not null))
            {
                Error(path, a.Items[i], a.Items[i].Display,
                    $"a second {(x4 is not null ? "IPv4" : "IPv6")} VIP: a service has at most one of each family (declare another service for another address)");
            }
            four ??= x4;
            six ??= x6;
        }
        return Errors.Count == before ? (four, six) : (null, null);
    }

    /// <summary>One VIP address: a dotted quad, or an IPv6 address that can be a unicast destination on a link.</summary>
    private (Ipv4Address? V4, Ipv6Address? V6) One(JNode n, string path)
    {
        var s = Str(n, path);
        if (s is null) return (null, null);
        if (TryParseIpv4(s, out var v4)) return (v4, null);
        var (v6, why) = UnicastIpv6(s, "a link-local address (fe80::/10: every host has its own; a VIP needs a global or unique-local address)");
        if (v6 is null && why is null)
        {
            Error(path, n, s, $"'{s}' is not an IPv4 or IPv6 address");
            return (null, null);
        }
        if (why is not null)
        {
            Error(path, n, s, $"'{s}' cannot be a VIP: it is {why}");
            return (null, null);
        }
        return (null, v6);
    }

    /// <summary>
    /// An IPv6 address text checked for use as a unicast destination on a link (a VIP, a backend address): the address,
    /// or why it cannot be one (multicast, unspecified, loopback, link-local with <paramref name="linkLocalWhy"/>,
    /// IPv4-mapped); both null when the text is not an IPv6 address at all (no scope ids or prefix lengths).
    /// </summary>
    private static (Ipv6Address? Address, string? Why) UnicastIpv6(string s, string linkLocalWhy)
    {
        if (!s.Contains(':') || s.Contains('%') || s.Contains('/') || !IPAddress.TryParse(s, out var a) || a.AddressFamily != AddressFamily.InterNetworkV6) return (null, null);
        var v6 = Ipv6Address.Parse(s);
        string? why = a.IsIPv6Multicast ? "a multicast address"
            : v6 == Ipv6Address.Any ? "the unspecified address"
            : a.Equals(IPAddress.IPv6Loopback) ? "the loopback address"
            : a.IsIPv6LinkLocal ? linkLocalWhy
            : a.IsIPv4MappedToIPv6 ? "an IPv4-mapped address (write the IPv4 address itself)"
            : null;
        return why is null ? (v6, null) : (null, why);
    }

    /// <summary>
    /// What is built for an IPv6 VIP in this version: direct mode, TCP or UDP (multipath's symmetric_l3l4+udp hashes IPv6
    /// addresses too), onEmpty "drop". Anything else is refused at the
    /// IPv6 address, saying why, so a service never runs with its IPv6 half silently missing.
    /// </summary>
    private bool CheckIpv6Fits(Obj svc, Ipv6Address? vip6, ServiceMode? mode, ServiceProtocol protocol, Stateful? stateful)
    {
        if (vip6 is not Ipv6Address v6 || mode is not ServiceMode m) return true;
        var (path, node) = Ipv6Node(svc);
        string text = v6.ToString();
        if (m != ServiceMode.Direct)
        {
            Error(path, node, text, $"'{text}' is an IPv6 VIP, and {ModeName(m)} mode does not carry IPv6 yet: only direct mode does (use an IPv4 VIP for this service, or mode \"direct\")");
            return false;
        }
        if (stateful is { OnEmpty: OnEmpty.Reject })
        {
            Error(path, node, text, $"'{text}' is an IPv6 VIP, and onEmpty \"reject\" does not answer IPv6 yet (the controller builds IPv4 resets only): use onEmpty \"drop\"");
            return false;
        }
        return true;
    }

    /// <summary>Where the service's IPv6 VIP is written: "vip" itself, or its item in the array.</summary>
    private static (string Path, JNode? Node) Ipv6Node(Obj svc)
    {
        var n = svc["vip"];
        if (n is JArray a)
        {
            for (int i = 0; i < a.Items.Count; i++)
            {
                if (a.Items[i] is JValue v && v.Text.Contains(':')) return (Index(svc.At("vip"), i), v);
            }
        }
        return (svc.At("vip"), n);
    }
}
