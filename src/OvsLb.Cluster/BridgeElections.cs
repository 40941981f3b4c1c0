using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace OvsLb.Cluster;

/// <summary>
/// One etcd election per bridge (datapath id), all under <c>PREFIX/elect/</c>, for one instance. To campaign is to
/// create the key <c>PREFIX/elect/DPID/LEASE</c> on the instance's lease if it is absent (etcd's election recipe,
/// done client-side); the leader is the bridge's key with the lowest create_revision, and that revision is the
/// OpenFlow generation_id its master uses. One read of the prefix and one watch on it keep an
/// <see cref="ElectionView"/> of every bridge (one stream per instance, not one blocked Campaign call per bridge).
/// The watch is restarted after any break from the last revision seen, or re-read after a compaction.
/// </summary>
public sealed class BridgeElections : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly InstanceLease _lease;
    private readonly ILogger _log;
    private readonly string _electPrefix;
    private readonly ElectionView _view;
    private readonly object _gate = new();
    private readonly HashSet<ulong> _campaigns = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _watch = Task.CompletedTask;
    // The revision the watch resumes at after a break: one past the last event applied.
    private long _resumeAt;
    private bool _disposed;

    private BridgeElections(EtcdConnection etcd, InstanceLease lease, ILogger log)
    {
        _etcd = etcd;
        _lease = lease;
        _log = log;
        _electPrefix = etcd.Options.KeyPrefix + "/elect/";
        _view = new ElectionView(_electPrefix);
        _lease.Replaced += OnLeaseReplaced;
    }

    public string Instance => _etcd.Options.Instance;

    /// <summary>A bridge's leader changed (null: no candidate left). Raised from the watch loop, in etcd's order.</summary>
    public event Action<ulong, ElectionCandidate?>? LeaderChanged;

    /// <summary>Reads the elections and starts watching them.</summary>
    public static async Task<BridgeElections> StartAsync(EtcdConnection etcd, InstanceLease lease, ILogger log, CancellationToken ct = default)
    {
        var e = new BridgeElections(etcd, lease, log);
        e._resumeAt = await e.ReadAllAsync(ct).ConfigureAwait(false) + 1;
        e._watch = Task.Run(e.WatchLoopAsync);
        return e;
    }

    /// <summary>The bridge's leader as last seen, or null.</summary>
    public ElectionCandidate? Leader(ulong datapathId)
    {
        lock (_gate) return _view.Leader(datapathId);
    }

    /// <summary>A bridge's candidates, leader first.</summary>
    public IReadOnlyList<ElectionCandidate> Candidates(ulong datapathId)
    {
        lock (_gate) return _view.Candidates(datapathId);
    }

    /// <summary>Whether this instance leads the bridge: its key is the oldest and its lease surely still exists.</summary>
    public bool IsLeader(ulong datapathId) => Leader(datapathId) is { } l && l.Lease == _lease.Id && _lease.IsValid;

    /// <summary>
    /// Becomes a candidate for the bridge (again: the same lease finds its key and keeps its revision). Returns the
    /// create_revision of this instance's key, which is the generation id should it lead.
    /// </summary>
    public async Task<long> CampaignAsync(ulong datapathId, CancellationToken ct = default)
    {
        lock (_gate) _campaigns.Add(datapathId);
        long lease = _lease.Id;
        string key = ElectionView.Key(_electPrefix, datapathId, lease);
        var k = ByteString.CopyFromUtf8(key);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = k, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = ByteString.CopyFromUtf8(Instance), Lease = lease } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        var r = await _etcd.TxnAsync($"CAMPAIGN {key}", txn, ct).ConfigureAwait(false);
        long created = r.Succeeded ? r.Header.Revision : r.Responses[0].ResponseRange.Kvs[0].CreateRevision;
        _log.LogInformation("election {Dpid:x16}: {Instance} is a candidate, key {Key} revision {Revision}", datapathId, Instance, key, created);
        return created;
    }

    /// <summary>Stops being a candidate (resigns when leading): deletes this instance's key if it is still the one created at <paramref name="createRevision"/>.</summary>
    public async Task<bool> WithdrawAsync(ulong datapathId, long createRevision, CancellationToken ct = default)
    {
        lock (_gate) _campaigns.Remove(datapathId);
        var k = ByteString.CopyFromUtf8(ElectionView.Key(_electPrefix, datapathId, _lease.Id));
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = k, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = createRevision } },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = k } } },
        };
        return (await _etcd.TxnAsync($"WITHDRAW {k.ToStringUtf8()}", txn, ct).ConfigureAwait(false)).Succeeded;
    }

    private async Task<long> ReadAllAsync(CancellationToken ct)
    {
        var r = await _etcd.GetPrefixAsync(_electPrefix, ct).ConfigureAwait(false);
        IReadOnlyList<ulong> changed;
        lock (_gate) changed = _view.Reset(r.Kvs.Select(kv => ToEvent(kv, deleted: false)), r.Header.Revision);
        Raise(changed);
        return r.Header.Revision;
    }

    private async Task WatchLoopAsync()
    {
        var ct = _stop.Token;
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await WatchOnceAsync(ct).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Any failure restarts the watch from the last revision applied (events seen twice are ignored by the view).
                if (EtcdConnection.IsUnavailable(e) || e is Grpc.Core.RpcException or EtcdUnavailableException)
                {
                    _log.LogDebug("election watch from revision {Revision} broke: {Error}", _resumeAt, e.Message);
                }
                else
                {
                    _log.LogError(e, "election watch from revision {Revision} failed", _resumeAt);
                }
                try { await Task.Delay(backoff, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, _etcd.Options.RequestTimeout.TotalMilliseconds));
            }
        }
    }

    /// <summary>One watch stream from <see cref="_resumeAt"/>, until etcd or the connection ends it.</summary>
    private async Task WatchOnceAsync(CancellationToken ct)
    {
        using var call = _etcd.Raw.WatchClient.Watch(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest
            {
                Key = ByteString.CopyFromUtf8(_electPrefix),
                RangeEnd = EtcdConnection.RangeEnd(_electPrefix),
                StartRevision = _resumeAt,
            },
        }, ct).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
        {
            var w = call.ResponseStream.Current;
            if (w.CompactRevision > 0 || w.Canceled)
            {
                // The revisions we need are compacted away (or etcd ended the watch): read everything again.
                _log.LogInformation("election watch from revision {Revision} cancelled (compacted to {Compact}); reading the elections again", _resumeAt, w.CompactRevision);
                _resumeAt = await ReadAllAsync(ct).ConfigureAwait(false) + 1;
                return;
            }
            if (w.Events.Count == 0) continue;
            IReadOnlyList<ulong> changed;
            lock (_gate) changed = _view.Apply(w.Events.Select(e => ToEvent(e.Kv, e.Type == Event.Types.EventType.Delete)));
            _resumeAt = Math.Max(_resumeAt, w.Events.Max(e => e.Kv.ModRevision) + 1);
            Raise(changed);
        }
    }

    private static ElectionKeyEvent ToEvent(KeyValue kv, bool deleted) =>
        new(deleted, kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Lease);

    private void Raise(IReadOnlyList<ulong> changed)
    {
        foreach (var dpid in changed)
        {
            var leader = Leader(dpid);
            _log.LogInformation("election {Dpid:x16}: leader {Instance} (generation {Generation})", dpid, leader?.Instance ?? "none", leader?.CreateRevision);
            try
            {
                LeaderChanged?.Invoke(dpid, leader);
            }
            catch (Exception e)
            {
                _log.LogError(e, "election {Dpid:x16}: a LeaderChanged handler failed", dpid);
            }
        }
    }

    /// <summary>The old lease and its keys are gone: campaign again on the new one (a new, higher revision).</summary>
    private void OnLeaseReplaced(long lease)
    {
        List<ulong> again;
        lock (_gate) again = [.. _campaigns];
        _ = Task.Run(async () =>
        {
            foreach (var dpid in again)
            {
                try { await CampaignAsync(dpid, _stop.Token).ConfigureAwait(false); }
                catch (Exception e) when (e is EtcdUnavailableException or OperationCanceledException)
                {
                    _log.LogWarning("election {Dpid:x16}: campaign on the new lease {Lease:x} failed: {Error}", dpid, lease, e.Message);
                }
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _lease.Replaced -= OnLeaseReplaced;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        _stop.Dispose();
    }
}
