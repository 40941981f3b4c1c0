using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Config;

/// <summary>
/// A backend's "ip": an IPv4 address, or an IPv6 address for a direct-mode service with an IPv6 VIP (issue 12, second
/// slice). In direct mode the backend's own address only serves its health checks (packets keep the VIP); the other
/// modes rewrite packets to it and carry IPv4 only, so an IPv6 backend there is refused here, never ignored.
/// </summary>
internal sealed partial class ConfigBinder
{
    /// <summary>The backend's address, one family or the other; both null after an error (reported) or without "ip".</summary>
    private (Ipv4Address? V4, Ipv6Address? V6) BackendIp(Obj o, ServiceMode? mode, Ipv6Address? vip6)
    {
        var n = o["ip"];
        if (n is null) return (null, null);
        var s = Str(n, o.At("ip"));
        if (s is null) return (null, null);
        if (!s.Contains(':')) return (Ip(n, o.At("ip")), null);
        var (address, why) = UnicastIpv6(s, "a link-local address (fe80::/10: the controller's TCP check cannot reach it without a scope; give the backend a global or unique-local address)");
        if (address is null && why is null)
        {
            Error(o.At("ip"), n, s, $"'{s}' is not an IPv4 or IPv6 address");
            return (null, null);
        }
        if (address is not Ipv6Address v6)
        {
            Error(o.At("ip"), n, s, $"'{s}' cannot be a backend address: it is {why}");
            return (null, null);
        }
        if (mode is ServiceMode m && m != ServiceMode.Direct)
        {
            Error(o.At("ip"), n, s, $"'{s}' is an IPv6 backend address, and {ModeName(m)} mode rewrites packets to IPv4 backends only: only direct mode takes IPv6 backends");
            return (null, null);
        }
        if (mode is not null && vip6 is null)
        {
            Error(o.At("ip"), n, s, $"'{s}' is an IPv6 backend address, and the service has no IPv6 VIP: add one to 'vip' (e.g. [\"10.0.0.100\", \"fd00::100\"]) or give the backend its IPv4 address");
            return (null, null);
        }
        return (null, v6);
    }
}
