using System.Net;

namespace OvsLb.Testing;

/// <summary>A userspace (<c>datapath_type=netdev</c>) OVS bridge of an <see cref="LbTopology"/>.</summary>
/// <param name="Name">The bridge name. Names are private to the topology's switch namespace and database, so
/// use the name the load-balancer configuration gives the bridge (it is also the LOCAL port's name).</param>
/// <param name="DatapathId">Pinned with <c>other-config:datapath-id</c>.</param>
/// <param name="Protocols">OpenFlow versions the bridge allows (ovs-vsctl <c>protocols</c>).</param>
public sealed record BridgeSpec(string Name, ulong DatapathId, string Protocols = "OpenFlow13");

/// <summary>
/// A host: a network namespace whose <c>eth0</c> is a veth plugged into <paramref name="Bridge"/> at OpenFlow
/// port <paramref name="OfPort"/>.
/// </summary>
/// <param name="Name">Short name, unique in the topology (the namespace gets the topology's random suffix).</param>
/// <param name="Cidr">IPv4 address and prefix of eth0, e.g. <c>10.0.0.2/24</c>. Two hosts may share an address
/// (port-group servers do): each lives in its own namespace.</param>
/// <param name="Mac">eth0's MAC; null lets the kernel pick one (read it back from <see cref="TopologyHost.Mac"/>).</param>
/// <param name="Gateway">Default route via this address, or none.</param>
/// <param name="PortName">Name of the switch-side veth end (the OVS port name PORT_DESC reports, at most 15
/// characters); default: the host's name.</param>
public sealed record HostSpec(string Name, string Bridge, uint OfPort, string Cidr, string? Mac = null, string? Gateway = null, string? PortName = null)
{
    public string EffectivePortName => PortName ?? Name;
}

/// <summary>One interface of a router: <c>ethN</c> in the router namespace (N = leg index), a veth into
/// <paramref name="Bridge"/> at <paramref name="OfPort"/>.</summary>
/// <param name="PortName">Switch-side veth name; default <c>{router}-{N}</c>.</param>
public sealed record RouterLegSpec(string Bridge, uint OfPort, string Cidr, string? Mac = null, string? PortName = null);

/// <summary>A router namespace: IPv4 forwarding on, reverse-path filtering and ICMP redirects off.</summary>
public sealed record RouterSpec(string Name, IReadOnlyList<RouterLegSpec> Legs);

/// <summary>How two bridges are wired together.</summary>
public enum BridgeLinkKind
{
    /// <summary>OVS patch ports (<c>type=patch</c>, <c>options:peer</c>): no kernel device, packets cross inside ovs-vswitchd.</summary>
    Patch,
    /// <summary>A veth pair in the switch namespace, one end on each bridge: a real cable, whose carrier can be cut.</summary>
    Veth,
}

/// <summary>A link between two bridges: port <paramref name="PortA"/> on <paramref name="BridgeA"/> to
/// <paramref name="PortB"/> on <paramref name="BridgeB"/>.</summary>
/// <param name="NameA">OVS port name on A; default <c>{BridgeA}-{BridgeB}</c> cut to 15 characters.</param>
/// <param name="NameB">OVS port name on B; default <c>{BridgeB}-{BridgeA}</c> cut to 15 characters.</param>
public sealed record BridgeLinkSpec(string BridgeA, uint PortA, string BridgeB, uint PortB, BridgeLinkKind Kind = BridgeLinkKind.Patch,
    string? NameA = null, string? NameB = null)
{
    public string EffectiveNameA => NameA ?? TopologySpec.PortName($"{BridgeA}-{BridgeB}");
    public string EffectiveNameB => NameB ?? TopologySpec.PortName($"{BridgeB}-{BridgeA}");
}

/// <summary>
/// What an <see cref="LbTopology"/> is made of, declared before anything is created (so mistakes are
/// reported by <see cref="Validate"/>, not half-way through building namespaces):
/// <code>
/// var spec = new TopologySpec()
///     .Bridge("br-a", 0xa).Bridge("br-b", 0xb)
///     .Host("client", "br-a", 1, "10.0.0.2/24", gateway: "10.0.0.1")
///     .Host("s1", "br-b", 11, "10.1.0.11/24", mac: "02:00:00:00:01:11", gateway: "10.1.0.1")
///     .Router("r", new RouterLegSpec("br-a", 100, "10.0.0.1/24"), new RouterLegSpec("br-b", 100, "10.1.0.1/24"))
///     .Link("br-a", 200, "br-b", 200, BridgeLinkKind.Veth);
/// using var topo = LbTopology.Start(spec);
/// </code>
/// </summary>
public sealed class TopologySpec
{
    private readonly List<BridgeSpec> _bridges = [];
    private readonly List<HostSpec> _hosts = [];
    private readonly List<RouterSpec> _routers = [];
    private readonly List<BridgeLinkSpec> _links = [];

