namespace OvsLb.Cluster;

/// <summary>What the coordinator does next about one bridge.</summary>
public enum MastershipStep
{
    /// <summary>The switch already has the role this instance should hold.</summary>
    None,

    /// <summary>This instance leads the bridge's election: MASTER with the leader key's revision as generation id.</summary>
    Promote,

    /// <summary>This instance was made master but no longer leads (another leader, own key gone, lease not surely held): SLAVE.</summary>
    Demote,
}

/// <summary>
/// The decisions of <see cref="MastershipCoordinator"/>, free of etcd, sockets and clocks, so they are tested alone.
/// </summary>
public static class MastershipRules
{
    /// <summary>
    /// Whether this instance should be master of a bridge now: the switch is connected to it, its own key (on lease
    /// <paramref name="ownLease"/>) is the oldest of the bridge's election, and the lease is surely still alive.
    /// </summary>
    public static bool Leads(bool connected, ElectionCandidate? leader, long ownLease, bool leaseValid) =>
        connected && leaseValid && leader is { } l && l.Lease == ownLease;

    /// <summary>
    /// The next step for a bridge, given what was applied to its switch (<paramref name="appliedGeneration"/>: the
    /// generation this instance is master with, null when it is not master). A new leader key of this instance (a
    /// new lease after the old one expired) is a new generation: promote again with it.
    /// </summary>
    public static MastershipStep Next(bool connected, ElectionCandidate? leader, long ownLease, bool leaseValid, ulong? appliedGeneration)
    {
        if (Leads(connected, leader, ownLease, leaseValid))
        {
            return appliedGeneration == leader!.GenerationId ? MastershipStep.None : MastershipStep.Promote;
        }
        return appliedGeneration is null ? MastershipStep.None : MastershipStep.Demote;
    }

    /// <summary>
    /// Whether to campaign for a bridge as soon as its switch is ready: yes when this instance is the bridge's
    /// preferred one among the live instances (<see cref="MastershipSpread"/>), or when the election already has a
    /// candidate (then this one only queues behind it, ready for a failover). Otherwise the coordinator waits
    /// <see cref="MastershipCoordinator.CampaignDelay"/> for the preferred instance to go first.
    /// </summary>
    public static bool CampaignAtOnce(string self, ulong datapathId, IEnumerable<string> liveInstances, int candidates)
    {
        if (candidates > 0) return true;
        var live = liveInstances.ToList();
        if (!live.Contains(self, StringComparer.Ordinal)) live.Add(self);
        return MastershipSpread.Preferred(datapathId, live) == self;
    }
}
