using OvsLb.Cluster;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// The coordinator's pure decisions: promote only while connected, leading and holding the lease, with the leader
/// key's revision; demote what was promoted once any of those stops; campaign at once only as the bridge's preferred
/// instance or behind an existing candidate; the preferred instance spreads bridges and moves only the bridges of an
/// instance that leaves.
/// </summary>
[TestFixture]
public class MastershipRulesTests
{
    private const long Own = 0x10, Other = 0x20;

    private static ElectionCandidate Leader(long lease, long rev, string name = "x") => new(7, $"/p/elect/{7:x16}/{lease:x}", name, rev, lease);

    [Test]
    public void Promotes_with_the_leader_revision_only_when_connected_leading_and_the_lease_is_held()
    {
        Assert.That(MastershipRules.Next(true, Leader(Own, 42), Own, true, null), Is.EqualTo(MastershipStep.Promote));
        Assert.That(MastershipRules.Next(true, Leader(Own, 42), Own, true, 42), Is.EqualTo(MastershipStep.None), "already master with that generation: nothing to send");
        Assert.That(MastershipRules.Next(true, Leader(Own, 57), Own, true, 42), Is.EqualTo(MastershipStep.Promote), "a new key (new lease) is a new generation");
        Assert.That(MastershipRules.Next(false, Leader(Own, 42), Own, true, null), Is.EqualTo(MastershipStep.None), "not connected");
        Assert.That(MastershipRules.Next(true, Leader(Own, 42), Own, false, null), Is.EqualTo(MastershipStep.None), "lease not surely held");
        Assert.That(MastershipRules.Next(true, Leader(Other, 41), Own, true, null), Is.EqualTo(MastershipStep.None), "another leader, never promoted");
        Assert.That(MastershipRules.Next(true, null, Own, true, null), Is.EqualTo(MastershipStep.None));
    }

    [Test]
    public void Demotes_a_master_that_lost_the_election_its_key_or_its_lease()
    {
        Assert.That(MastershipRules.Next(true, Leader(Other, 50), Own, true, 42), Is.EqualTo(MastershipStep.Demote), "another leader");
        Assert.That(MastershipRules.Next(true, null, Own, true, 42), Is.EqualTo(MastershipStep.Demote), "own key gone, no candidate left");
        Assert.That(MastershipRules.Next(true, Leader(Own, 42), Own, false, 42), Is.EqualTo(MastershipStep.Demote), "lease deadline passed");
    }

    [Test]
    public void Campaigns_at_once_as_the_preferred_instance_or_behind_an_existing_candidate()
    {
        string[] live = ["a", "b", "c"];
        for (ulong dpid = 1; dpid <= 20; dpid++)
        {
            string preferred = MastershipSpread.Preferred(dpid, live)!;
            foreach (var self in live)
            {
                Assert.That(MastershipRules.CampaignAtOnce(self, dpid, live, 0), Is.EqualTo(self == preferred), $"dpid {dpid}, {self}");
                Assert.That(MastershipRules.CampaignAtOnce(self, dpid, live, 1), Is.True, "queues behind the existing candidate");
            }
        }
        Assert.That(MastershipRules.CampaignAtOnce("a", 1, [], 0), Is.True, "alone (not even its own registration seen yet): preferred");
    }

    [Test]
    public void The_preferred_instance_is_the_same_whatever_the_order_spreads_bridges_and_moves_only_those_of_a_leaver()
    {
        string[] live = ["host:6653", "host:6654", "host:6655"];
        var first = Enumerable.Range(1, 300).ToDictionary(d => (ulong)d, d => MastershipSpread.Preferred((ulong)d, live)!);
        Assert.That(first.Keys.All(d => MastershipSpread.Preferred(d, live.Reverse()) == first[d]), Is.True, "order of the list does not matter");
        var counts = first.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(counts.Keys, Is.EquivalentTo(live));
        Assert.That(counts.Values.Min(), Is.GreaterThan(60), string.Join(", ", counts));     // 100 each expected

        string[] left = ["host:6653", "host:6655"];
        foreach (var (d, p) in first)
        {
            var now = MastershipSpread.Preferred(d, left);
            if (p != "host:6654") Assert.That(now, Is.EqualTo(p), $"dpid {d} moved although its instance stayed");
        }
        Assert.That(MastershipSpread.Preferred(1, []), Is.Null);
    }

    [Test]
    public void The_process_test_bridges_spread_over_at_least_two_of_its_three_instances()
    {
        // The names and datapath ids of ClusterRunTests: the spread it checks on OVS must come from the hash, not luck.
        string[] live = ["hay-a", "hay-b", "hay-c"];
        var chosen = Enumerable.Range(0, 4).Select(i => MastershipSpread.Preferred(0x4a01UL + (ulong)i, live)).ToList();
        Assert.That(chosen.Distinct().Count(), Is.GreaterThanOrEqualTo(2), string.Join(", ", chosen));
    }
}
