namespace OvsLb.Controller.Status;

// The JSON document of GET /status (README.md, "Status endpoint", shows an example). Property names
// are serialised in camelCase; enum-like values are lower-case strings as the configuration spells them.

/// <summary>The whole status document.</summary>
public sealed record StatusDocument(
    ControllerStatus Controller,
    IReadOnlyList<BridgeStatus> Bridges,
    IReadOnlyList<ServiceStatus> Services,
    HealthStatus Health)
{
    /// <summary>Cluster mode only (absent otherwise): this instance's view of the etcd cluster and the bridge elections.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ClusterStatus? Cluster { get; init; }
}

/// <summary>
/// Cluster mode: the same facts as <c>ovslb cluster status</c>, as this instance holds them in memory (no etcd call).
/// <see cref="Bridges"/> lists every bridge with an election, connected to this instance or not.
/// </summary>
/// <param name="Etcd">The etcd endpoints as configured (--Cluster:Etcd).</param>
/// <param name="LeaseValid">The instance's lease surely still exists by its own clock; while false it writes to no switch.</param>
/// <param name="LeaseSecondsLeft">Seconds until that deadline (0 once passed).</param>
/// <param name="EtcdUp">The last keepalive was answered.</param>
public sealed record ClusterStatus(string Instance, string Etcd, string Prefix, string LeaseId, bool LeaseValid, double LeaseSecondsLeft, bool EtcdUp, IReadOnlyList<ClusterBridgeStatus> Bridges);

/// <summary>One bridge's election as this instance sees it.</summary>
/// <param name="DatapathId">16 hex digits.</param>
/// <param name="Master">The instance leading the election (the switch's master).</param>
/// <param name="GenerationId">Its generation id (the leader key's create_revision).</param>
/// <param name="IsThisInstance">This instance is master of the switch now and may write to it.</param>
/// <param name="Candidates">Instances connected to the bridge, leader first (the next master comes second).</param>
public sealed record ClusterBridgeStatus(string DatapathId, string Master, ulong GenerationId, bool IsThisInstance, IReadOnlyList<string> Candidates);

/// <summary>This process: version, uptime, the role it asks for, where it listens.</summary>
public sealed record ControllerStatus(
    string Version,
    string Runtime,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    string Role,
    ulong GenerationId,
    IReadOnlyList<string> OpenflowListen,
    string? StatusListen,
    string? ConfigFile);

/// <summary>
/// A switch: connected ones from the controller's sessions, plus configured bridges that are not
/// connected (<see cref="Connected"/> false, nothing else known).
/// </summary>
/// <param name="DatapathId">16 hex digits, as ovs-ofctl shows it; null for a configured bridge never seen.</param>
/// <param name="Name">The bridge name (its LOCAL port's name).</param>
/// <param name="Configured">The name of the <c>bridges</c> entry it matched, or null (it gets no load-balancing flows).</param>
/// <param name="State">Session state (hello, features, configuring, role, reconciling, ready, standby, closed).</param>
/// <param name="Role">OpenFlow role of this controller on the switch (equal, master, slave).</param>
/// <param name="LbRole">Configured bridge role (standalone, distributed).</param>
/// <param name="Flows">Flows desired by the last plan and believed installed.</param>
/// <param name="Groups">Groups desired by the last plan and believed installed.</param>
/// <param name="Totals">Counters since this connection started.</param>
/// <param name="Warnings">Configuration that could not take effect on this bridge.</param>
public sealed record BridgeStatus(
    string? DatapathId,
    string? Name,
    string? Configured,
    bool Connected,
    string? Remote,
    string? State,
    string? Role,
    string? LbRole,
    DateTimeOffset? ConnectedAt,
    IReadOnlyList<PortStatus> Ports,
    ReconcileStatus? LastReconcile,
    DesiredInstalled? Flows,
    DesiredInstalled? Groups,
    SessionTotals? Totals,
    IReadOnlyList<string> Warnings);

