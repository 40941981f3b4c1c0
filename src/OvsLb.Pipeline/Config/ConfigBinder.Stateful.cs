using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Config;

/// <summary>The stateful part of the configuration: NAT modes, persistence, affinity, onEmpty, snatIp.</summary>
internal sealed partial class ConfigBinder
{
    private readonly record struct Stateful(Persistence Persistence, ushort? Affinity, OnEmpty OnEmpty);

    private static string ModeName(ServiceMode m) => m switch
    {
        ServiceMode.Nat => "nat",
        ServiceMode.FullNat => "fullnat",
        ServiceMode.PortGroup => "portgroup",
        _ => m.ToString().ToLowerInvariant(),
    };

    /// <summary>persistence, affinity and onEmpty of a service; null after an error.</summary>
    private Stateful? BindStateful(Obj svc, ServiceMode? mode, ushort? port)
    {
        int before = Errors.Count;
        bool nat = mode is ServiceMode.Nat or ServiceMode.FullNat;
        var persistence = Enum(svc, "persistence", ("connection", Persistence.Connection), ("none", Persistence.None));
        if (mode is ServiceMode m && persistence is Persistence p)
        {
            if (nat && p == Persistence.None)
            {
                Error(svc.At("persistence"), svc["persistence"], "none",
                    $"{ModeName(m)} mode always keeps a connection on its backend (its connection-tracker entry holds the translation): remove 'persistence' or use \"connection\"");
            }

        }
        ushort? affinity = null;
        var an = svc["affinity"];
        if (an is not null)
        {
            var a = Open(an, svc.At("affinity"), "timeout");
            if (a is not null)
            {
                if (!a.Has("timeout")) Missing(a, "timeout", " (seconds a client keeps its backend without a new connection)");
                else affinity = (ushort?)Int(a, "timeout", 1, ushort.MaxValue, "the affinity timeout (seconds; OVS keeps a learned flow's idle timeout in 16 bits)");
            }
        }
        var onEmpty = Enum(svc, "onEmpty", ("drop", OnEmpty.Drop), ("reject", OnEmpty.Reject)) ?? OnEmpty.Drop;
        if (Errors.Count != before) return null;
        return new Stateful(persistence ?? Persistence.Connection, affinity, onEmpty);
    }

    /// <summary>The largest cap of learned connection entries per bridge: far above the 100,000 measured.</summary>
    private const int MaxConnectionsLimit = 10_000_000;

    /// <summary>options.maxConnections: 1..10,000,000 learned connection entries per bridge, or "unlimited" (null).</summary>
    private int? MaxConnections(Obj o, int? fallback)
    {
        if (!o.Has("maxConnections")) return fallback;
        if (o["maxConnections"] is JValue { Type: System.Text.Json.JsonTokenType.String } v)
        {
            if (v.Text == "unlimited") return null;
            Error(o.At("maxConnections"), v, v.Text, $"'{v.Text}' is not a connection count: use an integer 1..{MaxConnectionsLimit} or \"unlimited\"");
            return fallback;
        }
        return (int?)Int(o, "maxConnections", 1, MaxConnectionsLimit, "the cap of learned connection entries per bridge") ?? fallback;
    }

    /// <summary>
    /// options.maxConnections counts learned entries only. NAT services keep their connections in the connection tracker, which OVS 3.1
    /// lets no controller bound (no OpenFlow message, no OVSDB column: CT_Zone has only a timeout policy), so a cap set
    /// in a file with NAT services would silently not bound them: an error that names the command for the switch host.
    /// </summary>
    private void CheckConnectionCap(Obj root, LoadBalancerOptions options, List<ServiceConfig> services)
    {
        // "unlimited" bounds nothing, so it promises nothing about NAT connections either: only a count is an error.
        if (!options.MaxConnectionsSet || options.MaxConnections is null || root["options"] is not JObject) return;
        var nat = services.FirstOrDefault(s => s.IsNat);
        if (nat is null) return;
        var n = ((JObject)root["options"]!).Properties.FirstOrDefault(p => string.Equals(p.Name, "maxConnections", StringComparison.OrdinalIgnoreCase)).Value;
        Error(JsonBinder.Join(root.At("options"), "maxConnections"), n, n?.Display ?? "",
            $"'maxConnections' caps learned connection entries, but service '{nat.Name}' is {ModeName(nat.Mode)}: its connections are entries of the connection tracker, " +
            $"which the controller cannot bound on OVS 3.1. Remove 'maxConnections' (the default, {LoadBalancerOptions.DefaultMaxConnections}, then caps the other services' learned entries) or set it to \"unlimited\", " +
            $"and set the connection tracker's limit on the switch host: ovs-appctl dpctl/ct-set-limits zone={options.ConntrackZone},limit=N" +
            (services.Any(s => s.Mode == ServiceMode.FullNat) ? $" zone={options.SnatZone},limit=N" : ""));
    }