    public IReadOnlyList<BridgeSpec> Bridges => _bridges;
    public IReadOnlyList<HostSpec> Hosts => _hosts;
    public IReadOnlyList<RouterSpec> Routers => _routers;
    public IReadOnlyList<BridgeLinkSpec> Links => _links;

    public TopologySpec Bridge(string name, ulong datapathId, string protocols = "OpenFlow13")
    {
        _bridges.Add(new BridgeSpec(name, datapathId, protocols));
        return this;
    }

    public TopologySpec Host(string name, string bridge, uint ofPort, string cidr, string? mac = null, string? gateway = null, string? portName = null)
    {
        _hosts.Add(new HostSpec(name, bridge, ofPort, cidr, mac, gateway, portName));
        return this;
    }

    public TopologySpec Host(HostSpec host)
    {
        _hosts.Add(host);
        return this;
    }

    public TopologySpec Router(string name, params RouterLegSpec[] legs)
    {
        _routers.Add(new RouterSpec(name, legs));
        return this;
    }

    public TopologySpec Link(string bridgeA, uint portA, string bridgeB, uint portB, BridgeLinkKind kind = BridgeLinkKind.Patch)
    {
        _links.Add(new BridgeLinkSpec(bridgeA, portA, bridgeB, portB, kind));
        return this;
    }

    public TopologySpec Link(BridgeLinkSpec link)
    {
        _links.Add(link);
        return this;
    }

    /// <summary>An interface name the kernel accepts (at most 15 characters).</summary>
    internal static string PortName(string wanted) => wanted.Length <= 15 ? wanted : wanted[..15];

    /// <summary>Every problem with the declaration, each naming the element; empty when it can be built.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (_bridges.Count == 0) errors.Add("no bridge declared");
        var bridges = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in _bridges)
        {
            if (!bridges.Add(b.Name)) errors.Add($"bridge '{b.Name}' declared twice");
            if (b.Name.Length is 0 or > 15) errors.Add($"bridge '{b.Name}': the name must have 1..15 characters (it is a kernel device)");
        }
        if (_bridges.Select(b => b.DatapathId).Distinct().Count() != _bridges.Count) errors.Add("two bridges share a datapath id");

        var portNumbers = new HashSet<(string, uint)>();
        var portNames = new HashSet<string>(bridges, StringComparer.Ordinal);
        void Port(string owner, string bridge, uint no, string name)
        {
            if (!bridges.Contains(bridge)) errors.Add($"{owner}: no bridge '{bridge}'");
            if (no is 0 or >= 0xff00) errors.Add($"{owner}: OpenFlow port {no} is not a physical port number (1..65279)");
            if (!portNumbers.Add((bridge, no))) errors.Add($"{owner}: port {no} on '{bridge}' is already taken");
            if (name.Length is 0 or > 15) errors.Add($"{owner}: port name '{name}' must have 1..15 characters");
            if (!portNames.Add(name)) errors.Add($"{owner}: port name '{name}' is already used in the switch namespace");
        }

        var nodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in _hosts)
        {
            if (!nodes.Add(h.Name)) errors.Add($"host '{h.Name}': name already used");
            Port($"host '{h.Name}'", h.Bridge, h.OfPort, h.EffectivePortName);
            CheckCidr($"host '{h.Name}'", h.Cidr, errors);
            if (h.Gateway is not null && !IPAddress.TryParse(h.Gateway, out _)) errors.Add($"host '{h.Name}': gateway '{h.Gateway}' is not an IPv4 address");
        }
        foreach (var r in _routers)
        {
            if (!nodes.Add(r.Name)) errors.Add($"router '{r.Name}': name already used");
            if (r.Legs.Count == 0) errors.Add($"router '{r.Name}': no legs");
            for (int i = 0; i < r.Legs.Count; i++)
            {
                var leg = r.Legs[i];
                Port($"router '{r.Name}' leg {i}", leg.Bridge, leg.OfPort, RouterLegPortName(r, i));
                CheckCidr($"router '{r.Name}' leg {i}", leg.Cidr, errors);
            }
        }
        foreach (var l in _links)
        {
            string owner = $"link {l.BridgeA}:{l.PortA} - {l.BridgeB}:{l.PortB}";
            Port(owner, l.BridgeA, l.PortA, l.EffectiveNameA);
            Port(owner, l.BridgeB, l.PortB, l.EffectiveNameB);
            if (l.BridgeA == l.BridgeB) errors.Add($"{owner}: both ends on the same bridge");
        }
        return errors;
    }

    internal static string RouterLegPortName(RouterSpec r, int leg) => r.Legs[leg].PortName ?? PortName($"{r.Name}-{leg}");

    private static void CheckCidr(string owner, string cidr, List<string> errors)
    {
        var parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out int len) || len is < 1 or > 32)
        {
            errors.Add($"{owner}: '{cidr}' is not IPv4/PREFIX");
        }
    }
}
