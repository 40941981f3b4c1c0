using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>A bridge of a running <see cref="LbTopology"/>.</summary>
public sealed record TopologyBridge(string Name, ulong DatapathId);

/// <summary>
/// A host of a running <see cref="LbTopology"/>: its namespace, where it is plugged in, and the things tests
/// do on hosts (hold a VIP, read the ARP cache, serve, connect). Servers it starts are stopped by the
/// topology's <see cref="LbTopology.Dispose"/>.
/// </summary>
public sealed partial class TopologyHost
{
    private readonly LbTopology _owner;

    internal TopologyHost(LbTopology owner, HostSpec spec, NetNamespace ns, string mac)
    {
        _owner = owner;
        Spec = spec;
        Namespace = ns;
        Mac = mac;
    }

    public HostSpec Spec { get; }
    public string Name => Spec.Name;
    public NetNamespace Namespace { get; }
    public string Bridge => Spec.Bridge;
    public uint OfPort => Spec.OfPort;

    /// <summary>The OVS port name of the switch-side veth end.</summary>
    public string PortName => Spec.EffectivePortName;

    /// <summary>eth0's IPv4 address (without prefix).</summary>
    public string Ip => Spec.Cidr.Split('/')[0];

    /// <summary>eth0's MAC as the kernel reports it (lower case, colon separated).</summary>
    public string Mac { get; }

    public const string Interface = "eth0";

    /// <summary>Runs a command inside the host namespace and requires success.</summary>
    public CommandResult Exec(params string[] args) => Namespace.Exec(args);

    /// <summary>
    /// Direct-routing backend set-up: <paramref name="vip"/>/32 on <c>lo</c>, and <c>arp_ignore=1</c> (answer ARP only
    /// for addresses of the interface it arrived on) with <c>arp_announce=2</c> (never use the VIP as the sender of
    /// the host's own ARP requests), so the host accepts packets for the VIP but never claims it on the wire.
    /// </summary>
    public void HoldVip(string vip)
    {
        Namespace.Ip("addr", "add", vip + "/32", "dev", "lo");
        Namespace.Exec("sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
            $"net.ipv4.conf.{Interface}.arp_ignore=1", $"net.ipv4.conf.{Interface}.arp_announce=2");
    }

    /// <summary>
    /// Turns IPv6 on in this host (namespaces start with it off: <see cref="NetNamespace.Create"/>) and adds
    /// <paramref name="cidr"/> (e.g. <c>fd00::2/64</c>) to eth0, without duplicate address detection on any address
    /// (so nothing is tentative, and no host ever probes for a VIP), nor router solicitations.
    /// </summary>
    public void EnableIpv6(string cidr)
    {
        string[] quiet = ["all", "default", Interface, "lo"];
        Namespace.Exec(["sysctl", "-q", "-w", .. quiet.Select(i => $"net.ipv6.conf.{i}.accept_dad=0"), .. quiet.Select(i => $"net.ipv6.conf.{i}.router_solicitations=0"),
            .. quiet.Select(i => $"net.ipv6.conf.{i}.disable_ipv6=0")]);
        Namespace.Exec("ip", "-6", "addr", "add", cidr, "dev", Interface, "nodad");
    }

    /// <summary>Direct-routing backend set-up for an IPv6 VIP: <paramref name="vip"/>/128 on <c>lo</c>. Linux answers a
    /// neighbour solicitation only for an address of the interface it arrives on, so the host never claims the VIP on eth0.
    /// Needs <see cref="EnableIpv6"/> first.</summary>
    public void HoldVip6(string vip) => Namespace.Exec("ip", "-6", "addr", "add", vip + "/128", "dev", "lo", "nodad");

    /// <summary>Adds more IPv4 addresses (<c>A.B.C.D/PREFIX</c>) to eth0 in one <c>ip -batch</c> (e.g. many client addresses on one host).</summary>
    public void AddAddresses(IEnumerable<string> cidrs) =>
        ProcessRunner.Run("ip", ["-n", Namespace.Name, "-batch", "-"], stdin: string.Concat(cidrs.Select(c => $"addr add {c} dev {Interface}\n"))).EnsureSuccess();

