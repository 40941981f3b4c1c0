using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Pipeline.Config;

/// <summary>How a service reaches its backends: each mode builds a different bucket and return path.</summary>
public enum ServiceMode
{
    /// <summary>Classic direct routing on one L2 segment: buckets set the backend's real MAC.</summary>
    Direct,
    /// <summary>Buckets set a fake MAC encoding the backend IPv4; a translation table restores ip_dst.</summary>
    Translate,
    /// <summary>Servers sharing the VIP with distinct MACs on distinct switch ports.</summary>
    PortGroup,
    /// <summary>Seed 003: on the client's bridge, conntrack rewrites VIP:port to the backend's IP:port (DNAT);
    /// replies pass the same bridge and are un-NATed. Backends need no change.</summary>
    Nat,
    /// <summary>Seed 001: DNAT as <see cref="Nat"/> plus SNAT to the bridge's <c>snatIp</c>, so a backend anywhere
    /// replies to the balancer. Backends see the balancer's address, not the client's.</summary>
    FullNat,
}

/// <summary>Whether an established connection keeps its backend when the backend set changes.</summary>
public enum Persistence
{
    /// <summary>Stateless: every packet is hashed; a change of buckets moves the flows of the changed buckets.</summary>
    None,
    /// <summary>A connection keeps its backend until it ends or its backend goes away (NAT modes: conntrack).</summary>
    Connection,
}

/// <summary>What happens to new connections to a service with no live backend.</summary>
public enum OnEmpty
{
    /// <summary>Dropped (and the VIP's ARP answer withdrawn, as <c>stopArpWhenAllDown</c> says).</summary>
    Drop,
    /// <summary>
    /// Refused: the bridge sends the client's packets to the controller through a rate-limiting meter, and
    /// the controller answers TCP with a reset and UDP with an ICMP port unreachable (PACKET_OUT); the VIP's
    /// ARP answer is kept so a client learns the refusal at once.
    /// </summary>
    Reject,
}

public enum ServiceProtocol { Tcp, Udp }

/// <summary>What a bridge does in a deployment (distributed: every host's switch answers ARP with its local LB MAC).</summary>
public enum BridgeRole
{
    /// <summary>The only load-balancing bridge for its services.</summary>
    Standalone,
    /// <summary>One of several bridges that each answer ARP for the VIPs with their own <c>lbMac</c>.</summary>
    Distributed,
}

public enum HealthCheckKind { None, Arp, Tcp }

/// <summary>An OpenFlow port given by number or by the name OVS reports in PORT_DESC.</summary>
public readonly record struct PortRef(uint? Number, string? Name)
{
    public static PortRef ByNumber(uint n) => new(n, null);
    public static PortRef ByName(string name) => new(null, name);
    public override string ToString() => Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Name ?? "";
}

/// <summary>One backend of a service. Which of Ip/Mac/Port are present depends on the mode (validated at load).</summary>
public sealed record BackendConfig(
    string Name,
    Ipv4Address? Ip,
    MacAddress? Mac,
    PortRef? Port,
    string? Bridge,
    int Weight)
{
    /// <summary>NAT modes: the port connections are rewritten to (null: the service port).</summary>
    public ushort? TargetPort { get; init; }

    /// <summary>
    /// The backend's own IPv6 address ("ip" written as IPv6; then <see cref="Ip"/> is null): direct mode with an IPv6 VIP only
    /// (validated). Health checks reach it by neighbour solicitation or TCP over IPv6.
    /// </summary>
    public Ipv6Address? Ip6 { get; init; }

    /// <summary>The backend's own address as text, whichever family it is (null: none).</summary>
    public string? IpText => Ip?.ToString() ?? Ip6?.ToString();
}

/// <summary>Active health check settings; <see cref="HealthCheckKind.None"/> leaves only PORT_STATUS liveness.</summary>
public sealed record HealthCheckConfig(
    HealthCheckKind Kind,
    TimeSpan Interval,
    TimeSpan Timeout,
    int Rise,
    int Fall,
    ushort? Port)
{
    public static readonly HealthCheckConfig Default =
        new(HealthCheckKind.None, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 2, 3, null);
}

