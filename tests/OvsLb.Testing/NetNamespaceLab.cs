using System.Security.Cryptography;

namespace OvsLb.Testing;

/// <summary>A host of a <see cref="NetNamespaceLab"/>: a namespace whose eth0 is a veth plugged into the bridge.</summary>
/// <param name="BridgePort">The veth end on the switch side (an OVS port named so).</param>
/// <param name="OfPort">Its OpenFlow port number (pinned with ofport_request).</param>
/// <param name="Address">IPv4 address of eth0 inside the host namespace (/24).</param>
public sealed record LabHost(NetNamespace Namespace, string BridgePort, uint OfPort, string Address);

/// <summary>
/// Real packets through a real userspace (<c>datapath_type=netdev</c>) OVS bridge: a switch
/// namespace running a private ovs-vswitchd, and N host namespaces, each with a veth pair from its
/// eth0 (10.111.0.i/24) to bridge port i (ofport_request=i). Everything, including the tap devices the
/// netdev datapath creates, lives in namespaces with a random suffix, so labs never collide and the
/// root namespace is untouched. <see cref="Dispose"/> stops pings and OVS, then deletes the namespaces,
/// which destroys every device in them; it runs (and tolerates half-built labs) even after failures.
/// A controller for the bridge must listen inside <see cref="Switch"/> (use <c>Switch.Run</c>):
/// ovs-vswitchd connects to 127.0.0.1 of its own namespace.
/// (For several bridges, routers, chosen addresses and real TCP/UDP servers and clients, use <see cref="LbTopology"/>.)
/// </summary>
public sealed class NetNamespaceLab : IDisposable
{
    public const string Subnet = "10.111.0";

    private readonly List<NetNamespace> _hostNamespaces = [];
    private readonly List<LabHost> _hosts = [];
    private readonly List<PingStream> _pings = [];
    private bool _disposed;

    private NetNamespaceLab(string id) => Id = id;

    /// <summary>Random suffix of every name in this lab.</summary>
    public string Id { get; }
    public NetNamespace Switch { get; private set; } = null!;
    public OvsSandbox Ovs { get; private set; } = null!;
    public string Bridge => "br" + Id;
    public ulong DatapathId { get; } = 0x1ab;
    public IReadOnlyList<LabHost> Hosts => _hosts;

    /// <summary>Builds the lab: switch namespace, ovs-vswitchd in it, a fail_mode=secure bridge and <paramref name="hosts"/> hosts.</summary>
    public static NetNamespaceLab Start(int hosts = 2)
    {
        var lab = new NetNamespaceLab(Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant());
        try
        {
            lab.Build(hosts);
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    private void Build(int hosts)
    {
        Switch = NetNamespace.Create("ovslb-sw-" + Id);
        Ovs = OvsSandbox.Start(dummy: false, netns: Switch.Name);
        Ovs.AddBridge(Bridge, DatapathId);
        for (int i = 1; i <= hosts; i++)
        {
            var ns = NetNamespace.Create($"ovslb-h{i}-{Id}");
            _hostNamespaces.Add(ns);
            string port = $"p{i}{Id}";
            // Both ends are created directly in their namespaces: nothing appears in the root namespace.
            ProcessRunner.Run("ip", ["link", "add", port, "netns", Switch.Name, "type", "veth", "peer", "name", "eth0", "netns", ns.Name]).EnsureSuccess();
            string address = $"{Subnet}.{i}";
            ns.Ip("addr", "add", address + "/24", "dev", "eth0");
            ns.Ip("link", "set", "eth0", "up");
            Switch.Ip("link", "set", port, "up");
            Ovs.Vsctl("add-port", Bridge, port, "--", "set", "interface", port, $"ofport_request={i}");
            string ofport = Ovs.Vsctl("get", "interface", port, "ofport").Stdout.Trim();
            if (ofport != i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"port {port} got ofport {ofport}, not {i}; see {Ovs.Dir}/ovs-vswitchd.log");
            }
            _hosts.Add(new LabHost(ns, port, (uint)i, address));
        }
    }

    /// <summary>Starts a continuous ping from host <paramref name="from"/> to host <paramref name="to"/> (indexes into <see cref="Hosts"/>).</summary>
    public PingStream StartPing(int from, int to, TimeSpan interval)
    {
        var p = PingStream.Start(_hosts[from].Namespace.Name, _hosts[to].Address, interval);
        _pings.Add(p);
        return p;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _pings) p.Dispose();
        Ovs?.Dispose();                  // no process may stay inside a namespace, or it outlives its name
        foreach (var ns in _hostNamespaces) ns.Dispose();
        Switch?.Dispose();
    }
}