    [GeneratedRegex(@"\blladdr ([0-9a-f:]{17})\b")]
    private static partial Regex LinkAddress();

    /// <summary>The MAC this host's ARP cache holds for <paramref name="ip"/> (<c>ip neigh show</c>), or null.</summary>
    public string? Neighbour(string ip)
    {
        var m = LinkAddress().Match(Namespace.Ip("neigh", "show", ip).Stdout);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Empties the ARP cache, so the next packet to any neighbour asks again.</summary>
    public void FlushNeighbours() => Namespace.Ip("neigh", "flush", "all");

    /// <summary>Sends <paramref name="count"/> pings to <paramref name="ip"/>; true when one was answered (ping also resolves ARP).</summary>
    public bool Ping(string ip, int count = 1, double timeoutSeconds = 2) =>
        ProcessRunner.Run("ip", ["netns", "exec", Namespace.Name, "ping", "-n", "-q", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-W", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), ip]).ExitCode == 0;

    /// <summary>
    /// Sets eth0 down or up. The switch-side veth end then loses or regains carrier, as when a cable is pulled:
    /// OVS reports the port LINK_DOWN / up (PORT_STATUS) and stops using it as a live watch_port.
    /// </summary>
    public void SetLink(bool up) => Namespace.Ip("link", "set", Interface, up ? "up" : "down");

    /// <summary>Starts <c>lbserver.py</c> here (see <see cref="TrafficServer"/>); it answers with <paramref name="name"/> (default: the host's name).</summary>
    public TrafficServer StartServer(int port, string bind = "0.0.0.0", TrafficProtocol protocol = TrafficProtocol.Tcp, string? name = null) =>
        _owner.Track(TrafficServer.Start(Namespace, name ?? Name, port, bind, protocol));

    /// <summary>
    /// One of the host kernel's own protocol counters from its <c>/proc/net/snmp</c>, e.g. <c>("Tcp", "PassiveOpens")</c>
    /// (connections it accepted) or <c>("Icmp", "InEchos")</c> (echo requests it received).
    /// </summary>
    public long SnmpCounter(string protocol, string counter)
    {
        var lines = Exec("cat", "/proc/net/snmp").Stdout.Split('\n').Where(l => l.StartsWith(protocol + ": ", StringComparison.Ordinal)).ToList();
        int i = Array.IndexOf(lines[0].Split(' '), counter);
        return i > 0 ? long.Parse(lines[1].Split(' ')[i], System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentException($"no counter {protocol}: {counter} in /proc/net/snmp", nameof(counter));
    }

    /// <summary>Runs <c>lbclient.py</c> here and returns what it saw (see <see cref="TrafficClient"/>).</summary>
    public TrafficReport RunClient(TrafficRequest request) => TrafficClient.Run(Namespace, request);
}

/// <summary>One interface of a <see cref="TopologyRouter"/>.</summary>
/// <param name="Interface">Its name in the router namespace (<c>eth0</c>, <c>eth1</c>, ...).</param>
/// <param name="PortName">The switch-side veth end (OVS port name).</param>
public sealed record TopologyRouterLeg(RouterLegSpec Spec, string Interface, string PortName, string Mac)
{
    public string Bridge => Spec.Bridge;
    public uint OfPort => Spec.OfPort;
    public string Ip => Spec.Cidr.Split('/')[0];
}

/// <summary>A router of a running <see cref="LbTopology"/>: a forwarding namespace with one interface per leg.</summary>
public sealed class TopologyRouter(string name, NetNamespace ns, IReadOnlyList<TopologyRouterLeg> legs)
{
    public string Name { get; } = name;
    public NetNamespace Namespace { get; } = ns;
    public IReadOnlyList<TopologyRouterLeg> Legs { get; } = legs;

    /// <summary>The leg on <paramref name="bridge"/> (the first, if several).</summary>
    public TopologyRouterLeg LegOn(string bridge) => Legs.FirstOrDefault(l => l.Bridge == bridge)
        ?? throw new ArgumentException($"router '{Name}' has no leg on bridge '{bridge}'", nameof(bridge));

    public CommandResult Exec(params string[] args) => Namespace.Exec(args);
}
