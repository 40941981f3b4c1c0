using Microsoft.Extensions.Logging;
using Mvccpb;

namespace OvsLb.Cluster;

/// <summary>
/// Health verdicts shared by every instance (issue 13, "Shared health"): when this instance's checks take a backend
/// down it puts <c>PREFIX/health/BACKENDID/INSTANCE</c> = <c>down …</c> on its lease, and deletes it when the backend
/// comes back up. Every instance watches <c>PREFIX/health/</c> and merges the verdicts (<see cref="HealthVerdicts"/>):
/// a backend is down in the cluster view when any live instance says so, whichever instance ran the check, so every
/// bridge withdraws it whoever masters it. An instance that dies takes its verdicts with it when its lease expires
/// (or at once on a clean stop, which revokes the lease).
/// <para>
/// Publishing is by desired state: <see cref="Publish"/> takes the whole local "down" set, and one worker puts and
/// deletes keys until etcd holds exactly that set (retried after an outage, put back on a new lease).
/// </para>
/// </summary>
public sealed class SharedHealth : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly InstanceLease _lease;
    private readonly Func<IReadOnlyCollection<string>> _live;
    private readonly Action _changed;
    private readonly ILogger _log;
    private readonly string _prefix;
    private readonly string _self;
    private readonly Lock _gate = new();
    private readonly HealthVerdicts _verdicts = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private HashSet<string> _desired = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _published = new(StringComparer.Ordinal);   // backend → lease it was put on
    private PrefixWatch? _watch;
    private Task _worker = Task.CompletedTask;

    private SharedHealth(EtcdConnection etcd, InstanceLease lease, Func<IReadOnlyCollection<string>> live, Action changed, ILogger log)
    {
        _etcd = etcd;
        _lease = lease;
        _live = live;
        _changed = changed;
        _log = log;
        _prefix = Prefix(etcd.Options);
        _self = etcd.Options.Instance;
        _lease.Replaced += OnLeaseReplaced;
    }

    /// <summary>The prefix of every verdict key: <c>PREFIX/health/</c>.</summary>
    public static string Prefix(ClusterOptions options) => options.KeyPrefix + "/health/";

    /// <summary>
    /// The backends other live instances say are down (this instance's own verdicts are left out: its local tracker
    /// is the authority on them). <see cref="StartAsync"/>'s <c>changed</c> is called whenever this may have changed.
    /// </summary>
    public IReadOnlySet<string> Down()
    {
        var live = _live();
        lock (_gate) return _verdicts.Down(live, _self);
    }

    /// <summary>Every instance's verdicts as last seen (status, tests).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Verdicts()
    {
        lock (_gate) return _verdicts.Instances.ToDictionary(i => i, i => (IReadOnlySet<string>)_verdicts.Of(i).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <summary>
    /// Deletes what an earlier run of this instance (same name, older lease) left, reads every verdict and watches
    /// the prefix. <paramref name="live"/> gives the live instances (<see cref="InstanceRegistry.Live"/>);
    /// <paramref name="changed"/> is called (from the watch) when the cluster view may have changed.
    /// </summary>
    public static async Task<SharedHealth> StartAsync(EtcdConnection etcd, InstanceLease lease, Func<IReadOnlyCollection<string>> live, Action changed, ILogger log, CancellationToken ct = default)
    {
        var s = new SharedHealth(etcd, lease, live, changed, log);
        var r = await etcd.GetPrefixAsync(s._prefix, ct).ConfigureAwait(false);
        foreach (var kv in r.Kvs)
        {
            var key = kv.Key.ToStringUtf8();
            if (HealthVerdicts.ParseKey(s._prefix, key) is { } k && k.Instance == s._self && kv.Lease != lease.Id)
            {
                await etcd.DeleteAsync(key, ct).ConfigureAwait(false);
            }
        }
        long revision = await s.ReadAllAsync(ct).ConfigureAwait(false);
        s._watch = new PrefixWatch(etcd, s._prefix, revision + 1, s.OnEvents, s.ReadAllAsync, log);
        s._watch.Start();
        s._worker = Task.Run(s.PublishLoopAsync);
        return s;
    }

    /// <summary>This instance's checks now say exactly <paramref name="down"/> are down: puts and deletes its keys to match (asynchronously).</summary>
    public void Publish(IReadOnlySet<string> down)
    {
        lock (_gate) _desired = down.ToHashSet(StringComparer.Ordinal);
        _wake.Release();
    }

    private async Task<long> ReadAllAsync(CancellationToken ct)
    {
        var r = await _etcd.GetPrefixAsync(_prefix, ct).ConfigureAwait(false);
        lock (_gate)
        {
            _verdicts.Reset();
            foreach (var kv in r.Kvs)
            {
                if (HealthVerdicts.ParseKey(_prefix, kv.Key.ToStringUtf8()) is { } k) _verdicts.SetDown(k.Instance, k.BackendId);
            }
        }
        _changed();
        return r.Header.Revision;
    }

    private void OnEvents(IReadOnlyList<Event> events)
    {
        bool any = false;
        lock (_gate)
        {
            foreach (var e in events)
            {
                if (HealthVerdicts.ParseKey(_prefix, e.Kv.Key.ToStringUtf8()) is not { } k) continue;
                bool flipped = e.Type == Event.Types.EventType.Delete ? _verdicts.Clear(k.Instance, k.BackendId) : _verdicts.SetDown(k.Instance, k.BackendId);
                if (flipped && k.Instance != _self)
                {
                    any = true;
                    _log.LogWarning("Shared health: instance {Instance} says backend {Backend} is {State}", k.Instance, k.BackendId,
                        e.Type == Event.Types.EventType.Delete ? "no longer down" : "DOWN");
                }
            }
        }
        if (any) _changed();
    }

    /// <summary>Brings etcd to the desired set: one key operation at a time, retried after a failure.</summary>
    private async Task PublishLoopAsync()
    {
        var ct = _stop.Token;
        try
        {
            while (true)
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        if (!await SyncOnceAsync(ct).ConfigureAwait(false)) break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        // etcd unreachable, or the lease gone (its replacement wakes this loop again): try again shortly.
                        _log.LogWarning("Shared health: publishing failed ({Error}); retrying", e.Message);
                        await Task.Delay(_etcd.Options.RequestTimeout / 2, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Does one put or delete towards the desired set; false when there is nothing left to do.</summary>
    private async Task<bool> SyncOnceAsync(CancellationToken ct)
    {
        string? put = null, delete = null;
        long lease = _lease.Id;
        lock (_gate)
        {
            put = _desired.FirstOrDefault(b => !_published.TryGetValue(b, out var l) || l != lease);
            if (put is null) delete = _published.Keys.FirstOrDefault(b => !_desired.Contains(b));
        }
        if (put is not null)
        {
            string value = $"down: health check failed on {_self} at {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}";
            await _etcd.PutOnLeaseAsync(HealthVerdicts.Key(_prefix, put, _self), value, lease, ct).ConfigureAwait(false);
            lock (_gate) _published[put] = lease;
            return true;
        }
        if (delete is not null)
        {
            await _etcd.DeleteAsync(HealthVerdicts.Key(_prefix, delete, _self), ct).ConfigureAwait(false);
            lock (_gate) _published.Remove(delete);
            return true;
        }
        return false;
    }

    private void OnLeaseReplaced(long lease) => _wake.Release();   // the lease-id check in SyncOnceAsync puts every verdict back

    public async ValueTask DisposeAsync()
    {
        _lease.Replaced -= OnLeaseReplaced;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _worker.ConfigureAwait(false);
        if (_watch is not null) await _watch.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
