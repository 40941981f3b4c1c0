using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Messages;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;

namespace OvsLb.Benchmarks;

/// <summary>
/// The load-balancer configuration of the scale benchmark, generated in code: one bridge, V
/// translate-mode TCP services (VIP 10.100.x.y:80) with B backends each, every backend its own IPv4
/// (10.128.0.0/10) so each needs its own return-path (SNAT) flow. Translate mode is the mode whose
/// flow count depends on both VIPs and backends (direct mode puts backends in groups only), so it
/// shows that flows grow with VIPs + backends. The services are stateless (<c>persistence: none</c>): the
/// benchmark measures the controller's cost per VIP and backend, and its "the flow table does not grow with
/// connections" check is the stateless invariant (persistence adds one learned entry per connection).
/// </summary>
public static class LbScaleConfig
{
    public const string Bridge = "br-scale";
    public const ulong DatapathId = 0x5ca1_e000_0001;
    public const uint Uplink = 1;
    public const string Gateway = "10.255.0.1";

    /// <summary>The configuration text (JSON as a user would write it).</summary>
    public static string Json(int vips, int backendsPerVip)
    {
        if (vips < 1 || vips > 60_000) throw new ArgumentOutOfRangeException(nameof(vips), vips, "1..60000 VIPs (10.100.0.0/16)");
        if (backendsPerVip < 1 || (long)vips * backendsPerVip >= 1 << 22) throw new ArgumentOutOfRangeException(nameof(backendsPerVip), backendsPerVip, "at least 1, fewer than 2^22 backends in all (10.128.0.0/10)");
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$"""
            { "options": { "buckets": 256 },
              "bridges": [ { "name": "{{Bridge}}", "datapathId": "0x{{DatapathId:x16}}", "lbMac": "02:00:00:00:00:fe", "uplink": {{Uplink}}, "gateways": [ "{{Gateway}}" ] } ],
              "services": [

            """);
        for (int v = 0; v < vips; v++)
        {
            if (v > 0) sb.Append(",\n");
            sb.Append(CultureInfo.InvariantCulture, $$"""    { "name": "svc{{v}}", "vip": "{{Ip(0x0a64_0000u + (uint)v + 1)}}", "protocol": "tcp", "port": 80, "mode": "translate", "persistence": "none", "backends": [""");
            for (int b = 0; b < backendsPerVip; b++)
            {
                if (b > 0) sb.Append(", ");
                sb.Append(CultureInfo.InvariantCulture, $$"""{ "name": "b{{b}}", "ip": "{{Ip(0x0a80_0000u + (uint)(v * backendsPerVip + b) + 1)}}" }""");
            }
            sb.Append("] }");
        }
        sb.Append("\n  ] }\n");
        return sb.ToString();
    }

    /// <summary>Parses and validates <see cref="Json"/> (throws naming the first errors if the generator is wrong).</summary>
    public static LoadBalancerConfig Config(int vips, int backendsPerVip)
    {
        var r = ConfigLoader.Parse(Json(vips, backendsPerVip));
        if (!r.IsValid) throw new InvalidOperationException("generated configuration is invalid: " + string.Join("; ", r.Errors.Take(5)));
        return r.Config!;
    }

    /// <summary>The bridge as a freshly connected switch reports it: LOCAL and the uplink port, both up.</summary>
    public static BridgeView View() => new(DatapathId, Bridge, new Dictionary<uint, PortDescription>
    {
        [0xfffffffe] = new PortDescription { PortNo = 0xfffffffe, Name = Bridge, State = PortState.Live },
        [Uplink] = new PortDescription { PortNo = Uplink, Name = "up1", State = PortState.Live },
    }, new HashSet<string>(), new Dictionary<string, IReadOnlyList<string?>>());

    /// <summary>Flows and groups the builder makes for V VIPs × B backends.</summary>
    public static (int Flows, int Groups, int Buckets) Counts(int vips, int backendsPerVip)
    {
        var s = PipelineBuilder.Build(Config(vips, backendsPerVip), View()).State;
        return (s.Flows.Count, s.Groups.Count, s.Groups.Values.Sum(g => g.Buckets.Length));
    }

    private static string Ip(uint v) => new OvsLb.OpenFlow.Packets.Ipv4Address(v).ToString();
}

/// <summary>
/// flows = a + b·VIPs + c·backends, fitted from three builder runs that vary VIPs and backends
/// independently, and checked against a fourth.
/// </summary>
/// <param name="A">Flows that exist whatever the services (table defaults, translation, gateway learning).</param>
/// <param name="B">Flows per VIP.</param>
/// <param name="C">Flows per backend.</param>
/// <param name="Check">The fourth point: (VIPs, backends, predicted, built).</param>
public sealed record FlowCountModel(double A, double B, double C, (int Vips, int Backends, double Predicted, int Built) Check)
{
    public static FlowCountModel Fit()
    {
        // Points (VIPs, backends per VIP): 100×8 and 1000×8 vary VIPs; 100×4 varies backends only.
        (int v, int b)[] pts = [(100, 8), (1000, 8), (100, 4)];
        var f = pts.Select(p => LbScaleConfig.Counts(p.v, p.b).Flows).ToArray();
        double c = (f[0] - f[2]) / (double)(100 * 8 - 100 * 4);
        double b = (f[1] - f[0] - c * (1000 * 8 - 100 * 8)) / (1000 - 100);
        double a = f[0] - b * 100 - c * 800;
        const int cv = 300, cb = 6;
        int built = LbScaleConfig.Counts(cv, cb).Flows;
        return new FlowCountModel(a, b, c, (cv, cv * cb, a + b * cv + c * cv * cb, built));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"flows = {A:0.##} + {B:0.##}·VIPs + {C:0.##}·backends (check {Check.Vips} VIPs, {Check.Backends} backends: predicted {Check.Predicted:0.##}, built {Check.Built})");
}
