using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>
/// Real packets through real userspace OVS bridges, for the load-balancer traffic tests: a switch namespace
/// running a private ovs-vswitchd with one or more <c>datapath_type=netdev</c>, <c>fail_mode=secure</c> bridges
/// (pinned datapath ids), host namespaces plugged into them by veth pairs at pinned OpenFlow port numbers,
/// router namespaces with legs on one or more bridges, and links between bridges (patch ports or veth pairs).
/// Declare it with a <see cref="TopologySpec"/>, build it with <see cref="Start"/>.
/// <para>
/// Every namespace carries a random suffix (<see cref="Id"/>), so topologies never collide; bridge and port names
/// live only in the switch namespace and the private database, so they can be the names a configuration uses.
/// The root namespace is untouched. Every veth end inside a host or router has transmit checksum offload off
/// (see <c>tools/txcsum_off.py</c>): without it TCP and UDP through the userspace datapath arrive with bad
/// checksums. <see cref="Dispose"/> stops controllers and servers started through the topology, OVS, any
/// process left in its namespaces, then deletes the namespaces (and with them every device); it tolerates a
/// half-built topology and runs after failures.
/// </para>
/// <para>
/// A controller must listen inside <see cref="Switch"/>: ovs-vswitchd connects to 127.0.0.1 of its own
/// namespace. <see cref="StartController"/> does that and points every bridge at it.
/// </para>
/// </summary>
public sealed partial class LbTopology : IDisposable
{
    private readonly List<NetNamespace> _namespaces = [];
    private readonly Dictionary<string, TopologyBridge> _bridges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TopologyHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TopologyRouter> _routers = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _tracked = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    private LbTopology(TopologySpec spec, string id)
    {
        Spec = spec;
        Id = id;
    }

    public TopologySpec Spec { get; }

    /// <summary>Random suffix of every namespace name in this topology.</summary>
    public string Id { get; }

    /// <summary>The namespace ovs-vswitchd (and the controller) run in; holds the switch-side port devices.</summary>
    public NetNamespace Switch { get; private set; } = null!;
    public OvsSandbox Ovs { get; private set; } = null!;

    public IReadOnlyDictionary<string, TopologyBridge> Bridges => _bridges;
    public IReadOnlyCollection<TopologyHost> Hosts => _hosts.Values;
    public IReadOnlyCollection<TopologyRouter> Routers => _routers.Values;

    public TopologyBridge Bridge(string name) => _bridges.TryGetValue(name, out var b) ? b : throw new KeyNotFoundException($"no bridge '{name}' in the topology");
    public TopologyHost Host(string name) => _hosts.TryGetValue(name, out var h) ? h : throw new KeyNotFoundException($"no host '{name}' in the topology");
    public TopologyRouter Router(string name) => _routers.TryGetValue(name, out var r) ? r : throw new KeyNotFoundException($"no router '{name}' in the topology");