    /// <summary>A duration option in whole seconds, 1..65535 (OVS keeps flow timeouts in 16-bit seconds).</summary>
    private TimeSpan WholeSeconds(Obj o, string key, TimeSpan fallback)
    {
        var t = Duration(o, key, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(ushort.MaxValue));
        if (t is not TimeSpan v) return fallback;
        if (v.Ticks % TimeSpan.TicksPerSecond == 0) return v;
        Error(o.At(key), o[key], o[key]!.Display, $"'{o[key]!.Display}' is not a whole number of seconds (OVS keeps a flow's idle timeout in seconds)");
        return fallback;
    }

    /// <summary>A NAT backend's targetPort (1..65535); an error in other modes, or when the service balances all ports.</summary>
    private ushort? TargetPort(Obj o, ServiceMode? mode)
    {
        if (!o.Has("targetPort")) return null;
        if (mode is ServiceMode m && m is not (ServiceMode.Nat or ServiceMode.FullNat))
        {
            Error(o.At("targetPort"), o["targetPort"], o["targetPort"]!.Display, $"'targetPort' needs a NAT mode (nat or fullnat): {ModeName(m)} mode does not rewrite ports");
            return null;
        }
        return (ushort?)Int(o, "targetPort", 1, 65535, "the target port");
    }

    /// <summary>A NAT service: a port remap needs a service port; fullnat needs a snatIp on every bridge that serves it.</summary>
    private bool CheckNat(Obj svc, ServiceMode mode, ushort? port, List<BackendDraft> backends, List<string> served, List<BridgeConfig> bridges)
    {
        bool ok = true;
        if (port is null)
        {
            foreach (var d in backends.Where(d => d.Config.TargetPort is not null))
            {
                Error(d.Obj.At("targetPort"), d.Obj["targetPort"], d.Obj["targetPort"]!.Display,
                    "'targetPort' needs a service port: a service balancing all ports keeps each connection's port");
                ok = false;
            }
        }
        if (mode == ServiceMode.FullNat)
        {
            foreach (var b in (served.Count == 0 ? bridges : bridges.Where(b => served.Contains(b.Name))).Where(b => b.SnatIp is null))
            {
                Error(svc.At("mode"), svc["mode"], "fullnat",
                    $"fullnat needs a source address: bridge '{b.Name}' serves this service but declares no 'snatIp'");
                ok = false;
            }
        }
        return ok;
    }

    /// <summary>Each snatIp is owned by one bridge and is nobody else's address: not a VIP, a backend or a gateway.</summary>
    private void CheckSnatIps(Obj root, List<BridgeConfig> bridges, List<ServiceConfig> services)
    {
        var items = Array(root, "bridges") ?? [];
        var owners = new Dictionary<Ipv4Address, string>();
        foreach (var b in bridges)
        {
            if (b.SnatIp is not Ipv4Address ip) continue;
            var (node, path) = items.FirstOrDefault(i => i.Node is JObject jo && jo.Properties.Any(p => string.Equals(p.Name, "name", StringComparison.OrdinalIgnoreCase) && p.Value is JValue v && v.Text == b.Name));
            string at = path is null ? "bridges" : JsonBinder.Join(path, "snatIp");
            // Keys match case-insensitively (as Open binds them), so "SnatIp" is found and positioned too.
            var n = (node as JObject)?.Properties.FirstOrDefault(p => string.Equals(p.Name, "snatIp", StringComparison.OrdinalIgnoreCase)).Value;
            string? clash =
                owners.TryGetValue(ip, out var other) ? $"it is already the snatIp of bridge '{other}'"
                : services.FirstOrDefault(s => s.Vip == ip) is { } sv ? $"it is the VIP of service '{sv.Name}'"
                : services.SelectMany(s => s.Backends.Select(x => (s, x))).FirstOrDefault(t => t.x.Ip == ip) is { s: not null } bt ? $"it is backend '{bt.x.Name}' of service '{bt.s.Name}'"
                : bridges.FirstOrDefault(g => g.Gateways.Contains(ip)) is { } gb ? $"it is a gateway of bridge '{gb.Name}'"
                : null;
            if (clash is not null) Error(at, n, ip.ToString(), $"snatIp '{ip}' cannot be owned by bridge '{b.Name}': {clash}");
            else owners[ip] = b.Name;
        }
    }
}