/// <summary>A load-balanced service: VIP(s), protocol, port (null = all ports), mode and backends.</summary>
public sealed record ServiceConfig(
    string Name,
    Ipv4Address? Vip,
    ServiceProtocol Protocol,
    ushort? Port,
    ServiceMode Mode,
    EquatableArray<BackendConfig> Backends,
    EquatableArray<string> Bridges,
    HealthCheckConfig HealthCheck)
{
    /// <summary>The IPv6 VIP, alone (<see cref="Vip"/> null) or beside the IPv4 one (dual stack); null: none. Direct mode, TCP only (validated).</summary>
    public Ipv6Address? Vip6 { get; init; }

    /// <summary>The service's address family <paramref name="v6"/> alone: the same service with only that VIP (null when it has none).
    /// The flows that match the VIP are built once per view; the backends, groups and cookies are the service's.</summary>
    public ServiceConfig? View(bool v6) =>
        v6 ? (Vip6 is null ? null : Vip is null ? this : this with { Vip = null })
           : (Vip is null ? null : Vip6 is null ? this : this with { Vip6 = null });

    /// <summary>One view per VIP: IPv4 first, then IPv6.</summary>
    public IEnumerable<ServiceConfig> Views()
    {
        if (View(false) is { } four) yield return four;
        if (View(true) is { } six) yield return six;
    }

    /// <summary>The IPv4 VIP of a service in a mode that carries IPv4 only (translate, port-group, NAT: validated to have one).</summary>
    public Ipv4Address Ipv4Vip => Vip ?? throw new InvalidOperationException($"service '{Name}' has no IPv4 VIP ({Mode} mode needs one)");

    /// <summary>True when this service (or view) matches IPv6: it has no IPv4 VIP.</summary>
    public bool IsIpv6 => Vip is null;

    /// <summary>The VIPs as text (IPv4, IPv6), for messages and status.</summary>
    public string VipText => string.Join(", ", new[] { Vip?.ToString(), Vip6?.ToString() }.Where(x => x is not null));

    /// <summary>Whether established connections keep their backend (NAT modes: always by the connection tracker).</summary>
    public Persistence Persistence { get; init; } = Persistence.Connection;

    /// <summary>Client affinity: a client IP keeps its backend while it opened a connection within this many seconds; null: off.</summary>
    public ushort? AffinityTimeout { get; init; }

    /// <summary>What new connections get while no backend is live.</summary>
    public OnEmpty OnEmpty { get; init; } = OnEmpty.Drop;

    /// <summary>True for the conntrack modes (<see cref="ServiceMode.Nat"/>, <see cref="ServiceMode.FullNat"/>).</summary>
    public bool IsNat => Mode is ServiceMode.Nat or ServiceMode.FullNat;

    /// <summary>The port backend <paramref name="b"/> is reached on in a NAT mode: its target port, else the service port (null: unchanged).</summary>
    public ushort? TargetPortOf(BackendConfig b) => b.TargetPort ?? Port;

    /// <summary>True when the service balances every port of <see cref="Protocol"/>.</summary>
    public bool AllPorts => Port is null;

    /// <summary>True when the service is on bridge <paramref name="bridge"/>: it lists it, or lists none (then it is on every bridge).</summary>
    public bool IsOn(string bridge) => Bridges.IsEmpty || Bridges.Contains(bridge);

    /// <summary>
    /// True when backend <paramref name="b"/> is reached through bridge <paramref name="bridge"/>: its own
    /// bridge, or, when it names none, any bridge the service is on (where its replies come back and its
    /// probes leave from).
    /// </summary>
    public bool IsBehind(BackendConfig b, string bridge) => b.Bridge == bridge || (b.Bridge is null && IsOn(bridge));
}

/// <summary>An OVS bridge the controller programs, matched by datapath id if given, else by name
/// (the name of its LOCAL port).</summary>
public sealed record BridgeConfig(
    string Name,
    ulong? DatapathId,
    MacAddress LbMac,
    PortRef? Uplink,
    EquatableArray<Ipv4Address> Gateways,
    BridgeRole Role)
{
    /// <summary>fullnat: the address connections leave this bridge with towards the backends (answered by ARP with the LB MAC).</summary>
    public Ipv4Address? SnatIp { get; init; }
}