    /// <summary>Validates <paramref name="spec"/> and builds it; on any failure tears down what was built and throws.</summary>
    public static LbTopology Start(TopologySpec spec)
    {
        var errors = spec.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid topology: " + string.Join("; ", errors), nameof(spec));
        var topo = new LbTopology(spec, Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant());
        try
        {
            topo.Build();
            return topo;
        }
        catch
        {
            topo.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="Start(TopologySpec)"/>, then <paramref name="prepare"/> on the running topology (hold VIPs, start servers,
    /// start a controller); if that throws, the topology is torn down before the exception goes on.
    /// </summary>
    public static LbTopology Start(TopologySpec spec, Action<LbTopology> prepare)
    {
        var topo = Start(spec);
        try
        {
            prepare(topo);
            return topo;
        }
        catch
        {
            topo.Dispose();
            throw;
        }
    }

    private void Build()
    {
        Switch = NetNamespace.Create("ovslb-sw-" + Id);
        _namespaces.Add(Switch);
        Ovs = OvsSandbox.Start(dummy: false, netns: Switch.Name);
        foreach (var b in Spec.Bridges)
        {
            Ovs.AddBridge(b.Name, b.DatapathId, b.Protocols);
            _bridges[b.Name] = new TopologyBridge(b.Name, b.DatapathId);
        }
        foreach (var h in Spec.Hosts) BuildHost(h);
        foreach (var r in Spec.Routers) BuildRouter(r);
        foreach (var l in Spec.Links) BuildLink(l);
        CheckOfPorts();
    }

    private NetNamespace NewNamespace(string node)
    {
        var ns = NetNamespace.Create($"ovslb-{node}-{Id}");
        _namespaces.Add(ns);
        return ns;
    }

    private void BuildHost(HostSpec h)
    {
        var ns = NewNamespace(h.Name);
        string mac = Plug(ns, TopologyHost.Interface, h.Bridge, h.OfPort, h.EffectivePortName, h.Cidr, h.Mac);
        if (h.Gateway is not null) ns.Ip("route", "add", "default", "via", h.Gateway);
        _hosts[h.Name] = new TopologyHost(this, h, ns, mac);
    }

    private void BuildRouter(RouterSpec r)
    {
        var ns = NewNamespace(r.Name);
        string[] forwarding = ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
            "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"];
        ns.Exec(["sysctl", "-q", "-w", .. forwarding]);
        var legs = new List<TopologyRouterLeg>();
        for (int i = 0; i < r.Legs.Count; i++)
        {
            var leg = r.Legs[i];
            string iface = $"eth{i}";
            string port = TopologySpec.RouterLegPortName(r, i);
            string mac = Plug(ns, iface, leg.Bridge, leg.OfPort, port, leg.Cidr, leg.Mac);
            ns.Exec("sysctl", "-q", "-w", $"net.ipv4.conf.{iface}.rp_filter=0");
            legs.Add(new TopologyRouterLeg(leg, iface, port, mac));
        }
        _routers[r.Name] = new TopologyRouter(r.Name, ns, legs);
    }

    /// <summary>A veth from <paramref name="iface"/> in <paramref name="ns"/> to a new port of <paramref name="bridge"/>; returns the interface's MAC.</summary>
    private string Plug(NetNamespace ns, string iface, string bridge, uint ofport, string port, string cidr, string? mac)
    {
        // Both ends are created directly in their namespaces: nothing appears in the root namespace.
        ProcessRunner.Run("ip", ["link", "add", port, "netns", Switch.Name, "type", "veth", "peer", "name", iface, "netns", ns.Name]).EnsureSuccess();
        if (mac is not null) ns.Ip("link", "set", iface, "address", mac);
        ns.Ip("addr", "add", cidr, "dev", iface);
        ns.Ip("link", "set", iface, "up");
        ns.Exec("python3", TrafficTools.Script("txcsum_off.py"), iface);
        Switch.Ip("link", "set", port, "up");
        Ovs.Vsctl("add-port", bridge, port, "--", "set", "interface", port, $"ofport_request={ofport}");
        return ReadMac(ns, iface);
    }

    private void BuildLink(BridgeLinkSpec l)
    {
        string a = l.EffectiveNameA, b = l.EffectiveNameB;
        if (l.Kind == BridgeLinkKind.Veth)
        {
            Switch.Ip("link", "add", a, "type", "veth", "peer", "name", b);
            Switch.Ip("link", "set", a, "up");
            Switch.Ip("link", "set", b, "up");
            Ovs.Vsctl("add-port", l.BridgeA, a, "--", "set", "interface", a, $"ofport_request={l.PortA}",
                "--", "add-port", l.BridgeB, b, "--", "set", "interface", b, $"ofport_request={l.PortB}");
        }
        else
        {
            Ovs.Vsctl("add-port", l.BridgeA, a, "--", "set", "interface", a, "type=patch", $"options:peer={b}", $"ofport_request={l.PortA}",
                "--", "add-port", l.BridgeB, b, "--", "set", "interface", b, "type=patch", $"options:peer={a}", $"ofport_request={l.PortB}");
        }
    }

    [GeneratedRegex(@"link/ether ([0-9a-f:]{17})")]
    private static partial Regex EtherAddress();

    private static string ReadMac(NetNamespace ns, string iface) =>
        EtherAddress().Match(ns.Ip("link", "show", iface).Stdout) is { Success: true } m ? m.Groups[1].Value
            : throw new InvalidOperationException($"no MAC on {iface} in {ns.Name}");

    /// <summary>Every declared port got the OpenFlow number it asked for (OVS silently picks another when it cannot).</summary>
    private void CheckOfPorts()
    {
        var wanted = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var h in Spec.Hosts) wanted[h.EffectivePortName] = h.OfPort;
        foreach (var r in Spec.Routers) for (int i = 0; i < r.Legs.Count; i++) wanted[TopologySpec.RouterLegPortName(r, i)] = r.Legs[i].OfPort;
        foreach (var l in Spec.Links)
        {
            wanted[l.EffectiveNameA] = l.PortA;
            wanted[l.EffectiveNameB] = l.PortB;
        }
        if (wanted.Count == 0) return;
        var actual = Ovs.Vsctl("--format=csv", "--no-headings", "--columns=name,ofport", "list", "interface").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(','))
            .ToDictionary(p => p[0].Trim('"'), p => p[1].Trim(), StringComparer.Ordinal);
        var wrong = wanted.Where(w => !actual.TryGetValue(w.Key, out var got) || got != w.Value.ToString(CultureInfo.InvariantCulture))
            .Select(w => $"{w.Key} wanted {w.Value}, got {actual.GetValueOrDefault(w.Key, "none")}").ToList();
        if (wrong.Count > 0) throw new InvalidOperationException($"OpenFlow port numbers not as declared: {string.Join(", ", wrong)}; see {Ovs.Dir}/ovs-vswitchd.log");
    }

