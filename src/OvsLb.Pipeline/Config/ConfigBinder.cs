using System.Globalization;
using System.Numerics;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Config;

/// <summary>Binds the parsed JSON tree to the configuration records, collecting every error with its line.</summary>
internal sealed partial class ConfigBinder(LineMap map) : JsonBinder(map)
{
    private sealed record BackendDraft(BackendConfig Config, Obj Obj);

    public LoadBalancerConfig Bind(JNode root)
    {
        string path = "";
        if (root is JObject top)
        {
            var section = top.Properties.FirstOrDefault(p => string.Equals(p.Name, ConfigLoader.SectionName, StringComparison.OrdinalIgnoreCase));
            if (section.Value is not null) { root = section.Value; path = ConfigLoader.SectionName; }
        }
        var o = Open(root, path, "services", "bridges", "options", "healthCheck");
        if (o is null) return LoadBalancerConfig.Empty;

        var options = BindOptions(o);
        var health = BindHealth(o["healthCheck"], o.At("healthCheck"), HealthCheckConfig.Default);
        var bridges = BindBridges(o, out var bridgeNames);
        var services = BindServices(o, bridges, bridgeNames, options, health);
        CheckSnatIps(o, bridges, services);
        CheckConnectionCap(o, options, services);
        if (services.Count > 0 && bridges.Count == 0 && bridgeNames.Count == 0)
        {
            if (o.Has("bridges")) Error(o.At("bridges"), o["bridges"], "", "at least one bridge is required when services are declared");
            else Missing(o, "bridges", " when services are declared");
        }
        return new LoadBalancerConfig(services.ToArray(), bridges.ToArray(), options, health);
    }

    private LoadBalancerOptions BindOptions(Obj root)
    {
        var d = LoadBalancerOptions.Default;
        var o = Open(root["options"], root.At("options"), "fakeMacPrefix", "buckets", "stopArpWhenAllDown", "nextHopTimeout", "gatewayProbeInterval", "bridgeGrace", "conntrackZone", "connectionIdleTimeout", "rejectRate", "maxConnections", "connectionCapInterval");
        if (o is null) return d;
        ushort prefix = d.FakeMacPrefix;
        var ps = Str(o, "fakeMacPrefix");
        if (ps is not null)
        {
            if (ps.Length != 5 || ps[2] != ':' || !ushort.TryParse(ps.Replace(":", ""), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out prefix))
            {
                Error(o.At("fakeMacPrefix"), o["fakeMacPrefix"], ps, $"'{ps}' is not a 16-bit MAC prefix (expected two octets, e.g. \"aa:bb\")");
                prefix = d.FakeMacPrefix;
            }
            else if ((prefix & 0x0100) != 0)
            {
                Error(o.At("fakeMacPrefix"), o["fakeMacPrefix"], ps, $"'{ps}' has the multicast bit set: fake MACs must be unicast");
            }
        }
        int buckets = d.Buckets;
        var bn = o["buckets"];
        var bv = Int(o, "buckets", ConfigLoader.MinBuckets, ConfigLoader.MaxBuckets, "the bucket count");
        if (bv is long b)
        {
            if (!BitOperations.IsPow2(b)) Error(o.At("buckets"), bn, bn!.Display, $"'{bn.Display}' is not a power of two");
            else buckets = (int)b;
        }
        var nextHop = Duration(o, "nextHopTimeout", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(ushort.MaxValue)) ?? d.NextHopTimeout;
        if (nextHop.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            Error(o.At("nextHopTimeout"), o["nextHopTimeout"], o["nextHopTimeout"]!.Display, $"'{o["nextHopTimeout"]!.Display}' is not a whole number of seconds (OVS keeps a flow's hard timeout in seconds)");
            nextHop = d.NextHopTimeout;
        }
        var probe = Duration(o, "gatewayProbeInterval", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        if (probe is TimeSpan p && p >= nextHop)
        {
            Error(o.At("gatewayProbeInterval"), o["gatewayProbeInterval"], o["gatewayProbeInterval"]!.Display,
                $"the gateway probe interval ({p}) must be shorter than the next-hop timeout ({nextHop}), or learned next hops expire between probes");
            probe = null;
        }
        var grace = Duration(o, "bridgeGrace", TimeSpan.Zero, TimeSpan.FromHours(1)) ?? d.BridgeGrace;
        ushort zone = (ushort?)Int(o, "conntrackZone", 0, 65534, "the conntrack zone (fullnat also uses the next one)") ?? d.ConntrackZone;
        return new LoadBalancerOptions(prefix, buckets, Bool(o, "stopArpWhenAllDown") ?? d.StopArpWhenAllDown)
        {
            NextHopTimeout = nextHop, GatewayProbeInterval = probe, BridgeGrace = grace, ConntrackZone = zone,
            ConnectionIdleTimeout = WholeSeconds(o, "connectionIdleTimeout", d.ConnectionIdleTimeout),
            RejectRate = (uint?)Int(o, "rejectRate", LoadBalancerOptions.MinRejectRate, LoadBalancerOptions.MaxRejectRate,
                "the reject rate (packets per second a bridge sends to the controller to be refused)") ?? d.RejectRate,
            MaxConnections = MaxConnections(o, d.MaxConnections),
            MaxConnectionsSet = o.Has("maxConnections"),
            ConnectionCapInterval = Duration(o, "connectionCapInterval", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)) ?? d.ConnectionCapInterval,
        };
    }

