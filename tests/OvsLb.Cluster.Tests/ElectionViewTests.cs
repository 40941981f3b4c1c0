using OvsLb.Cluster;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// The pure election view: the candidate with the lowest create_revision leads a bridge; deleting the leader's key
/// promotes the next oldest; events that arrive late (a restarted watch, a read that overtook the watch) change nothing.
/// </summary>
[TestFixture]
public class ElectionViewTests
{
    private const string Prefix = "/ovslb/elect/";
    private const ulong Dp1 = 0x1, Dp2 = 0xfeed_0000_0000_0002;

    private static ElectionKeyEvent Put(ulong dpid, long lease, string instance, long create, long? mod = null) =>
        new(false, ElectionView.Key(Prefix, dpid, lease), instance, create, mod ?? create, lease);

    private static ElectionKeyEvent Delete(ulong dpid, long lease, long mod) =>
        new(true, ElectionView.Key(Prefix, dpid, lease), "", 0, mod, 0);

    [Test]
    public void Keys_have_the_etcd_election_layout_and_parse_back()
    {
        var view = new ElectionView(Prefix);
        string key = ElectionView.Key(Prefix, Dp2, 0x156ca24c7f0f2405);

        Assert.That(key, Is.EqualTo("/ovslb/elect/feed000000000002/156ca24c7f0f2405"));
        Assert.That(key, Does.StartWith(ElectionView.BridgePrefix(Prefix, Dp2)));
        Assert.That(view.TryParseKey(key, out var dpid, out var lease), Is.True);
        Assert.That((dpid, lease), Is.EqualTo((Dp2, 0x156ca24c7f0f2405L)));
        Assert.That(view.TryParseKey("/ovslb/elect/feed000000000002", out _, out _), Is.False);
        Assert.That(view.TryParseKey("/ovslb/elect/feed000000000002/", out _, out _), Is.False);
        Assert.That(view.TryParseKey("/ovslb/elect/xyz/1", out _, out _), Is.False);
        Assert.That(view.TryParseKey("/ovslb/config", out _, out _), Is.False);
    }

    [Test]
    public void The_lowest_create_revision_leads_and_its_generation_id_is_that_revision()
    {
        var view = new ElectionView(Prefix);

        var changed = view.Apply([Put(Dp1, 0xb, "instB", 15), Put(Dp1, 0xa, "instA", 14), Put(Dp2, 0xb, "instB", 16)]);

        Assert.That(changed, Is.EquivalentTo(new[] { Dp1, Dp2 }));
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instA"));
        Assert.That(view.Leader(Dp1)!.GenerationId, Is.EqualTo(14UL));
        Assert.That(view.Leader(Dp1)!.Lease, Is.EqualTo(0xa));
        Assert.That(view.Candidates(Dp1).Select(c => c.Instance), Is.EqualTo(new[] { "instA", "instB" }));
        Assert.That(view.Leader(Dp2)!.Instance, Is.EqualTo("instB"));
        Assert.That(view.Revision, Is.EqualTo(16));
    }

    [Test]
    public void Deleting_the_leader_promotes_the_next_oldest_and_deleting_a_waiter_changes_no_leader()
    {
        var view = new ElectionView(Prefix);
        view.Apply([Put(Dp1, 0xa, "instA", 14), Put(Dp1, 0xb, "instB", 15), Put(Dp1, 0xc, "instC", 16)]);

        Assert.That(view.Apply(Delete(Dp1, 0xb, 17)), Is.Null, "a waiter left");
        Assert.That(view.Apply(Delete(Dp1, 0xa, 18)), Is.EqualTo(Dp1), "the leader's lease expired");
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instC"));
        Assert.That(view.Leader(Dp1)!.GenerationId, Is.EqualTo(16UL), "a later leader has a larger generation");

        Assert.That(view.Apply(Delete(Dp1, 0xc, 19)), Is.EqualTo(Dp1));
        Assert.That(view.Leader(Dp1), Is.Null);
        Assert.That(view.Bridges, Is.Empty);
    }

    [Test]
    public void A_late_put_does_not_bring_back_a_deleted_leader_and_a_late_delete_does_not_remove_a_newer_key()
    {
        var view = new ElectionView(Prefix);
        view.Apply([Put(Dp1, 0xa, "instA", 14), Put(Dp1, 0xb, "instB", 15)]);
        view.Apply(Delete(Dp1, 0xa, 18));

        // The put of revision 14 again (a watch restarted from an older revision): stale.
        Assert.That(view.Apply(Put(Dp1, 0xa, "instA", 14)), Is.Null);
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instB"));

        // The key re-created later (the same lease campaigns again) is a new candidacy with a new revision...
        Assert.That(view.Apply(Put(Dp1, 0xa, "instA", 20)), Is.Null, "behind instB now");
        Assert.That(view.Candidates(Dp1).Select(c => (c.Instance, c.CreateRevision)), Is.EqualTo(new[] { ("instB", 15L), ("instA", 20L) }));
        // ...which the old delete, delivered again, does not remove.
        Assert.That(view.Apply(Delete(Dp1, 0xa, 18)), Is.Null);
        Assert.That(view.Candidates(Dp1), Has.Count.EqualTo(2));
    }

    [Test]
    public void Events_already_in_a_full_read_are_ignored_and_the_read_reports_changed_leaders()
    {
        var view = new ElectionView(Prefix);
        view.Apply([Put(Dp1, 0xa, "instA", 14), Put(Dp2, 0xa, "instA", 15)]);

        // A full read at revision 30 (after a compaction): instA's lease is gone, instB leads Dp1; Dp2 has no candidate.
        var changed = view.Reset([Put(Dp1, 0xb, "instB", 25)], 30);

        Assert.That(changed, Is.EquivalentTo(new[] { Dp1, Dp2 }));
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instB"));
        Assert.That(view.Leader(Dp2), Is.Null);
        // The watch then delivers events up to 30 that the read already contains: no effect.
        Assert.That(view.Apply([Put(Dp2, 0xa, "instA", 15), Delete(Dp1, 0xb, 29)]), Is.Empty);
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instB"));
        // Newer events apply.
        Assert.That(view.Apply(Put(Dp1, 0xc, "instC", 31)), Is.Null, "a new waiter");
        Assert.That(view.Apply(Delete(Dp1, 0xb, 32)), Is.EqualTo(Dp1));
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instC"));
    }

    [Test]
    public void A_value_change_of_the_leader_key_keeps_the_leader_and_its_revision()
    {
        var view = new ElectionView(Prefix);
        view.Apply([Put(Dp1, 0xa, "instA", 14), Put(Dp1, 0xb, "instB", 15)]);

        var changed = view.Apply(Put(Dp1, 0xa, "instA-renamed", 14, 40));

        Assert.That(view.Leader(Dp1)!.CreateRevision, Is.EqualTo(14));
        Assert.That(view.Leader(Dp1)!.Instance, Is.EqualTo("instA-renamed"));
        Assert.That(changed, Is.EqualTo(Dp1), "the leader record changed (its value)");
    }
}