    /// <summary>Sets a switch-side device (a host's or router's port, or a veth link end) administratively down or up.</summary>
    public void SetSwitchPort(string portName, bool up) => Switch.Ip("link", "set", portName, up ? "up" : "down");

    /// <summary><c>ovs-appctl ofproto/trace BRIDGE FLOW</c>: what the bridge would do with such a packet, without sending one.</summary>
    public string Trace(string bridge, string flow) => Ovs.Appctl("ofproto/trace", bridge, flow).Stdout;

    /// <summary>Registers something to dispose with the topology (servers, controllers); returns it.</summary>
    public T Track<T>(T item) where T : IDisposable
    {
        lock (_lock)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(LbTopology));
            _tracked.Add(item);
        }
        return item;
    }

    public void Dispose()
    {
        List<IDisposable> tracked;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            tracked = [.. _tracked];
        }
        foreach (var t in Enumerable.Reverse(tracked))
        {
            try
            {
                t.Dispose();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
            {
            }
        }
        Ovs?.Dispose();   // no process may stay inside a namespace, or it outlives the namespace's name
        foreach (var ns in _namespaces) KillLeftovers(ns);
        foreach (var ns in Enumerable.Reverse(_namespaces)) ns.Dispose();
    }

    /// <summary>Kills (by pid) any process a test left running inside one of this topology's namespaces.</summary>
    private static void KillLeftovers(NetNamespace ns)
    {
        if (!NetNamespace.Exists(ns.Name)) return;
        var pids = ProcessRunner.Run("ip", ["netns", "pids", ns.Name]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var p in pids)
        {
            if (!int.TryParse(p, out int pid)) continue;
            try
            {
                Posix.Kill(pid, Posix.SigKill);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
        if (pids.Length > 0) ProcessRunner.WaitUntil(() => ProcessRunner.Run("ip", ["netns", "pids", ns.Name]).Stdout.Trim().Length == 0, TimeSpan.FromSeconds(5));
    }
}
