using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OvsLb.Cluster;
using OvsLb.Testing;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// The coordinator against a real 3-member etcd (TTL 3 s) with a recording stand-in for the switches: a ready switch
/// makes the instance a candidate and, as leader, master with its key's create_revision; an instance whose keepalives
/// stop may no longer write as soon as its own deadline passes (the clock, checked on each write attempt) and its
/// gate is closed; the other instance, queued behind it, becomes master with a larger generation; a disconnect
/// withdraws the candidate key at once.
/// </summary>
[TestFixture, Category("Etcd")]
public class MastershipCoordinatorTests
{
    private const ulong Dpid = 0x4b01;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);

    private sealed class RecordingSwitches : ISwitchMastership
    {
        public readonly ConcurrentQueue<string> Calls = new();
        public void StopWriting(ulong datapathId) => Calls.Enqueue($"stop {datapathId:x}");
        public Task<bool> PromoteAsync(ulong datapathId, ulong generationId)
        {
            Calls.Enqueue($"master {datapathId:x} {generationId}");
            return Task.FromResult(true);
        }
        public Task DemoteAsync(ulong datapathId)
        {
            Calls.Enqueue($"slave {datapathId:x}");
            return Task.CompletedTask;
        }
    }

    private static async Task<(ClusterNode Node, InstanceRegistry Registry, MastershipCoordinator Coordinator, RecordingSwitches Switches)> Start(EtcdCluster etcd, string prefix, string name)
    {
        var node = await ClusterNode.StartAsync(etcd, prefix, name);
        var registry = await InstanceRegistry.StartAsync(node.Etcd, node.Lease, node.Log.Factory().CreateLogger("registry"));
        var switches = new RecordingSwitches();
        var coordinator = new MastershipCoordinator(node.Elections, node.Lease, registry, switches, node.Log.Factory().CreateLogger("coordinator")) { CampaignDelay = TimeSpan.FromMilliseconds(300) };
        coordinator.Start();
        return (node, registry, coordinator, switches);
    }

    private static void WaitFor(Func<bool> condition, string what) =>
        Assert.That(ProcessRunner.WaitUntil(condition, Bound, TimeSpan.FromMilliseconds(20)), Is.True, what);

    [Test]
    public async Task Leader_is_master_with_its_revision_stops_writing_by_its_own_clock_and_the_queued_instance_takes_over()
    {
        using var etcd = EtcdCluster.Start();
        string prefix = "/hay-c" + Guid.NewGuid().ToString("N")[..6];
        var a = await Start(etcd, prefix, "hay-a");
        var b = await Start(etcd, prefix, "hay-b");
        try
        {
            WaitFor(() => a.Registry.Live.Count == 2 && b.Registry.Live.Count == 2, "both instances registered");
            a.Coordinator.SwitchReady(Dpid);
            b.Coordinator.SwitchReady(Dpid);
            WaitFor(() => a.Coordinator.MayWrite(Dpid) || b.Coordinator.MayWrite(Dpid), "one instance is master");
            var (master, standby) = a.Coordinator.MayWrite(Dpid) ? (a, b) : (b, a);
            var leader = master.Node.Elections.Leader(Dpid)!;
            Assert.That(master.Switches.Calls, Does.Contain($"master {Dpid:x} {leader.CreateRevision}"));
            Assert.That(standby.Coordinator.MayWrite(Dpid), Is.False);
            WaitFor(() => standby.Node.Elections.Candidates(Dpid).Count == 2, "the standby queued behind the leader");

            // The master's keepalives stop (a hung process): it may not write from the moment its own deadline passes.
            await master.Node.Lease.StopKeepAliveAsync();
            var deadline = master.Node.Lease.ValidUntil;
            WaitFor(() => !master.Coordinator.MayWrite(Dpid), "the old master stops writing");
            Assert.That(DateTimeOffset.UtcNow, Is.GreaterThanOrEqualTo(deadline), "not before its deadline");
            Assert.That(DateTimeOffset.UtcNow - deadline, Is.LessThan(TimeSpan.FromMilliseconds(500)), "by the clock, at once");
            WaitFor(() => master.Switches.Calls.Contains($"stop {Dpid:x}"), "its write gate is closed");
            WaitFor(() => standby.Coordinator.MayWrite(Dpid), "the standby becomes master");
            var next = standby.Node.Elections.Leader(Dpid)!;
            Assert.That(next.CreateRevision, Is.GreaterThan(leader.CreateRevision));
            Assert.That(standby.Switches.Calls, Does.Contain($"master {Dpid:x} {next.CreateRevision}"));

            // A disconnect withdraws the candidate key at once (no wait for the TTL).
            standby.Coordinator.SwitchGone(Dpid);
            Assert.That(standby.Coordinator.MayWrite(Dpid), Is.False);
            WaitFor(() => standby.Node.Elections.Candidates(Dpid).All(c => c.Instance != standby.Node.Name), "its key deleted");
        }
        finally
        {
            foreach (var x in new[] { a, b })
            {
                await x.Coordinator.DisposeAsync();
                await x.Registry.DisposeAsync();
                await x.Node.DisposeAsync();
            }
        }
    }
}
