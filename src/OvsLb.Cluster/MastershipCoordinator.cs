using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace OvsLb.Cluster;

/// <summary>
/// Turns bridge elections into OpenFlow roles (issue 13). A switch that is ready makes this instance a candidate
/// for its datapath id (only while connected: a disconnect withdraws it); winning the election promotes the
/// switch to MASTER with the leader key's create_revision as generation id; losing it (another leader, own key
/// gone) closes the write gate at once and then asks for SLAVE; a lease that is no longer surely held closes
/// every gate at once. <see cref="MayWrite"/> is asked on every write attempt and checks the lease's deadline by
/// the clock, so a paused or cut-off instance stops writing even before any event reaches it.
/// <para>
/// Role changes run one at a time on one loop, in the order the events came; gates close on the caller's thread.
/// </para>
/// </summary>
public sealed class MastershipCoordinator : IAsyncDisposable
{
    /// <summary>How long a non-preferred instance waits before campaigning for a bridge nobody campaigned for.</summary>
    public TimeSpan CampaignDelay { get; init; } = TimeSpan.FromSeconds(1);

    private readonly BridgeElections _elections;
    private readonly InstanceLease _lease;
    private readonly InstanceRegistry _instances;
    private readonly ISwitchMastership _switches;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<ulong, BridgeState> _bridges = [];
    // dpid -> generation this instance is (becoming) master with; read on every write attempt.
    private readonly ConcurrentDictionary<ulong, ulong> _mastered = new();
    private readonly Channel<ulong> _work = Channel.CreateUnbounded<ulong>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private sealed class BridgeState
    {
        public bool Connected;
        public bool Candidate;
        public long? OwnRevision;
        public ulong? Applied;
        public int Epoch;
    }

