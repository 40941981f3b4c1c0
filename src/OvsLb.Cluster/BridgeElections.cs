using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace OvsLb.Cluster;

/// <summary>
/// One etcd election per bridge (datapath id), all under <c>PREFIX/elect/</c>, for one instance. To campaign is to
/// create the key <c>PREFIX/elect/DPID/LEASE</c> on the instance's lease if it is absent (etcd's election recipe,
/// done client-side); the leader is the bridge's key with the lowest create_revision, and that revision is the
/// OpenFlow generation_id its master uses. One read of the prefix and one watch on it (<see cref="PrefixWatch"/>:
/// resumed after breaks, probed for silent members) keep an <see cref="ElectionView"/> of every bridge: one stream
/// per instance, not one blocked Campaign call per bridge.
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
    private PrefixWatch? _watch;
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

    /// <summary>How often the election watch was opened again after a break or a silent member.</summary>
    public int WatchRestarts => _watch?.Restarts ?? 0;

    /// <summary>A bridge's leader changed (null: no candidate left). Raised from the watch loop, in etcd's order.</summary>
    public event Action<ulong, ElectionCandidate?>? LeaderChanged;

    /// <summary>Reads the elections and starts watching them.</summary>
    public static async Task<BridgeElections> StartAsync(EtcdConnection etcd, InstanceLease lease, ILogger log, CancellationToken ct = default)
    {
        var e = new BridgeElections(etcd, lease, log);
        long revision = await e.ReadAllAsync(ct).ConfigureAwait(false);
        e._watch = new PrefixWatch(etcd, e._electPrefix, revision + 1, e.OnEvents, e.ReadAllAsync, log);
        e._watch.Start();
        return e;
    }

    /// <summary>The bridge's leader as last seen, or null.</summary>
    public ElectionCandidate? Leader(ulong datapathId)
    {
        lock (_gate) return _view.Leader(datapathId);
    }

    /// <summary>Every bridge with at least one candidate, as last seen.</summary>
    public IReadOnlyCollection<ulong> Bridges
    {
        get
        {
            lock (_gate) return _view.Bridges;
        }
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

    private void OnEvents(IReadOnlyList<Event> events)
    {
        IReadOnlyList<ulong> changed;
        lock (_gate) changed = _view.Apply(events.Select(e => ToEvent(e.Kv, e.Type == Event.Types.EventType.Delete)));
        Raise(changed);
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
        if (_watch is not null) await _watch.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
