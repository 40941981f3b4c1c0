namespace OvsLb.Cluster;

/// <summary>One bridge as this instance sees its election: the leader, its generation id, whether this instance is its master now, the candidates in order.</summary>
/// <param name="DatapathId">The bridge.</param>
/// <param name="Master">The leading instance (the switch's master, or about to be).</param>
/// <param name="GenerationId">The leader key's create_revision, the generation id its role request carries.</param>
/// <param name="IsMaster">This instance was made master of the switch and may write to it now (lease surely held).</param>
/// <param name="Candidates">Instances connected to the bridge, leader first.</param>
public sealed record LocalBridgeMastership(ulong DatapathId, string Master, ulong GenerationId, bool IsMaster, IReadOnlyList<string> Candidates);

/// <summary>
/// The cluster as this instance knows it, from memory (no etcd call): what <c>/status</c> and <c>/metrics</c> show in cluster
/// mode. Unlike <see cref="ClusterSnapshot"/> (read from etcd by <c>ovslb cluster status</c>), it shows what this instance
/// believes, which is what decides whether it writes.
/// </summary>
/// <param name="Instance">This instance's name.</param>
/// <param name="LeaseId">Its etcd lease.</param>
/// <param name="LeaseValid">The lease surely exists by this instance's clock (writes are allowed).</param>
/// <param name="LeaseSecondsLeft">Seconds until the lease's deadline by this instance's clock; 0 once passed.</param>
/// <param name="EtcdUp">The last keepalive got an answer.</param>
/// <param name="Bridges">Every bridge with an election, by datapath id.</param>
public sealed record LocalClusterView(string Instance, long LeaseId, bool LeaseValid, double LeaseSecondsLeft, bool EtcdUp, IReadOnlyList<LocalBridgeMastership> Bridges);
