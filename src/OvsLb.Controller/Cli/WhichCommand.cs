using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Hashing;
using OvsLb.State;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb which --config FILE --bridge NAME [--ports ...] [--down ...] [--switch TARGET] PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT</c>
/// (IPv6: <c>[SRC_IP6]:SRC_PORT [DST_IP6]:DST_PORT</c>, both of one family):
/// which service a connection hits on a bridge, the dp_hash OVS's userspace datapath gives it, the
/// bucket that selects and the backend behind it (<see cref="FlowPlacements"/>), with the
/// <c>ovs-appctl ofproto/trace</c> command that shows the switch making the same choice.
/// Exit code 0 when a backend gets the connection, 2 when the pipeline drops it or does not balance it, 1 on error.
/// </summary>
public static class WhichCommand
{
    /// <summary>Exit code when the pipeline gives the connection no backend (dropped, or not a VIP).</summary>
    public const int ExitNotBalanced = 2;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) => CommandLine.RunVerbAsync("which", stderr, async () =>
    {
        var a = BridgeArgs.Parse("which", args);
        var tuple = ParseTuple(a.Positional);
        var dp = await DebugPlan.BuildAsync(a, readInstalled: a.Switch is not null).ConfigureAwait(false);
        foreach (var w in dp.Plan.Warnings) await stderr.WriteLineAsync($"ovslb which: warning: {w}").ConfigureAwait(false);
        var placement = FlowPlacements.Resolve(dp.Plan, tuple);
        await stdout.WriteAsync(Format(dp, placement)).ConfigureAwait(false);
        return placement.Backend is null ? ExitNotBalanced : CommandLine.ExitOk;
    });

    /// <summary>Parses <c>PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT</c> (PROTO: tcp or udp; IPv6 addresses in brackets, <c>[fd00::2]:40000</c>).</summary>
    public static FiveTuple ParseTuple(IReadOnlyList<string> p)
    {
        if (p.Count != 3) throw new UsageException("expected PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT, e.g. tcp 192.0.2.7:40000 10.0.0.100:80 or tcp [fd00::2]:40000 [fd00::100]:80");
        byte proto = p[0].ToLowerInvariant() switch
        {
            "tcp" => IpProtocol.Tcp,
            "udp" => IpProtocol.Udp,
            _ => throw new UsageException($"'{p[0]}' is not a protocol the pipeline balances (tcp or udp)"),
        };
        if (p[1].StartsWith('[') || p[2].StartsWith('['))
        {
            if (!p[1].StartsWith('[') || !p[2].StartsWith('[')) throw new UsageException($"'{p[1]}' and '{p[2]}' are of two address families: give both as [IPV6]:PORT or both as IPV4:PORT");
            var (src6, sport6) = Endpoint6(p[1]);
            var (dst6, dport6) = Endpoint6(p[2]);
            return FiveTuple.V6(proto, src6, sport6, dst6, dport6);
        }
        var (src, sport) = Endpoint(p[1]);
        var (dst, dport) = Endpoint(p[2]);
        return new FiveTuple(proto, src, sport, dst, dport);
    }

    private static (Ipv6Address, ushort) Endpoint6(string s)
    {
        int close = s.IndexOf("]:", StringComparison.Ordinal);
        if (close > 1 && ushort.TryParse(s[(close + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) && !s.Contains('%'))
        {
            try
            {
                return (Ipv6Address.Parse(s[1..close]), port);
            }
            catch (FormatException)
            {
            }
        }
        throw new UsageException($"'{s}' is not [IPV6]:PORT");
    }

    private static (Ipv4Address, ushort) Endpoint(string s)
    {
        int colon = s.LastIndexOf(':');
        if (colon > 0 && ushort.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            try
            {
                return (Ipv4Address.Parse(s[..colon]), port);
            }
            catch (FormatException)
            {
            }
        }
        throw new UsageException($"'{s}' is not IPV4:PORT");
    }

    public static string Format(DebugPlan dp, FlowPlacement p)
    {
        var t = p.Tuple;
        var sb = new StringBuilder();
        sb.Append(t).Append(" on bridge ").Append(dp.Bridge.Name).Append('\n');
        if (p.Service is null)
        {
            sb.Append("verdict:  ").Append(p.Verdict).Append('\n');
            return sb.ToString();
        }
        var s = p.Service.Service;
        sb.Append("service:  ").Append(s.Name).Append(" (").Append(s.Protocol.ToString().ToLowerInvariant()).Append(' ').Append(t.IsIpv6 ? $"[{s.Vip6}]" : s.Vip.ToString()).Append(':')
          .Append(s.Port?.ToString(CultureInfo.InvariantCulture) ?? "*").Append(", ").Append(s.Mode.ToString().ToLowerInvariant()).Append(")\n");
        if (p.Group is GroupEntry g)
        {
            int n = g.Buckets.Length;
            bool picks = Pipeline.Flows.PickFlows.Picks(s);
            sb.Append("group:    ").Append(g.GroupId).Append(" (select, ").Append(n).Append(" buckets; ")
              .Append(picks ? $"table={Pipeline.LbPipeline.Pick.Id} priority={Pipeline.LbPipeline.Priority.PickGroup}"
                  : $"table={Pipeline.LbPipeline.Service.Id} priority={(s.AllPorts ? Pipeline.LbPipeline.Priority.ServiceAllPorts : Pipeline.LbPipeline.Priority.ServicePort)}")
              .Append(picks ? "; only a new connection meets it" : "").Append(")\n");
            sb.Append("dp_hash:  0x").Append(p.DpHash.ToString("x8", CultureInfo.InvariantCulture))
              .Append(t.IsIpv6 ? " = hash(sym_l4(0)): flow_hash_symmetric_l3l4 of ipv6_src^ipv6_dst (two 64-bit halves), ip_proto" : " = hash(sym_l4(0)): flow_hash_symmetric_l3l4 of ip_src^ip_dst, ip_proto")
              .Append(", tcp_src^tcp_dst").Append('\n');
            sb.Append("bucket:   ").Append(p.Bucket).Append(" = 0x").Append(p.DpHash.ToString("x8", CultureInfo.InvariantCulture)).Append(" & 0x")
              .Append((n - 1).ToString("x", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("backend:  ").Append(Describe(p)).Append('\n');
            var text = new StringBuilder();
            p.BucketEntry!.Format(text, GroupType.Select);
            sb.Append("entry:    ").Append(text).Append('\n');
        }
        else if (p.Slots > 0)
        {
            bool picks = Pipeline.Flows.PickFlows.Picks(s);
            var mp = new StringBuilder();
            Pipeline.Flows.SlotFlows.Multipath(p.Slots).Format(mp);
            sb.Append("pick:     ").Append(mp).Append(" (")
              .Append(picks ? $"table={Pipeline.LbPipeline.Pick.Id} priority={Pipeline.LbPipeline.Priority.PickGroup}"
                  : $"table={Pipeline.LbPipeline.Service.Id} priority={(s.AllPorts ? Pipeline.LbPipeline.Priority.ServiceAllPorts : Pipeline.LbPipeline.Priority.ServicePort)}")
              .Append(picks ? "; only a new flow meets it" : "").Append(")\n");
            sb.Append("hash:     0x").Append(p.DpHash.ToString("x8", CultureInfo.InvariantCulture))
              .Append(" = flow_hash_symmetric_l3l4 of ip_src^ip_dst, ip_proto, udp_src^udp_dst\n");
            sb.Append("slot:     ").Append(p.Bucket).Append(" of ").Append(p.Slots).Append(p.Slots <= 64 ? " (hrw)" : " (hrw above 64 links: iter_hash)")
              .Append(" → reg2, table=").Append(Pipeline.LbPipeline.Slot.Id).Append('\n');
            sb.Append("backend:  ").Append(Describe(p)).Append('\n');
        }
        else
        {
            sb.Append("backend:  ").Append(Describe(p)).Append('\n');
            sb.Append("verdict:  ").Append(p.Verdict).Append('\n');
        }
        WhichPinned.Append(sb, dp, p);
        sb.Append("check:    ovs-appctl ofproto/trace ").Append(dp.Bridge.Name).Append(" '").Append(TraceFlow(dp, p)).Append("'\n");
        return sb.ToString();
    }

    private static string Describe(FlowPlacement p)
    {
        var b = p.Backend!;
        var parts = new List<string>();
        if (b.IpText is { } ip && b.Name != ip) parts.Add("ip " + ip);
        if (b.Mac is { } mac) parts.Add("mac " + mac);
        if (b.Port is { } port) parts.Add("port " + port);
        if (b.Bridge is { } br) parts.Add("bridge " + br);
        return parts.Count == 0 ? b.Name : $"{b.Name} ({string.Join(", ", parts)})";
    }

    /// <summary>The flow for <c>ofproto/trace</c>: the packet as it enters (to the LB MAC), with the dp_hash the datapath would give it.</summary>
    public static string TraceFlow(DebugPlan dp, FlowPlacement p)
    {
        var t = p.Tuple;
        var sb = new StringBuilder();
        if (dp.Bridge.Uplink is { } up && dp.View.Resolve(up) is uint inPort) sb.Append("in_port=").Append(inPort).Append(',');
        string l4 = t.Protocol == IpProtocol.Tcp ? "tcp" : "udp";
        sb.Append(l4).Append(t.IsIpv6 ? "6" : "").Append(",dl_dst=").Append(dp.Bridge.LbMac);
        if (t.IsIpv6) sb.Append(",ipv6_src=").Append(t.Source6).Append(",ipv6_dst=").Append(t.Destination6);
        else sb.Append(",nw_src=").Append(t.Source).Append(",nw_dst=").Append(t.Destination);
        sb
          .Append(',').Append(l4).Append("_src=").Append(t.SourcePort).Append(',').Append(l4).Append("_dst=").Append(t.DestinationPort); // tp_src means tcp_src to OVS
        if (p.Group is not null) sb.Append(",dp_hash=0x").Append(p.DpHash.ToString("x8", CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