/// <summary>A switch port as PORT_DESC/PORT_STATUS last described it.</summary>
/// <param name="Number">OpenFlow port number (LOCAL is 4294967294).</param>
/// <param name="Up">Neither administratively down (OFPPC_PORT_DOWN) nor without link (OFPPS_LINK_DOWN).</param>
public sealed record PortStatus(uint Number, string Name, bool Up, bool AdminDown, bool LinkDown, string Mac);

/// <summary>The last reconciliation of a switch.</summary>
/// <param name="FlowMods">FLOW_MODs in its bundle (0 when nothing differed).</param>
/// <param name="GroupMods">GROUP_MODs in its bundle.</param>
/// <param name="ReadBack">Whether it read the switch's flows and groups first (on connect).</param>
public sealed record ReconcileStatus(DateTimeOffset At, double DurationMs, bool ReadBack, bool Changed, int FlowMods, int GroupMods);

/// <summary>Counts in the last plan (desired) and in what the controller believes the switch holds (installed).</summary>
public sealed record DesiredInstalled(int? Desired, int? Installed);

/// <summary>Per-connection totals.</summary>
public sealed record SessionTotals(long FlowMods, long GroupMods, long BundleCommits, long MessagesIn, long MessagesOut);

/// <summary>A configured service and what each connected bridge does for it.</summary>
/// <param name="Vip">One address: the IPv4 VIP, or the IPv6 VIP of a service that has only that one.</param>
/// <param name="Port">Transport port; null when it balances every port of the protocol.</param>
/// <param name="HealthCheck">Active check kind: none, arp, tcp.</param>
public sealed record ServiceStatus(
    string Name,
    string Vip,
    string Protocol,
    int? Port,
    string Mode,
    string HealthCheck,
    IReadOnlyList<ServiceOnBridge> Bridges,
    IReadOnlyList<BackendStatus> Backends)
{
    /// <summary>The IPv6 VIP whenever the service has one (dual stack: beside <see cref="Vip"/>'s IPv4 address); null: none.</summary>
    public string? Vip6 { get; init; }
}

/// <summary>One service on one connected bridge, from the bridge's last plan.</summary>
/// <param name="ArpAnswered">Whether the bridge answers ARP for the VIP (not when every backend is down and stopArpWhenAllDown).</param>
/// <param name="GroupId">The service's select group id (no group is installed while no backend is live; a UDP service never has one: its slot flows in table 27 pick).</param>
/// <param name="LiveBackends">Backends owning buckets, in configuration order.</param>
/// <param name="Slots">Buckets owned per backend name (live backends only; they sum to options.buckets).</param>
/// <param name="Master">Port-group mode: the server answering for the VIP.</param>
public sealed record ServiceOnBridge(
    string Bridge,
    string DatapathId,
    bool ArpAnswered,
    uint GroupId,
    IReadOnlyList<string> LiveBackends,
    IReadOnlyDictionary<string, int> Slots,
    string? Master);

/// <summary>A configured backend with its health.</summary>
/// <param name="Port">The configured port (number or name), if any.</param>
/// <param name="Health">up / down from the active check; "unchecked" when the service has none.</param>
/// <param name="PortState">Its port on its own bridge, when that bridge is connected and the backend has a port.</param>
/// <param name="Live">Owns buckets on at least one connected bridge.</param>
public sealed record BackendStatus(
    string Name,
    string? Ip,
    string? Mac,
    string? Port,
    string? Bridge,
    int Weight,
    string Health,
    BackendPort? PortState,
    bool Live);

/// <summary>The port a backend sits behind: null number when the bridge has no such port.</summary>
public sealed record BackendPort(string Bridge, uint? Number, bool Up);

/// <summary>Active health checking.</summary>
public sealed record HealthStatus(long Rounds, IReadOnlyList<string> Down);
