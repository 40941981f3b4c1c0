namespace OvsLb.Pipeline.Planning;

/// <summary>
/// What <see cref="BridgePlanner.Plan"/> decided for one bridge. Nothing of it has happened yet: the
/// caller reconciles <see cref="BridgePlan.State"/>, and only once the switch has committed it records
/// <see cref="Slots"/> as its slot memory and makes the <see cref="Announcements"/>, so a refused bundle
/// leaves memory and the network's neighbour caches as they were.
/// </summary>
/// <param name="Plan">The desired state and the per-service decisions.</param>
/// <param name="View">What the builder was told about the bridge (ports, down backends, previous slots).</param>
/// <param name="Slots">The slot memory of this bridge once <see cref="BridgePlan.State"/> is committed.</param>
/// <param name="Announcements">Gratuitous ARPs to send once committed: a port group's master changed.</param>
/// <param name="GatewayProbes">ARP probes for the bridge's gateways (their replies are learned in the datapath).</param>
/// <param name="Flushes">Conntrack entries to flush once committed: NAT backends that stopped being live.</param>
public sealed record PlanOutput(
    BridgePlan Plan,
    BridgeView View,
    IReadOnlyDictionary<string, IReadOnlyList<string?>> Slots,
    IReadOnlyList<Announcement> Announcements,
    IReadOnlyList<GatewayProbe> GatewayProbes,
    IReadOnlyList<ConnectionFlush> Flushes);