    public MastershipCoordinator(BridgeElections elections, InstanceLease lease, InstanceRegistry instances, ISwitchMastership switches, ILogger log, TimeProvider? time = null)
    {
        _elections = elections;
        _lease = lease;
        _instances = instances;
        _switches = switches;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    public string Instance => _elections.Instance;

    /// <summary>Bridges this instance is master of, with their generation ids.</summary>
    public IReadOnlyDictionary<ulong, ulong> Mastered => new Dictionary<ulong, ulong>(_mastered);

    /// <summary>What this instance knows now: its lease by its own clock and every bridge with an election, from memory.</summary>
    public LocalClusterView View()
    {
        var left = _lease.ValidUntil - _time.GetUtcNow();
        var bridges = new List<LocalBridgeMastership>();
        foreach (var dpid in _elections.Bridges.Order())
        {
            var candidates = _elections.Candidates(dpid);
            if (candidates.Count == 0) continue;
            var leader = candidates[0];
            bridges.Add(new LocalBridgeMastership(dpid, leader.Instance, leader.GenerationId, MayWrite(dpid), [.. candidates.Select(c => c.Instance)]));
        }
        return new LocalClusterView(Instance, _lease.Id, _lease.IsValid, Math.Max(0, Math.Round(left.TotalSeconds, 3)), _lease.EtcdReachable, bridges);
    }

    public void Start()
    {
        _elections.LeaderChanged += OnLeaderChanged;
        _lease.ValidityChanged += OnLeaseValidity;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Whether this instance may write to the switch now: it was made its master and its lease is surely alive (by the clock).</summary>
    public bool MayWrite(ulong datapathId) => _mastered.ContainsKey(datapathId) && _lease.IsValid;

    /// <summary>The switch finished its handshake with this instance (as a standby): become a candidate for it.</summary>
    public void SwitchReady(ulong datapathId)
    {
        int epoch;
        lock (_gate)
        {
            var b = Bridge(datapathId);
            b.Connected = true;
            b.Applied = null;          // a new connection starts as a standby, whatever the old one was
            epoch = ++b.Epoch;
        }
        _mastered.TryRemove(datapathId, out _);
        bool now = MastershipRules.CampaignAtOnce(Instance, datapathId, _instances.Live, _elections.Candidates(datapathId).Count);
        _ = CampaignAsync(datapathId, epoch, now ? TimeSpan.Zero : CampaignDelay);
        Kick(datapathId);
    }

    /// <summary>The switch's connection to this instance ended: stop writing to it and withdraw from its election.</summary>
    public void SwitchGone(ulong datapathId)
    {
        long? revision;
        lock (_gate)
        {
            var b = Bridge(datapathId);
            b.Connected = false;
            b.Applied = null;
            b.Epoch++;
            revision = b.Candidate ? OwnRevision(datapathId, b) : null;
            b.Candidate = false;
            b.OwnRevision = null;
        }
        _mastered.TryRemove(datapathId, out _);
        if (revision is { } r) _ = WithdrawAsync(datapathId, r);
    }

    private BridgeState Bridge(ulong dpid)
    {
        if (!_bridges.TryGetValue(dpid, out var b)) _bridges[dpid] = b = new BridgeState();
        return b;
    }

    private long? OwnRevision(ulong dpid, BridgeState b) =>
        _elections.Candidates(dpid).FirstOrDefault(c => c.Lease == _lease.Id)?.CreateRevision ?? b.OwnRevision;

    private async Task CampaignAsync(ulong dpid, int epoch, TimeSpan delay)
    {
        try
        {
            if (delay > TimeSpan.Zero) await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
            lock (_gate)
            {
                var b = Bridge(dpid);
                if (!b.Connected || b.Epoch != epoch || b.Candidate) return;
                b.Candidate = true;
            }
            long rev = await _elections.CampaignAsync(dpid, _stop.Token).ConfigureAwait(false);
            bool gone;
            lock (_gate)
            {
                var b = Bridge(dpid);
                gone = b.Epoch != epoch;
                if (!gone) b.OwnRevision = rev;
            }
            // The switch left (or came back on a new connection, which campaigns itself) while the campaign ran.
            if (gone) await WithdrawAsync(dpid, rev).ConfigureAwait(false);
            else Kick(dpid);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (EtcdUnavailableException e)
        {
            lock (_gate)
            {
                var b = Bridge(dpid);
                if (b.Epoch == epoch) b.Candidate = false;
            }
            _log.LogWarning("bridge {Dpid:x16}: campaign failed ({Error}); trying again when the election changes", dpid, e.Message);
            // Retry later on our own: with no candidate at all, nothing else would make this instance try again.
            if (!_stop.IsCancellationRequested) _ = CampaignAsync(dpid, epoch, CampaignDelay);
        }
    }

    private async Task WithdrawAsync(ulong dpid, long revision)
    {
        try
        {
            bool deleted = await _elections.WithdrawAsync(dpid, revision, _stop.Token).ConfigureAwait(false);
            _log.LogInformation("bridge {Dpid:x16}: disconnected, {Instance} withdrew from its election{Note}", dpid, Instance, deleted ? "" : " (its key was already gone)");
        }
        catch (Exception e) when (e is EtcdUnavailableException or OperationCanceledException)
        {
            // The key stays until the lease ends; a leader key of a disconnected switch is never promoted here.
            _log.LogWarning("bridge {Dpid:x16}: withdrawing from its election failed: {Error}", dpid, e.Message);
        }
    }

    private void OnLeaderChanged(ulong dpid, ElectionCandidate? leader)
    {
        bool campaign;
        int epoch;
        lock (_gate)
        {
            var b = Bridge(dpid);
            campaign = b.Connected && !b.Candidate && leader is not null;
            epoch = b.Epoch;
        }
        if (leader is null || leader.Lease != _lease.Id) StopWriting(dpid, $"the leader is now {leader?.Instance ?? "nobody"}");
        if (campaign) _ = CampaignAsync(dpid, epoch, TimeSpan.Zero);   // queue behind the leader, ready for a failover
        Kick(dpid);
    }

    private void OnLeaseValidity(bool valid)
    {
        if (!valid)
        {
            foreach (var dpid in _mastered.Keys) StopWriting(dpid, "the etcd lease is no longer surely held");
        }
        List<ulong> all;
        lock (_gate) all = [.. _bridges.Keys];
        foreach (var d in all) Kick(d);
    }

    /// <summary>Closes the gate at once (this thread, no OpenFlow exchange) when this instance was master.</summary>
    private void StopWriting(ulong dpid, string why)
    {
        if (!_mastered.TryRemove(dpid, out ulong gen)) return;
        _switches.StopWriting(dpid);
        _log.LogWarning("bridge {Dpid:x16}: {Instance} stopped writing at once (was master with generation {Generation}): {Why}", dpid, Instance, gen, why);
    }

    private void Kick(ulong dpid) => _work.Writer.TryWrite(dpid);

    private async Task LoopAsync()
    {
        try
        {
            await foreach (var dpid in _work.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await StepAsync(dpid).ConfigureAwait(false);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    _log.LogError(e, "bridge {Dpid:x16}: role change failed", dpid);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StepAsync(ulong dpid)
    {
        bool connected;
        ulong? applied;
        lock (_gate)
        {
            var b = Bridge(dpid);
            connected = b.Connected;
            applied = b.Applied;
        }
        var leader = _elections.Leader(dpid);
        switch (MastershipRules.Next(connected, leader, _lease.Id, _lease.IsValid, applied))
        {
            case MastershipStep.Promote:
                ulong gen = leader!.GenerationId;
                var started = _time.GetTimestamp();
                _mastered[dpid] = gen;
                bool ok = await _switches.PromoteAsync(dpid, gen).ConfigureAwait(false);
                lock (_gate) Bridge(dpid).Applied = ok ? gen : null;
                if (ok)
                {
                    _log.LogInformation("bridge {Dpid:x16}: {Instance} is master with generation {Generation} ({Ms:0} ms for role request and reconcile)",
                        dpid, Instance, gen, _time.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    _mastered.TryRemove(new KeyValuePair<ulong, ulong>(dpid, gen));
                    _log.LogWarning("bridge {Dpid:x16}: {Instance} leads the election (generation {Generation}) but the switch did not accept it as master", dpid, Instance, gen);
                }
                break;
            case MastershipStep.Demote:
                StopWriting(dpid, leader is null ? "no leader" : $"the leader is {leader.Instance}");
                _switches.StopWriting(dpid);
                lock (_gate) Bridge(dpid).Applied = null;
                await _switches.DemoteAsync(dpid).ConfigureAwait(false);
                _log.LogInformation("bridge {Dpid:x16}: {Instance} is a standby (SLAVE)", dpid, Instance);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _elections.LeaderChanged -= OnLeaderChanged;
        _lease.ValidityChanged -= OnLeaseValidity;
        _work.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
