using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OvsLb.Cluster;
using OvsLb.Testing;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// Shared health verdicts against a real 3-member etcd with two instances: a verdict published by one is seen by the
/// other within a second, withdrawn when the backend comes back up, and gone with the instance's lease.
/// </summary>
[TestFixture, Category("Etcd")]
public class SharedHealthTests
{
    private sealed class Node(string name, EtcdConnection etcd, InstanceLease lease, InstanceRegistry registry, SharedHealth health) : IAsyncDisposable
    {
        public string Name => name;
        public EtcdConnection Etcd => etcd;
        public InstanceLease Lease => lease;
        public SharedHealth Health => health;
        public int Changes;

        public async ValueTask DisposeAsync()
        {
            await health.DisposeAsync();
            await registry.DisposeAsync();
            await lease.DisposeAsync();
            etcd.Dispose();
        }
    }

    private static async Task<Node> StartAsync(EtcdCluster etcd, string name)
    {
        var log = new RecordingLoggerProvider().Factory().CreateLogger(name);
        var conn = new EtcdConnection(ClusterNode.Options(etcd, "/hah", name, 3));
        await conn.ConnectAsync();
        var lease = await InstanceLease.GrantAsync(conn, log);
        var registry = await InstanceRegistry.StartAsync(conn, lease, log);
        Node? node = null;
        var health = await SharedHealth.StartAsync(conn, lease, () => registry.Live, () => { if (node is not null) Interlocked.Increment(ref node.Changes); }, log);
        node = new Node(name, conn, lease, registry, health);
        return node;
    }

    private static HashSet<string> Set(params string[] ids) => new(ids, StringComparer.Ordinal);

    [Test]
    public async Task A_verdict_put_by_one_instance_is_seen_by_the_other_and_goes_with_its_lease()
    {
        using var etcd = EtcdCluster.Start();
        await using var a = await StartAsync(etcd, "hahA");
        await using var b = await StartAsync(etcd, "hahB");

        // Warm-up (first calls of the code paths; the machine is shared): not measured.
        a.Health.Publish(Set("warm/up"));
        Assert.That(ProcessRunner.WaitUntil(() => b.Health.Down().Contains("warm/up"), TimeSpan.FromSeconds(5)), Is.True);

        var sw = Stopwatch.StartNew();
        a.Health.Publish(Set("web/b1", "web/b2"));
        bool seen = ProcessRunner.WaitUntil(() => b.Health.Down().SetEquals(["web/b1", "web/b2"]), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5));
        Assert.That(seen, Is.True, () => $"B sees A's verdicts within 1 s; B: [{string.Join(",", b.Health.Down())}], verdicts {string.Join(";", b.Health.Verdicts().Select(kv => kv.Key + "=" + string.Join(",", kv.Value)))}, etcd: {etcd.Etcdctl("get", "--prefix", "/hah/", "--keys-only").Stdout}");
        TestContext.Out.WriteLine($"A's 2 verdicts seen by B {sw.ElapsedMilliseconds} ms after Publish");
        Assert.That(a.Health.Down(), Is.Empty, "an instance's own verdicts are its local tracker's business");
        Assert.That(b.Changes, Is.GreaterThan(0), "B was told its view changed");
        var kv = etcd.Etcdctl("get", "/hah/health/web/b1/hahA", "--print-value-only");
        Assert.That(kv.Stdout, Does.StartWith("down"));

        // Back up: the key is deleted.
        sw.Restart();
        a.Health.Publish(Set("web/b2"));
        Assert.That(ProcessRunner.WaitUntil(() => b.Health.Down().SetEquals(["web/b2"]), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5)), Is.True);
        TestContext.Out.WriteLine($"A's withdrawal of web/b1 seen by B {sw.ElapsedMilliseconds} ms after Publish");

        // Both say b2 is down; B's own verdict does not show in B's view, A's still does.
        b.Health.Publish(Set("web/b2", "web/b3"));
        Assert.That(ProcessRunner.WaitUntil(() => a.Health.Down().SetEquals(["web/b2", "web/b3"]), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5)), Is.True);

        // A's lease revoked (a clean stop; a crash is the same after the TTL): its verdicts are gone for B.
        sw.Restart();
        await a.Lease.RevokeAsync();
        Assert.That(ProcessRunner.WaitUntil(() => b.Health.Down().Count == 0, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5)), Is.True,
            "A's verdicts went with its lease");
        TestContext.Out.WriteLine($"A's verdicts gone for B {sw.ElapsedMilliseconds} ms after the revoke started");
        Assert.That(b.Health.Verdicts().ContainsKey("hahA"), Is.False);
        Assert.That(etcd.Etcdctl("get", "--prefix", "/hah/health/", "--keys-only").Stdout, Does.Contain("/hah/health/web/b3/hahB").And.Not.Contain("hahA"));
    }
}
