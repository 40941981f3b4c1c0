using Microsoft.Extensions.Logging;

namespace OvsLb.Cluster;

/// <summary>
/// The one etcd lease of an instance: its election keys hang on it, so they vanish when the instance dies or
/// is cut off for longer than the TTL. The keepalive loop is our own (every TTL/3, one keepalive per call,
/// each with a deadline) and survives any number of broken connections and whole-cluster restarts.
/// <para>
/// While etcd cannot be reached the instance learns nothing, so it keeps its own deadline:
/// <see cref="ValidUntil"/> = the send time of the last answered keepalive + TTL. etcd measures the TTL from
/// when it received that keepalive, later than we sent it, so the lease never outlives our deadline on etcd's
/// side while we still believe in it. Callers check <see cref="IsValid"/> before every write.
/// </para>
/// When a keepalive is answered with TTL &lt;= 0 the lease is gone (expired, revoked): a new one is granted
/// and <see cref="Replaced"/> tells the owners of keys to put them back.
/// </summary>
public sealed class InstanceLease : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _ttl;
    private Task _loop = Task.CompletedTask;
    private long _validUntilTicks;
    private bool _reportedValid;
    private DateTimeOffset? _unreachableSince;
    private volatile bool _reachable = true;
    private bool _disposed;

    private InstanceLease(EtcdConnection etcd, ILogger log, TimeProvider time)
    {
        _etcd = etcd;
        _log = log;
        _time = time;
        _ttl = etcd.Options.LeaseTtl;
    }

    /// <summary>The current lease id (changes only after the lease was lost, see <see cref="Replaced"/>).</summary>
    public long Id { get; private set; }

    public TimeSpan Ttl => _ttl;

    /// <summary>Until when the lease surely exists in etcd, by our own clock.</summary>
    public DateTimeOffset ValidUntil => new(Interlocked.Read(ref _validUntilTicks), TimeSpan.Zero);

    /// <summary>Whether the lease (and so every key on it) surely still exists: check this before every write.</summary>
    public bool IsValid => _time.GetUtcNow() < ValidUntil;

    /// <summary>Whether the last keepalive (or the grant) was answered: false from the first unanswered one until one gets through.</summary>
    public bool EtcdReachable => _reachable;

    /// <summary>Keepalives answered so far (tests, status).</summary>
    public int KeepAlivesAnswered { get; private set; }

    /// <summary>
    /// <see cref="IsValid"/> turned false (the deadline passed with no answer, or etcd said the lease is gone) or true
    /// again (a keepalive got through after an outage: the same lease, its keys and their revisions are intact).
    /// Raised from the keepalive loop, at most TTL/3 late; <see cref="IsValid"/> itself is exact.
    /// </summary>
    public event Action<bool>? ValidityChanged;

    /// <summary>The old lease is gone and a new one (the argument) was granted: keys on the old one must be created again.</summary>
    public event Action<long>? Replaced;

    /// <summary>Grants the lease and starts keeping it alive.</summary>
    public static async Task<InstanceLease> GrantAsync(EtcdConnection etcd, ILogger log, TimeProvider? time = null, CancellationToken ct = default)
    {
        var lease = new InstanceLease(etcd, log, time ?? TimeProvider.System);
        var sent = lease._time.GetUtcNow();
        lease.Id = await etcd.LeaseGrantAsync(lease._ttl, ct).ConfigureAwait(false);
        lease.SetValidUntil(sent + lease._ttl);
        lease._reportedValid = true;
        log.LogInformation("etcd lease {Lease:x} granted, TTL {Ttl} s, kept alive every {Interval} ms", lease.Id, lease._ttl.TotalSeconds, lease.Interval.TotalMilliseconds);
        lease._loop = Task.Run(lease.KeepAliveLoopAsync);
        return lease;
    }

    private TimeSpan Interval => _ttl / 3;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    private void SetValidUntil(DateTimeOffset t) => Interlocked.Exchange(ref _validUntilTicks, t.UtcTicks);

    private async Task KeepAliveLoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            // The next keepalive in TTL/3, or when the deadline passes if that is sooner (to report it on time);
            // after a failed attempt soon again: a returning etcd restarts every lease with its full TTL, and the
            // sooner a keepalive reaches it the wider the margin before that runs out.
            var wait = _unreachableSince is null ? Interval : RetryInterval;
            var left = ValidUntil - _time.GetUtcNow();
            if (left > TimeSpan.Zero && left < wait) wait = left;
            try
            {
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                await KeepAliveOnceAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever broke this attempt (etcd down, a refused call, a client fault), the loop goes on: a
                // keepalive loop that ends lets the lease expire while the instance still runs.
                if (e is not (EtcdUnavailableException or Grpc.Core.RpcException)) _log.LogError(e, "etcd lease {Lease:x}: keepalive attempt failed", Id);
                if (_unreachableSince is null)
                {
                    _unreachableSince = _time.GetUtcNow();
                    _reachable = false;
                    _log.LogWarning("etcd lease {Lease:x}: keepalive failed ({Error}); the lease counts as held until {ValidUntil:HH:mm:ss.fff}", Id, e.Message, ValidUntil);
                }
            }
            ReportValidity();
        }
    }

    private async Task KeepAliveOnceAsync(CancellationToken ct)
    {
        var sent = _time.GetUtcNow();
        long ttl = await _etcd.KeepAliveOnceAsync(Id, ct).ConfigureAwait(false);
        if (ttl > 0)
        {
            SetValidUntil(sent + TimeSpan.FromSeconds(ttl));
            KeepAlivesAnswered++;
            if (_unreachableSince is { } since)
            {
                _log.LogInformation("etcd lease {Lease:x}: keepalive answered again after {Seconds:0.0} s without", Id, (_time.GetUtcNow() - since).TotalSeconds);
                _unreachableSince = null;
                _reachable = true;
            }
            return;
        }
        // etcd no longer has the lease: every key on it is gone. Get a new one for the owners to re-create theirs.
        long old = Id;
        SetValidUntil(DateTimeOffset.MinValue);
        ReportValidity();
        _unreachableSince = null;
        _reachable = true;
        var grantSent = _time.GetUtcNow();
        Id = await _etcd.LeaseGrantAsync(_ttl, ct).ConfigureAwait(false);
        SetValidUntil(grantSent + _ttl);
        _log.LogWarning("etcd lease {Old:x} expired in etcd; granted lease {Lease:x}", old, Id);
        ReportValidity();
        Replaced?.Invoke(Id);
    }

    private void ReportValidity()
    {
        bool valid = IsValid;
        if (valid == _reportedValid) return;
        _reportedValid = valid;
        if (!valid) _log.LogWarning("etcd lease {Lease:x} no longer surely held (deadline {ValidUntil:HH:mm:ss.fff} passed or etcd dropped it)", Id, ValidUntil);
        ValidityChanged?.Invoke(valid);
    }

    /// <summary>
    /// Stops sending keepalives and leaves the lease to expire in etcd (as if this instance hung or lost its
    /// network); <see cref="IsValid"/> turns false by the clock. For tests and for a shutdown that must not
    /// hand over mastership early.
    /// </summary>
    public async Task StopKeepAliveAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Stops the keepalives and revokes the lease, deleting its keys at once (a clean shutdown hands over at once).</summary>
    public async Task RevokeAsync(CancellationToken ct = default)
    {
        await StopKeepAliveAsync().ConfigureAwait(false);
        SetValidUntil(DateTimeOffset.MinValue);
        await _etcd.LeaseRevokeAsync(Id, ct).ConfigureAwait(false);
    }

    /// <summary>Stops the keepalives; the lease is left to expire (use <see cref="RevokeAsync"/> to hand over at once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await StopKeepAliveAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