/// <summary>Global options.</summary>
public sealed record LoadBalancerOptions(
    ushort FakeMacPrefix,
    int Buckets,
    bool StopArpWhenAllDown)
{
    public static readonly LoadBalancerOptions Default = new(0xaabb, 256, true);

    /// <summary>Hard timeout of a learned next hop (whole seconds, as OVS keeps flow timeouts): a gateway
    /// not heard from for this long is forgotten, and translated traffic to it waits for the next probe.</summary>
    public TimeSpan NextHopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the controller probes every gateway by ARP; null: a third of <see cref="NextHopTimeout"/>
    /// (at least a second), so an answering gateway is relearned twice before its entry would expire.</summary>
    public TimeSpan? GatewayProbeInterval { get; init; }

    /// <summary>How long backends behind a disconnected (or not yet connected) bridge keep counting as live
    /// for the other bridges, so a controller restart, with bridges reconnecting one by one, moves no flow.</summary>
    public TimeSpan BridgeGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The conntrack zone of the NAT modes' destination NAT; fullnat's source NAT uses the next zone.</summary>
    public ushort ConntrackZone { get; init; } = DefaultConntrackZone;

    /// <summary>Default <see cref="ConntrackZone"/>: high, away from the zones OVN and Antrea allocate from 1 up.</summary>
    public const ushort DefaultConntrackZone = 0xfb00;

    /// <summary>How long a learned connection entry (persistence in the stateless modes) lives without a packet from the client.</summary>
    public TimeSpan ConnectionIdleTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary><see cref="ConnectionIdleTimeout"/> in whole seconds, as OVS keeps it (validated: 1..65535).</summary>
    public ushort ConnectionIdleSeconds => (ushort)ConnectionIdleTimeout.TotalSeconds;

    /// <summary>
    /// onEmpty "reject": how many packets per second each bridge sends to the controller to be refused (an
    /// OpenFlow meter; its burst is as many again). Packets above it are dropped by the meter.
    /// </summary>
    public uint RejectRate { get; init; } = 100;

    /// <summary>Bounds of <see cref="RejectRate"/>.</summary>
    public const uint MinRejectRate = 1, MaxRejectRate = 100_000;

    /// <summary>
    /// The most learned connection entries (table 21, persistence in the stateless modes) a bridge may hold; null:
    /// no cap. At the cap the bridge drops new connections of those services until the count is back under
    /// <see cref="ConnectionCapLowWater"/>; established connections keep their entries and keep working.
    /// </summary>
    public int? MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>Whether the file set <see cref="MaxConnections"/> (a NAT service then makes it an error: see ConfigBinder.CheckConnectionCap).</summary>
    public bool MaxConnectionsSet { get; init; }

    /// <summary>
    /// Default <see cref="MaxConnections"/>: the largest count measured (tests/OvsLb.Benchmarks, <c>conns</c>: 100,000
    /// learned entries, ~331 MiB of ovs-vswitchd RSS at ~3.3 KB each). Without a cap, clients opening connections
    /// (or spoofed SYNs, each learning an entry that lives the idle timeout) grow ovs-vswitchd without bound.
    /// </summary>
    public const int DefaultMaxConnections = 100_000;

    /// <summary>How often the controller reads each bridge's count of learned connection entries (table stats).</summary>
    public TimeSpan ConnectionCapInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The count under which a reached cap clears: 95 % of <see cref="MaxConnections"/>, at least one below it, and at
    /// least 1 (a cap of 1 clears at 0 entries).</summary>
    public int? ConnectionCapLowWater => MaxConnections is int m ? Math.Max(1, Math.Min(m - 1, (int)(m * 0.95))) : null;

    /// <summary>fullnat's source-NAT zone.</summary>
    public ushort SnatZone => (ushort)(ConntrackZone + 1);

    /// <summary>The probe interval in force: <see cref="GatewayProbeInterval"/> or its default.</summary>
    public TimeSpan EffectiveGatewayProbeInterval => GatewayProbeInterval ?? TimeSpan.FromSeconds(Math.Max(1, NextHopTimeout.TotalSeconds / 3));

    /// <summary>The fake MAC that encodes <paramref name="ip"/> for translate mode: prefix:ip.</summary>
    public MacAddress FakeMac(Ipv4Address ip) => new(((ulong)FakeMacPrefix << 32) | ip.Value);
}

/// <summary>The whole load-balancer configuration (the file users write, or the <c>LoadBalancer</c> section).</summary>
public sealed record LoadBalancerConfig(
    EquatableArray<ServiceConfig> Services,
    EquatableArray<BridgeConfig> Bridges,
    LoadBalancerOptions Options,
    HealthCheckConfig HealthCheck)
{
    public static readonly LoadBalancerConfig Empty = new([], [], LoadBalancerOptions.Default, HealthCheckConfig.Default);
}
