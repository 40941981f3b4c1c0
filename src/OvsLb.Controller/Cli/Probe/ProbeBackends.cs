using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Hashing;

namespace OvsLb.Controller.Cli.Probe;

/// <summary>
/// Which configured backend a frame leaving the bridge is headed for, read from the headers the pipeline rewrote:
/// the destination MAC in direct and portgroup mode (the bucket set it), the destination IP in translate mode (restored
/// from the fake MAC), the destination IP and port in the NAT modes (the connection tracker's DNAT).
/// </summary>
internal static class ProbeBackends
{
    /// <summary>The service on <paramref name="bridge"/> the tuple is addressed to, or null (the same VIP, protocol and port match as the service table's).</summary>
    public static ServiceConfig? ServiceOf(LoadBalancerConfig config, BridgeConfig bridge, FiveTuple t) =>
        config.Services.FirstOrDefault(s => s.IsOn(bridge.Name) && s.Vip == t.Destination
            && (s.Protocol == ServiceProtocol.Tcp ? IpProtocol.Tcp : IpProtocol.Udp) == t.Protocol
            && (s.Port is null || s.Port == t.DestinationPort));

    /// <summary>The backend of <paramref name="s"/> that <paramref name="f"/> reaches, with the header that says so; null when none.</summary>
    public static (BackendConfig Backend, string Why)? Reached(ServiceConfig s, EgressFrame f)
    {
        foreach (var b in s.Backends)
        {
            switch (s.Mode)
            {
                case ServiceMode.Direct or ServiceMode.PortGroup when b.Mac == f.EthDst:
                    return (b, $"eth_dst is its mac {f.EthDst}");
                case ServiceMode.Translate when b.Ip == f.IpDst:
                    return (b, $"ip_dst is its ip {f.IpDst}");
                case ServiceMode.Nat or ServiceMode.FullNat when b.Ip == f.IpDst && (s.TargetPortOf(b) is not ushort p || p == f.DstPort):
                    return (b, $"ip_dst:port is its {f.IpDst}:{f.DstPort}");
            }
        }
        return null;
    }
}
