using System.Diagnostics;
using OvsLb.Testing;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// The test fixture for controller HA (issue 13): a real 3-member etcd cluster from the Debian package on
/// loopback, in a private directory. It serves reads and writes, survives the loss of one member (the raft
/// leader, the worst one), keeps its data across a stop of every member, and leaves nothing behind.
/// </summary>
[TestFixture, Category("Etcd")]
public class EtcdClusterTests
{
    [Test]
    public void Three_members_are_healthy_and_serve_a_put_and_a_get()
    {
        using var etcd = EtcdCluster.Start();

        var health = etcd.Etcdctl("endpoint", "health", "--cluster").EnsureSuccess();
        var members = etcd.Etcdctl("member", "list").EnsureSuccess();
        etcd.Etcdctl("put", "/ovslb-test/a", "one").EnsureSuccess();
        var get = etcd.Etcdctl("get", "/ovslb-test/a", "--print-value-only").EnsureSuccess();

        Assert.That((health.Stdout + health.Stderr).Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)), Is.EqualTo(3), health.Stdout + health.Stderr);
        Assert.That(members.Stdout.Trim().Split('\n'), Has.Length.EqualTo(3).And.All.Contain("started"), members.Stdout);
        Assert.That(get.Stdout.Trim(), Is.EqualTo("one"));
        Assert.That(etcd.ClientUrl(1), Does.Not.EndWith(":2379"), "never the default port of a system etcd");
    }

    [Test]
    public void With_the_raft_leader_killed_a_put_succeeds_within_a_few_seconds_and_the_member_rejoins()
    {
        using var etcd = EtcdCluster.Start();
        int leader = etcd.RaftLeader() ?? throw new InvalidOperationException("no raft leader in a healthy cluster");

        etcd.Kill(leader);
        var sw = Stopwatch.StartNew();
        bool put = ProcessRunner.WaitUntil(
            () => etcd.Etcdctl("--dial-timeout", "1s", "--command-timeout", "1s", "put", "/ovslb-test/after-kill", "yes").ExitCode == 0,
            TimeSpan.FromSeconds(8), TimeSpan.FromMilliseconds(50));
        var took = sw.Elapsed;
        TestContext.Out.WriteLine($"raft leader m{leader} killed -> first successful put after {took.TotalMilliseconds:0} ms");

        Assert.That(put, Is.True, $"no put succeeded within 8 s of killing m{leader}; see {etcd.LogFile(leader % 3 + 1)}");
        Assert.That(etcd.IsRunning(leader), Is.False);

        etcd.Restart(leader);
        etcd.WaitHealthy(TimeSpan.FromSeconds(20));
        var get = ProcessRunner.Run("etcdctl", ["--endpoints", etcd.ClientUrl(leader), "get", "/ovslb-test/after-kill", "--print-value-only"]).EnsureSuccess();
        Assert.That(get.Stdout.Trim(), Is.EqualTo("yes"), "the restarted member caught up");
    }

    [Test]
    public void Stopping_and_starting_every_member_keeps_the_data()
    {
        using var etcd = EtcdCluster.Start();
        etcd.Etcdctl("put", "/ovslb-test/kept", "still here").EnsureSuccess();

        var stop = Stopwatch.StartNew();
        etcd.StopAll();
        TestContext.Out.WriteLine($"all members stopped (SIGTERM) in {stop.ElapsedMilliseconds} ms");
        Assert.That(Enumerable.Range(1, 3).Any(etcd.IsRunning), Is.False);
        var down = etcd.Etcdctl("--dial-timeout", "300ms", "--command-timeout", "500ms", "get", "/ovslb-test/kept");
        Assert.That(down.ExitCode, Is.Not.Zero, "a get with every member stopped");

        var sw = Stopwatch.StartNew();
        etcd.StartAll();
        TestContext.Out.WriteLine($"all members restarted -> healthy after {sw.ElapsedMilliseconds} ms");

        Assert.That(etcd.Etcdctl("get", "/ovslb-test/kept", "--print-value-only").EnsureSuccess().Stdout.Trim(), Is.EqualTo("still here"));
    }

    [Test]
    public void Dispose_leaves_no_member_process_and_no_directory()
    {
        var etcd = EtcdCluster.Start();
        var pidsBefore = etcd.AllPids;
        long bytes = Directory.EnumerateFiles(etcd.Dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.That(pidsBefore, Has.Count.EqualTo(3));
        Assert.That(bytes, Is.GreaterThan(64L << 20), "each member preallocates its WAL: what Dispose must delete");

        etcd.Dispose();

        Assert.That(pidsBefore.Where(p => Directory.Exists($"/proc/{p}")), Is.Empty, "member processes alive after Dispose");
        Assert.That(Directory.Exists(etcd.Dir), Is.False, etcd.Dir);
    }
}