    private HealthCheckConfig BindHealth(JNode? n, string path, HealthCheckConfig d)
    {
        var o = Open(n, path, "kind", "interval", "timeout", "rise", "fall", "port");
        if (o is null) return d;
        var kind = Enum(o, "kind", ("none", HealthCheckKind.None), ("arp", HealthCheckKind.Arp), ("tcp", HealthCheckKind.Tcp)) ?? d.Kind;
        var interval = Duration(o, "interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)) ?? d.Interval;
        var timeout = Duration(o, "timeout", TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)) ?? d.Timeout;
        if (timeout > interval)
        {
            var at = o["timeout"] ?? o["interval"] ?? o.Node;
            string key = o.Has("timeout") ? "timeout" : "interval";
            Error(o.At(key), at, at.Display, $"the timeout ({timeout}) must not exceed the interval ({interval})");
        }
        int rise = (int?)Int(o, "rise", 1, 100, "rise") ?? d.Rise;
        int fall = (int?)Int(o, "fall", 1, 100, "fall") ?? d.Fall;
        ushort? port = o.Has("port") ? (ushort?)Int(o, "port", 1, 65535, "the port") : d.Port;
        return new HealthCheckConfig(kind, interval, timeout, rise, fall, port);
    }

    private List<BridgeConfig> BindBridges(Obj root, out HashSet<string> names)
    {
        names = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<BridgeConfig>();
        var items = Array(root, "bridges");
        if (items is null) return result;
        var dpids = new Dictionary<ulong, string>();
        var lbMacs = new Dictionary<MacAddress, string>();
        foreach (var (node, path) in items)
        {
            var o = Open(node, path, "name", "datapathId", "lbMac", "uplink", "gateways", "role", "snatIp");
            if (o is null) continue;
            string? name = o.Has("name") ? Name(o["name"], o.At("name")) : null;
            if (!o.Has("name")) Missing(o, "name");
            if (name is not null && !names.Add(name))
            {
                Error(o.At("name"), o["name"], name, $"duplicate bridge name '{name}'");
                name = null;
            }
            ulong? dpid = DatapathId(o);
            if (dpid is ulong id && name is not null && !dpids.TryAdd(id, name))
            {
                Error(o.At("datapathId"), o["datapathId"], o["datapathId"]!.Display, $"datapath id {id:x16} is already used by bridge '{dpids[id]}'");
            }
            MacAddress? lbMac = Mac(o["lbMac"], o.At("lbMac"));
            if (!o.Has("lbMac")) Missing(o, "lbMac", " (the MAC this bridge answers ARP for the VIPs with)");
            var uplink = Port(o["uplink"], o.At("uplink"));
            var gateways = new List<Ipv4Address>();
            foreach (var (g, gp) in Array(o, "gateways") ?? [])
            {
                if (Ip(g, gp) is Ipv4Address ip)
                {
                    if (gateways.Contains(ip)) Error(gp, g, g.Display, $"duplicate gateway '{ip}'");
                    else gateways.Add(ip);
                }
            }
            var role = Enum(o, "role", ("standalone", BridgeRole.Standalone), ("distributed", BridgeRole.Distributed)) ?? BridgeRole.Standalone;
            if (lbMac is MacAddress m && name is not null && role == BridgeRole.Distributed && !lbMacs.TryAdd(m, name))
            {
                Error(o.At("lbMac"), o["lbMac"], o["lbMac"]!.Display, $"'{m}' is already the lbMac of distributed bridge '{lbMacs[m]}': each bridge answers with its own local LB MAC");
            }
            if (name is not null && lbMac is MacAddress mac)
            {
                result.Add(new BridgeConfig(name, dpid, mac, uplink, gateways.ToArray(), role) { SnatIp = Ip(o["snatIp"], o.At("snatIp")) });
            }
        }
        return result;
    }

