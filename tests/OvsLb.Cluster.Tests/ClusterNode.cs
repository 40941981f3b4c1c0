using Microsoft.Extensions.Logging;
using OvsLb.Cluster;
using OvsLb.Testing;

namespace OvsLb.Cluster.Tests;

/// <summary>What one controller instance holds in cluster mode, for the election tests: its etcd connection, lease and elections.</summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    public required string Name { get; init; }
    public required EtcdConnection Etcd { get; init; }
    public required InstanceLease Lease { get; init; }
    public required BridgeElections Elections { get; init; }
    public required RecordingLoggerProvider Log { get; init; }

    public static ClusterOptions Options(EtcdCluster etcd, string prefix, string name, int ttlSeconds) => new()
    {
        Etcd = etcd.Endpoints, Prefix = prefix, Instance = name, LeaseTtl = TimeSpan.FromSeconds(ttlSeconds), RequestTimeout = TimeSpan.FromSeconds(1),
    };

    public static async Task<ClusterNode> StartAsync(EtcdCluster etcd, string prefix, string name, int ttlSeconds = 3)
    {
        var log = new RecordingLoggerProvider();
        var factory = log.Factory();
        var conn = new EtcdConnection(Options(etcd, prefix, name, ttlSeconds));
        await conn.ConnectAsync();
        var lease = await InstanceLease.GrantAsync(conn, factory.CreateLogger($"lease.{name}"));
        var elections = await BridgeElections.StartAsync(conn, lease, factory.CreateLogger($"elections.{name}"));
        return new ClusterNode { Name = name, Etcd = conn, Lease = lease, Elections = elections, Log = log };
    }

    public async ValueTask DisposeAsync()
    {
        await Elections.DisposeAsync();
        await Lease.DisposeAsync();
        Etcd.Dispose();
    }
}
