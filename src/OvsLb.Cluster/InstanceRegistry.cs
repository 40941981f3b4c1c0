using Microsoft.Extensions.Logging;
using Mvccpb;

namespace OvsLb.Cluster;

/// <summary>
/// The live instances of the cluster: each one puts <c>PREFIX/instances/NAME</c> on its lease (gone when it dies or is
/// cut off longer than the TTL) and watches the prefix. Used to pick each bridge's preferred master
/// (<see cref="MastershipSpread"/>) and shown by status.
/// </summary>
public sealed class InstanceRegistry : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly InstanceLease _lease;
    private readonly ILogger _log;
    private readonly string _prefix;
    private readonly object _gate = new();
    private readonly SortedSet<string> _live = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private PrefixWatch? _watch;
    private bool _disposed;

    private InstanceRegistry(EtcdConnection etcd, InstanceLease lease, ILogger log)
    {
        _etcd = etcd;
        _lease = lease;
        _log = log;
        _prefix = etcd.Options.KeyPrefix + "/instances/";
        _lease.Replaced += OnLeaseReplaced;
    }

    /// <summary>The key an instance registers under.</summary>
    public static string Key(string keyPrefix, string instance) => $"{keyPrefix}/instances/{instance}";

    /// <summary>Instances whose registration is in etcd, this one included once registered.</summary>
    public IReadOnlyList<string> Live
    {
        get { lock (_gate) return [.. _live]; }
    }

    /// <summary>Raised (from the watch) after the set of live instances was read or changed.</summary>
    public event Action? Changed;

    /// <summary>Registers this instance, reads the others and starts watching.</summary>
    public static async Task<InstanceRegistry> StartAsync(EtcdConnection etcd, InstanceLease lease, ILogger log, CancellationToken ct = default)
    {
        var r = new InstanceRegistry(etcd, lease, log);
        await r.RegisterAsync(ct).ConfigureAwait(false);
        long revision = await r.ReadAllAsync(ct).ConfigureAwait(false);
        r._watch = new PrefixWatch(etcd, r._prefix, revision + 1, r.OnEvents, r.ReadAllAsync, log);
        r._watch.Start();
        return r;
    }

    private Task RegisterAsync(CancellationToken ct) =>
        _etcd.PutOnLeaseAsync(Key(_etcd.Options.KeyPrefix, _etcd.Options.Instance), _etcd.Options.Instance, _lease.Id, ct);

    private async Task<long> ReadAllAsync(CancellationToken ct)
    {
        var r = await _etcd.GetPrefixAsync(_prefix, ct).ConfigureAwait(false);
        lock (_gate)
        {
            _live.Clear();
            foreach (var kv in r.Kvs) _live.Add(kv.Key.ToStringUtf8()[_prefix.Length..]);
        }
        _log.LogInformation("cluster instances: {Instances}", string.Join(", ", Live));
        Changed?.Invoke();
        return r.Header.Revision;
    }

    private void OnEvents(IReadOnlyList<Event> events)
    {
        lock (_gate)
        {
            foreach (var e in events)
            {
                string name = e.Kv.Key.ToStringUtf8()[_prefix.Length..];
                if (e.Type == Event.Types.EventType.Delete) _live.Remove(name);
                else _live.Add(name);
            }
        }
        _log.LogInformation("cluster instances: {Instances}", string.Join(", ", Live));
        Changed?.Invoke();
    }

    private void OnLeaseReplaced(long lease) => _ = Task.Run(async () =>
    {
        try { await RegisterAsync(_stop.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is EtcdUnavailableException or OperationCanceledException)
        {
            _log.LogWarning("registering {Instance} on the new lease {Lease:x} failed: {Error}", _etcd.Options.Instance, lease, e.Message);
        }
    });

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _lease.Replaced -= OnLeaseReplaced;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_watch is not null) await _watch.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
