using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OvsLb.Cluster;
using OvsLb.Testing;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// Per-bridge elections of two instances against a real 3-member etcd cluster (TTL 3 s): the first candidate leads
/// with its key's create_revision as generation id, and etcdctl (the election API's own view of the same keys) agrees;
/// a leader whose keepalives stop is replaced within TTL + 1 s by one with a larger generation, never with two
/// leaders at once; and a leader that keeps its lease alive keeps its generation across a stop of every etcd member.
/// </summary>
[TestFixture, Category("Etcd")]
public class BridgeElectionTests
{
    private const ulong Dpid = 0x0000_0000_0000_00aa;
    private const int Ttl = 3;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private readonly List<ClusterNode> _nodes = [];

    private static string Prefix() => "/ovslb-t" + Guid.NewGuid().ToString("N")[..8];

    private async Task<ClusterNode> StartNode(EtcdCluster etcd, string prefix, string name)
    {
        var node = await ClusterNode.StartAsync(etcd, prefix, name, Ttl);
        _nodes.Add(node);
        return node;
    }

    /// <summary>On failure, what each instance logged (keepalives, watch breaks, leader changes).</summary>
    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            foreach (var n in _nodes) TestContext.Out.WriteLine($"--- {n.Name}\n" + string.Join("\n", n.Log.Timeline.TakeLast(40).Select(l => $"{l.Time:F3} {l.Line}")));
        }
        _nodes.Clear();
    }

    /// <summary>The bridge's keys as etcdctl reads them, oldest first: (key, value, create_revision, lease).</summary>
    private static List<(string Key, string Value, long Create, long Lease)> EtcdctlCandidates(EtcdCluster etcd, string prefix)
    {
        var r = etcd.Etcdctl("get", $"{prefix}/elect/{Dpid:x16}/", "--prefix", "--sort-by=CREATE", "--order=ASCEND", "-w", "json").EnsureSuccess();
        using var doc = JsonDocument.Parse(r.Stdout);
        if (!doc.RootElement.TryGetProperty("kvs", out var kvs)) return [];
        return [.. kvs.EnumerateArray().Select(kv => (
            Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("key").GetString()!)),
            Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("value").GetString()!)),
            kv.GetProperty("create_revision").GetInt64(),
            kv.TryGetProperty("lease", out var l) ? l.GetInt64() : 0))];
    }

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        if (!ProcessRunner.WaitUntil(condition, timeout, Poll)) Assert.Fail($"not within {timeout.TotalSeconds:0.#} s: {what}");
    }

    [Test]
    public async Task The_first_candidate_leads_with_its_key_revision_and_etcdctl_agrees()
    {
        using var etcd = EtcdCluster.Start();
        string prefix = Prefix();
        await using var a = await StartNode(etcd, prefix, "instA");
        await using var b = await StartNode(etcd, prefix, "instB");

        long r1 = await a.Elections.CampaignAsync(Dpid);
        long rb = await b.Elections.CampaignAsync(Dpid);
        long again = await a.Elections.CampaignAsync(Dpid);

        WaitFor(() => a.Elections.Candidates(Dpid).Count == 2 && b.Elections.Candidates(Dpid).Count == 2, TimeSpan.FromSeconds(5), "both instances see both candidates");
        Assert.That(again, Is.EqualTo(r1), "campaigning again with the same lease finds the same key");
        Assert.That(rb, Is.GreaterThan(r1));
        foreach (var n in new[] { a, b })
        {
            var leader = n.Elections.Leader(Dpid)!;
            Assert.That((leader.Instance, leader.CreateRevision, leader.Lease), Is.EqualTo(("instA", r1, a.Lease.Id)), $"{n.Name}'s view");
            Assert.That(leader.GenerationId, Is.EqualTo((ulong)r1));
        }
        Assert.That(a.Elections.IsLeader(Dpid), Is.True);
        Assert.That(b.Elections.IsLeader(Dpid), Is.False);

        // The referee: etcd's keys, and etcdctl's election observer on the same election name.
        var keys = EtcdctlCandidates(etcd, prefix);
        Assert.That(keys.Select(k => (k.Value, k.Create)), Is.EqualTo(new[] { ("instA", r1), ("instB", rb) }));
        Assert.That(keys[0].Key, Is.EqualTo($"{prefix}/elect/{Dpid:x16}/{a.Lease.Id:x}"));
        Assert.That(keys[0].Lease, Is.EqualTo(a.Lease.Id));
        using var observer = ChildProcess.Start("etcdctl", ["--endpoints", etcd.Endpoints, "elect", "-l", $"{prefix}/elect/{Dpid:x16}"]);
        await observer.WaitForLineAsync("^instA$", TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task When_the_leader_stops_its_keepalives_the_other_leads_within_ttl_plus_1s_with_a_larger_generation()
    {
        using var etcd = EtcdCluster.Start();
        string prefix = Prefix();
        await using var a = await StartNode(etcd, prefix, "instA");
        await using var b = await StartNode(etcd, prefix, "instB");
        long r1 = await a.Elections.CampaignAsync(Dpid);
        long r2 = await b.Elections.CampaignAsync(Dpid);
        WaitFor(() => b.Elections.Candidates(Dpid).Count == 2 && a.Elections.IsLeader(Dpid), TimeSpan.FromSeconds(5), "instA leads, seen by both");

        var sw = Stopwatch.StartNew();
        await a.Lease.StopKeepAliveAsync();
        bool twoLeaders = false;
        TimeSpan aGaveUp = TimeSpan.Zero;
        bool handedOver = ProcessRunner.WaitUntil(() =>
        {
            bool aLeads = a.Elections.IsLeader(Dpid), bLeads = b.Elections.IsLeader(Dpid);
            if (!aLeads && aGaveUp == TimeSpan.Zero) aGaveUp = sw.Elapsed;
            twoLeaders |= aLeads && bLeads;
            return bLeads;
        }, TimeSpan.FromSeconds(Ttl + 1), Poll);
        var took = sw.Elapsed;
        TestContext.Out.WriteLine($"keepalives of instA stopped -> instA stops counting itself leader after {aGaveUp.TotalMilliseconds:0} ms, instB leader after {took.TotalMilliseconds:0} ms (TTL {Ttl} s)");

        Assert.That(handedOver, Is.True, $"instB not leader within TTL + 1 s; B sees {b.Elections.Leader(Dpid)}");
        Assert.That(twoLeaders, Is.False, "both instances counted themselves leader at one moment");
        var leader = b.Elections.Leader(Dpid)!;
        Assert.That((leader.Instance, leader.CreateRevision), Is.EqualTo(("instB", r2)));
        Assert.That(leader.GenerationId, Is.GreaterThan((ulong)r1));
        WaitFor(() => a.Elections.Leader(Dpid)?.Instance == "instB", TimeSpan.FromSeconds(2), "instA's own view shows instB leading");
        Assert.That(EtcdctlCandidates(etcd, prefix).Select(k => (k.Value, k.Create)), Is.EqualTo(new[] { ("instB", r2) }), "instA's key expired with its lease");
        Assert.That(await b.Etcd.LeaseTimeToLiveAsync(a.Lease.Id), Is.EqualTo(-1));
        // The watch's liveness probes were answered for the whole test (longer than two probe intervals): never reopened.
        Assert.That((a.Elections.WatchRestarts, b.Elections.WatchRestarts), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task A_lease_revoked_behind_the_instance_s_back_is_replaced_and_its_campaigns_are_renewed_behind_the_new_leader()
    {
        using var etcd = EtcdCluster.Start();
        string prefix = Prefix();
        await using var a = await StartNode(etcd, prefix, "instA");
        await using var b = await StartNode(etcd, prefix, "instB");
        long r1 = await a.Elections.CampaignAsync(Dpid);
        long r2 = await b.Elections.CampaignAsync(Dpid);
        WaitFor(() => b.Elections.Candidates(Dpid).Count == 2 && a.Elections.IsLeader(Dpid), TimeSpan.FromSeconds(5), "instA leads, seen by both");
        long oldLease = a.Lease.Id;

        etcd.Etcdctl("lease", "revoke", $"{oldLease:x}").EnsureSuccess();

        // instB leads at once (the revoke deleted instA's key); instA's next keepalive learns its lease is gone, gets a
        // new one and campaigns again: a new key, behind instB.
        WaitFor(() => b.Elections.IsLeader(Dpid), TimeSpan.FromSeconds(2), "instB leads after the revoke");
        WaitFor(() => a.Lease.Id != oldLease && a.Elections.Candidates(Dpid).Count == 2, TimeSpan.FromSeconds(Ttl), "instA campaigns again on a new lease");
        var candidates = a.Elections.Candidates(Dpid);
        Assert.That(candidates.Select(c => (c.Instance, c.Lease)), Is.EqualTo(new[] { ("instB", b.Lease.Id), ("instA", a.Lease.Id) }));
        Assert.That(candidates[0].CreateRevision, Is.EqualTo(r2));
        Assert.That(candidates[1].CreateRevision, Is.GreaterThan(r2).And.GreaterThan(r1));
        Assert.That(a.Lease.IsValid && !a.Elections.IsLeader(Dpid), Is.True);
        Assert.That(a.Log.WaitFor(TimeSpan.FromSeconds(1), $"etcd lease {oldLease:x} expired in etcd; granted lease {a.Lease.Id:x}"), Is.Not.Null);
    }

    [Test]
    public async Task A_leader_keeping_its_lease_alive_keeps_its_generation_across_a_stop_of_every_etcd_member_longer_than_the_ttl()
    {
        using var etcd = EtcdCluster.Start();
        string prefix = Prefix();
        await using var a = await StartNode(etcd, prefix, "instA");
        await using var b = await StartNode(etcd, prefix, "instB");
        long r1 = await a.Elections.CampaignAsync(Dpid);
        long r2 = await b.Elections.CampaignAsync(Dpid);
        WaitFor(() => b.Elections.Candidates(Dpid).Count == 2 && a.Elections.IsLeader(Dpid), TimeSpan.FromSeconds(5), "instA leads, seen by both");

        etcd.StopAll();
        var down = Stopwatch.StartNew();
        // instA's own deadline passes (no keepalive answered): it no longer counts itself leader, by its clock alone.
        WaitFor(() => !a.Lease.IsValid, TimeSpan.FromSeconds(Ttl + 1), "instA's lease deadline passes while etcd is down");
        var aGaveUp = down.Elapsed;
        Assert.That(a.Elections.IsLeader(Dpid), Is.False);
        WaitFor(() => down.Elapsed > TimeSpan.FromSeconds(Ttl + 1), TimeSpan.FromSeconds(Ttl + 2), "etcd down for longer than the TTL");

        etcd.StartAll();
        var up = Stopwatch.StartNew();
        WaitFor(() => a.Lease.IsValid && a.Elections.IsLeader(Dpid), TimeSpan.FromSeconds(Ttl), "instA's keepalive reaches the restarted etcd within the TTL");
        var back = up.Elapsed;
        WaitFor(() => b.Lease.IsValid, TimeSpan.FromSeconds(Ttl), "instB's keepalive reaches the restarted etcd within the TTL");
        TestContext.Out.WriteLine($"etcd down {down.Elapsed.TotalMilliseconds - back.TotalMilliseconds:0} ms (instA stopped counting itself leader {aGaveUp.TotalMilliseconds:0} ms after the stop); " +
            $"after the restart instA leads again after {back.TotalMilliseconds:0} ms");

        Assert.That(a.Elections.Leader(Dpid)!.CreateRevision, Is.EqualTo(r1), "same key, same generation: no new master, no flush");
        Assert.That(EtcdctlCandidates(etcd, prefix).Select(k => (k.Value, k.Create)), Is.EqualTo(new[] { ("instA", r1), ("instB", r2) }));
        Assert.That(await a.Etcd.LeaseTimeToLiveAsync(a.Lease.Id), Is.GreaterThan(0));

        // The watches resumed after the outage: a withdrawal is seen by both.
        Assert.That(await b.Elections.WithdrawAsync(Dpid, r2), Is.True);
        WaitFor(() => a.Elections.Candidates(Dpid).Count == 1 && b.Elections.Candidates(Dpid).Count == 1, TimeSpan.FromSeconds(3), "both views drop instB's key");
    }
}
