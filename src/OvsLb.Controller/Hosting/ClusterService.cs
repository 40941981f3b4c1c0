using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvsLb.Balancer;
using OvsLb.Cluster;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// Cluster mode (<c>--Cluster:Etcd=URL[,URL...]</c>) with the host: before the switch server listens, connects to
/// etcd, reads the shared load-balancer configuration (<c>PREFIX/config</c>, written by <c>ovslb config put</c>) and
/// applies it and every later revision (<see cref="SharedConfig"/>: an invalid revision is refused and the last good
/// one stays), takes the instance's lease, registers the instance, shares health verdicts (<see cref="SharedHealth"/>:
/// this instance's "down" backends are published on its lease, and the plans use local ∪ other live instances'), reads the bridge elections and starts the
/// <see cref="MastershipCoordinator"/>. On a clean stop (after the switch server closed its connections, which
/// withdraws this instance from every election) the lease is revoked, so nothing waits for its TTL.
/// </summary>
internal sealed class ClusterService(ClusterOptions options, ClusterLink link, SwitchServer server, LoadBalancer lb, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggers.CreateLogger("OvsLb.Cluster");
    private EtcdConnection? _etcd;
    private InstanceLease? _lease;
    private InstanceRegistry? _instances;
    private BridgeElections? _elections;
    private MastershipCoordinator? _coordinator;
    private SharedConfig? _config;
    private SharedHealth? _health;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _etcd = new EtcdConnection(options);
        long revision = await _etcd.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _config = await SharedConfig.StartAsync(_etcd, ApplyShared, _log, cancellationToken).ConfigureAwait(false);
        _lease = await InstanceLease.GrantAsync(_etcd, _log, ct: cancellationToken).ConfigureAwait(false);
        _instances = await InstanceRegistry.StartAsync(_etcd, _lease, _log, cancellationToken).ConfigureAwait(false);
        _health = await SharedHealth.StartAsync(_etcd, _lease, () => _instances.Live, lb.Invalidate, _log, cancellationToken).ConfigureAwait(false);
        _instances.Changed += lb.Invalidate;   // a verdict counts only while its instance is live
        lb.SharedDown = _health.Down;
        lb.LocalHealthChanged += PublishHealth;
        PublishHealth();
        _elections = await BridgeElections.StartAsync(_etcd, _lease, _log, cancellationToken).ConfigureAwait(false);
        _coordinator = new MastershipCoordinator(_elections, _lease, _instances, new ClusterSwitches(() => server), _log);
        _coordinator.Start();
        link.Coordinator = _coordinator;
        _log.LogInformation("Cluster mode: instance {Instance} on etcd {Endpoints} (revision {Revision}), prefix {Prefix}, lease TTL {Ttl} s; every bridge is a standby until this instance wins its election",
            options.Instance, _etcd.Endpoints, revision, options.KeyPrefix, options.LeaseTtl.TotalSeconds);
    }

    private void PublishHealth() => _health?.Publish(lb.LocalDown);

    /// <summary>Validates a revision of the shared configuration as <c>ovslb validate</c> would and applies it; its errors otherwise, placed at <c>etcd:KEY@REVISION:LINE:COL</c>.</summary>
    private IReadOnlyList<string> ApplyShared(StoredConfig doc)
    {
        string name = $"etcd:{SharedConfig.Key(options)}@{doc.ModRevision}";
        var parsed = ConfigDocument.Parse(System.Text.Encoding.UTF8.GetBytes(doc.Text));
        if (parsed.HostSettings.Count > 0) return [$"{name}: host sections ({parsed.HostSectionsText}) do not belong in the shared configuration"];
        var r = parsed.BindLoadBalancer();
        if (!r.IsValid) return [.. r.Errors.Select(e => ConfigErrorFormatter.Format(e, name))];
        lb.Apply(r.Config!);
        return [];
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_lease is not null)
        {
            try
            {
                await _lease.RevokeAsync(cancellationToken).ConfigureAwait(false);
                _log.LogInformation("etcd lease {Lease:x} revoked: this instance's elections are handed over", _lease.Id);
            }
            catch (Exception e) when (e is EtcdUnavailableException or OperationCanceledException)
            {
                _log.LogWarning("Revoking the etcd lease failed ({Error}); its keys go when its TTL runs out", e.Message);
            }
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        link.Coordinator = null;
        if (_coordinator is not null) await _coordinator.DisposeAsync().ConfigureAwait(false);
        if (_config is not null) await _config.DisposeAsync().ConfigureAwait(false);
        _config = null;
        lb.LocalHealthChanged -= PublishHealth;
        lb.SharedDown = null;
        if (_instances is not null) _instances.Changed -= lb.Invalidate;
        if (_health is not null) await _health.DisposeAsync().ConfigureAwait(false);
        _health = null;
        if (_elections is not null) await _elections.DisposeAsync().ConfigureAwait(false);
        if (_instances is not null) await _instances.DisposeAsync().ConfigureAwait(false);
        if (_lease is not null) await _lease.DisposeAsync().ConfigureAwait(false);
        _etcd?.Dispose();
        _coordinator = null;
        _elections = null;
        _instances = null;
        _lease = null;
        _etcd = null;
    }
}