    /// <summary>A datapath id: a JSON integer, "0x..." hex, or 16 hex digits optionally separated by ':'.</summary>
    private ulong? DatapathId(Obj o)
    {
        var n = o["datapathId"];
        if (n is null) return null;
        if (n is JValue { Type: System.Text.Json.JsonTokenType.Number } v
            && ulong.TryParse(v.Text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong x)) return x;
        if (n is JValue { Type: System.Text.Json.JsonTokenType.String } s)
        {
            string t = s.Text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s.Text[2..] : s.Text.Replace(":", "");
            if (t.Length is > 0 and <= 16 && ulong.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out x)) return x;
        }
        Error(o.At("datapathId"), n, n.Display, $"'{n.Display}' is not a datapath id (e.g. \"0x00000000000000a1\" or 161)");
        return null;
    }

    private List<ServiceConfig> BindServices(Obj root, List<BridgeConfig> bridges, HashSet<string> bridgeNames,
        LoadBalancerOptions options, HealthCheckConfig globalHealth)
    {
        var result = new List<ServiceConfig>();
        var items = Array(root, "services");
        if (items is null) return result;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var endpoints = new Dictionary<(string Vip, ServiceProtocol, ushort?), string>();
        foreach (var (node, path) in items)
        {
            var o = Open(node, path, "name", "vip", "protocol", "port", "mode", "backends", "bridges", "healthCheck", "persistence", "affinity", "onEmpty");
            if (o is null) continue;
            bool ok = true;
            string? name = Required(o, "name") ? Name(o["name"], o.At("name")) : null;
            if (name is not null && !names.Add(name))
            {
                Error(o.At("name"), o["name"], name, $"duplicate service name '{name}'");
                ok = false;
            }
            var (vip, vip6) = Vips(o);
            var protocol = Enum(o, "protocol", ("tcp", ServiceProtocol.Tcp), ("udp", ServiceProtocol.Udp)) ?? ServiceProtocol.Tcp;
            var (port, portOk) = ServicePort(o);
            var mode = Required(o, "mode") ? Enum(o, "mode", ("direct", ServiceMode.Direct), ("translate", ServiceMode.Translate), ("portgroup", ServiceMode.PortGroup),
                ("nat", ServiceMode.Nat), ("fullnat", ServiceMode.FullNat)) : null;

            foreach (var v in new[] { vip?.ToString(), vip6?.ToString() })
            {
                if (v is null || !portOk || name is null) continue;
                string? clash = endpoints.TryGetValue((v, protocol, port), out var other) ? other
                    : port is null ? endpoints.FirstOrDefault(e => e.Key.Vip == v && e.Key.Item2 == protocol).Value
                    : endpoints.TryGetValue((v, protocol, null), out var all) ? all : null;
                string ep = $"{(v.Contains(':') ? "[" + v + "]" : v)}:{(port?.ToString(CultureInfo.InvariantCulture) ?? "all")}/{protocol.ToString().ToLowerInvariant()}";
                if (clash is not null)
                {
                    Error(o.At("vip"), o["vip"], v, $"'{ep}' overlaps service '{clash}' (same VIP, protocol and port)");
                    ok = false;
                }
                else endpoints[(v, protocol, port)] = name;
            }

            var served = new List<string>();
            foreach (var (bn, bp) in Array(o, "bridges") ?? [])
            {
                var b = Str(bn, bp);
                if (b is null) continue;
                if (!bridgeNames.Contains(b)) { Error(bp, bn, b, $"bridge '{b}' is not declared in 'bridges'"); ok = false; }
                else if (served.Contains(b)) Error(bp, bn, b, $"bridge '{b}' is listed twice");
                else served.Add(b);
            }

            var health = BindHealth(o["healthCheck"], o.At("healthCheck"), globalHealth);
            bool tcpCheckPortless = health.Kind == HealthCheckKind.Tcp && health.Port is null && (port is null || protocol == ServiceProtocol.Udp);
            if (tcpCheckPortless && portOk)
            {
                var hn = o["healthCheck"];
                Error(hn is null ? o.At("port") : o.At("healthCheck.port"), hn ?? o["port"], "",
                    "a tcp health check needs 'healthCheck.port' when the service is udp or balances all ports");
                ok = false;
            }

            var stateful = BindStateful(o, mode, port);
            if (stateful is null) ok = false;
            if (!CheckIpv6Fits(o, vip6, mode, protocol, stateful)) ok = false;
            var backends = BindBackends(o, mode, vip, vip6, bridgeNames, bridges.Count, options, served, bridges);
            if (backends is not null && mode is ServiceMode.Nat or ServiceMode.FullNat && !CheckNat(o, mode.Value, port, backends, served, bridges)) ok = false;
            if (backends is not null && mode is ServiceMode m && !CheckHealthFits(o, m, port, health, backends)) ok = false;
            if (backends is null || name is null || (vip is null && vip6 is null) || mode is null || !portOk) ok = false;
            if (ok)
            {
                result.Add(new ServiceConfig(name!, vip, protocol, port, mode!.Value,
                    backends!.Select(d => d.Config).ToArray(), served.ToArray(), health)
                {
                    Vip6 = vip6,
                    Persistence = stateful!.Value.Persistence, AffinityTimeout = stateful.Value.Affinity, OnEmpty = stateful.Value.OnEmpty,
                });
            }
        }
        return result;
    }

    /// <summary>
    /// The active check must be able to tell this mode's backends apart and reach them: ARP probes
    /// cannot cross the router to translate-mode backends; a TCP check on the service port of a
    /// translate backend is answered through the return SNAT (from the VIP, so the controller's kernel
    /// resets it); port-group servers share one IP, so only ARP (answered per MAC on each port) checks
    /// one server; direct-mode checks need each backend's own IP (the VIP is held by all of them).
    /// </summary>
    private bool CheckHealthFits(Obj svc, ServiceMode mode, ushort? port, HealthCheckConfig health, List<BackendDraft> backends)
    {
        if (health.Kind == HealthCheckKind.None) return true;
        // The check may come from the global healthCheck: then the service's mode (present, as the mode is known) is what clashes with it.
        string key = svc.Has("healthCheck") ? "healthCheck" : "mode";
        string node = svc.At(key);
        var n = svc[key];
        string kind = health.Kind.ToString().ToLowerInvariant();
        switch (mode)
        {
            case ServiceMode.Translate when health.Kind == HealthCheckKind.Arp:
                Error(node, n, kind, "an arp check cannot reach translate-mode backends (they are behind the router, in another subnet): use a tcp check");
                return false;
            case ServiceMode.Translate when health.Kind == HealthCheckKind.Tcp && (health.Port is null || health.Port == port):
                Error(node, n, kind, "a tcp check of translate-mode backends needs 'healthCheck.port' other than the service port: their replies from the service port are rewritten to the VIP (return SNAT), so the check's connection would be reset");
                return false;
            case ServiceMode.PortGroup when health.Kind == HealthCheckKind.Tcp:
                Error(node, n, kind, "a tcp check cannot tell port-group servers apart (they share the VIP): use an arp check (answered per server port)");
                return false;
            case ServiceMode.Direct:
                bool ok = true;
                foreach (var d in backends.Where(d => d.Config.Ip is null && d.Config.Ip6 is null))
                {
                    Error(d.Obj.Path, d.Obj.Node, "", $"'ip' is required for a direct-mode backend when the service has a {kind} health check (the VIP is held by every backend)");
                    ok = false;
                }
                return ok;
        }
        return true;
    }

    private bool Required(Obj o, string key)
    {
        if (o.Has(key)) return true;
        Missing(o, key);
        return false;
    }

    /// <summary>The service port: 1..65535 or "all"; (null, true) means all ports.</summary>
    private (ushort? Port, bool Ok) ServicePort(Obj o)
    {
        if (!Required(o, "port")) return (null, false);
        var n = o["port"]!;
        if (n is JValue { Type: System.Text.Json.JsonTokenType.String } s)
        {
            if (string.Equals(s.Text, "all", StringComparison.OrdinalIgnoreCase)) return (null, true);
            Error(o.At("port"), n, s.Text, $"'{s.Text}' is not a port: use a number 1..65535 or \"all\"");
            return (null, false);
        }
        var x = Int(n, o.At("port"), 1, 65535, "the port");
        return x is null ? (null, false) : ((ushort)x, true);
    }

    private List<BackendDraft>? BindBackends(Obj svc, ServiceMode? mode, Ipv4Address? vip, Ipv6Address? vip6, HashSet<string> bridgeNames,
        int bridgeCount, LoadBalancerOptions options, List<string> served, List<BridgeConfig> bridges)
    {
        if (!Required(svc, "backends")) return null;
        var items = Array(svc, "backends");
        if (items is null) return null;
        if (items.Count == 0)
        {
            Error(svc.At("backends"), svc["backends"], "[]", "a service needs at least one backend");
            return null;
        }
        if (items.Count > options.Buckets)
        {
            Error(svc.At("backends"), svc["backends"], items.Count.ToString(CultureInfo.InvariantCulture),
                $"{items.Count} backends do not fit in {options.Buckets} buckets (options.buckets)");
        }
        int before = Errors.Count;
        var drafts = new List<BackendDraft>();
        foreach (var (node, path) in items)
        {
            var d = BindBackend(node, path, mode, vip, vip6, bridgeNames, bridgeCount);
            if (d is not null) drafts.Add(d);
        }
        if (mode is ServiceMode m) CheckDuplicates(drafts, m);
        if (mode == ServiceMode.Translate)
        {
            var serving = served.Count == 0 ? bridges : bridges.Where(b => served.Contains(b.Name)).ToList();
            if (serving.Count > 0 && serving.All(b => b.Gateways.IsEmpty))
            {
                Error(svc.At("mode"), svc["mode"], "translate",
                    "translate mode needs a next-hop gateway: no bridge serving this service declares 'gateways'");
            }
        }
        if (mode == ServiceMode.PortGroup)
        {
            var onBridges = drafts.Select(d => d.Config.Bridge).Distinct().ToList();
            if (onBridges.Count > 1)
            {
                var d = drafts.First(x => x.Config.Bridge != drafts[0].Config.Bridge);
                Error(d.Obj.At("bridge"), d.Obj["bridge"] ?? d.Obj.Node, d.Config.Bridge ?? "",
                    $"all port-group backends must be on one bridge ('{drafts[0].Config.Bridge}')");
            }
        }
        return Errors.Count == before ? drafts : null;
    }

    private BackendDraft? BindBackend(JNode node, string path, ServiceMode? mode, Ipv4Address? vip, Ipv6Address? vip6, HashSet<string> bridgeNames, int bridgeCount)
    {
        var o = Open(node, path, "name", "ip", "mac", "port", "bridge", "weight", "targetPort");
        if (o is null) return null;
        string? name = o.Has("name") ? Str(o, "name") : null;
        var (ip, ip6) = BackendIp(o, mode, vip6);
        var mac = Mac(o["mac"], o.At("mac"));
        var port = Port(o["port"], o.At("port"));
        var bridge = o.Has("bridge") ? Str(o, "bridge") : null;
        if (bridge is not null && !bridgeNames.Contains(bridge))
        {
            Error(o.At("bridge"), o["bridge"], bridge, $"bridge '{bridge}' is not declared in 'bridges'");
        }
        int weight = (int?)Int(o, "weight", 1, ConfigLoader.MaxWeight, "the weight") ?? 1;
        switch (mode)
        {
            case ServiceMode.Translate when !o.Has("ip"):
                Missing(o, "ip", " for a translate-mode backend (its fake MAC encodes the IP)");
                break;
            case ServiceMode.Direct when !o.Has("mac"):
                Missing(o, "mac", " for a direct-mode backend");
                break;
            case ServiceMode.Nat or ServiceMode.FullNat when !o.Has("ip"):
                Missing(o, "ip", $" for a {ModeName(mode.Value)} backend (connections are rewritten to it)");
                break;
            case ServiceMode.PortGroup:
                if (!o.Has("mac")) Missing(o, "mac", " for a port-group backend");
                if (!o.Has("port")) Missing(o, "port", " for a port-group backend");
                if (ip is Ipv4Address i && vip is Ipv4Address v && i != v)
                {
                    Error(o.At("ip"), o["ip"], i.ToString(), $"port-group backends share the VIP: '{i}' differs from vip '{v}'");
                }
                break;
        }
        if (o.Has("port") && !o.Has("bridge") && bridgeCount > 1)
        {
            Error(o.At("port"), o["port"], o["port"]!.Display, "'bridge' is required with 'port' when several bridges are declared");
        }
        name ??= (mode == ServiceMode.PortGroup ? mac?.ToString() : null) ?? ip?.ToString() ?? ip6?.ToString() ?? mac?.ToString() ?? (port is PortRef p ? "port " + p : "backend");
        if (mode == ServiceMode.PortGroup && vip is not null) ip ??= vip;
        return new BackendDraft(new BackendConfig(name, ip, mac, port, bridge, weight) { TargetPort = TargetPort(o, mode), Ip6 = ip6 }, o);
    }

    private void CheckDuplicates(List<BackendDraft> drafts, ServiceMode mode)
    {
        void Check<TKey>(string key, Func<BackendConfig, TKey?> select, string what) where TKey : struct
        {
            var seen = new Dictionary<TKey, int>();
            for (int i = 0; i < drafts.Count; i++)
            {
                if (select(drafts[i].Config) is not TKey k) continue;
                if (seen.TryGetValue(k, out int first))
                {
                    var n = drafts[i].Obj[key];
                    Error(drafts[i].Obj.At(key), n ?? drafts[i].Obj.Node, n?.Display ?? "",
                        $"duplicate backend {what} '{n?.Display}' (also {drafts[first].Obj.Path})");
                }
                else seen[k] = i;
            }
        }
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < drafts.Count; i++)
        {
            if (names.TryGetValue(drafts[i].Config.Name, out int first))
            {
                var n = drafts[i].Obj["name"] ?? drafts[i].Obj.Node;
                Error(drafts[i].Obj.Has("name") ? drafts[i].Obj.At("name") : drafts[i].Obj.Path, n, drafts[i].Config.Name,
                    $"duplicate backend name '{drafts[i].Config.Name}' (also {drafts[first].Obj.Path}): names identify backends in health state, --down and /status");
            }
            else names[drafts[i].Config.Name] = i;
        }
        switch (mode)
        {
            case ServiceMode.Translate: Check("ip", c => c.Ip, "IP"); break;
            case ServiceMode.Nat or ServiceMode.FullNat:
                var endpoints = new Dictionary<(Ipv4Address, ushort?), int>();
                for (int i = 0; i < drafts.Count; i++)
                {
                    if (drafts[i].Config.Ip is not Ipv4Address bip) continue;
                    var k = (bip, drafts[i].Config.TargetPort);
                    if (!endpoints.TryAdd(k, i))
                    {
                        Error(drafts[i].Obj.At("ip"), drafts[i].Obj["ip"] ?? drafts[i].Obj.Node, k.Item1.ToString(),
                            $"duplicate backend '{k.Item1}{(k.Item2 is ushort tp ? ":" + tp : "")}' (also {drafts[endpoints[k]].Obj.Path})");
                    }
                }
                break;
            case ServiceMode.Direct: Check("mac", c => c.Mac, "MAC"); break;
            case ServiceMode.PortGroup:
                Check("mac", c => c.Mac, "MAC");
                Check("port", c => c.Port, "port");
                break;
        }
    }
}
