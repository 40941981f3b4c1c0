using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace OvsLb.Cluster;

/// <summary>
/// One etcd watch on a key prefix, kept going for the life of the instance: after any break it is opened again
/// from the revision after the last event delivered (<see cref="ResumeAt"/>), and when etcd has compacted those
/// revisions away the owner reads the prefix again (<c>reread</c>) and the watch goes on from there.
/// <para>
/// A member that hangs (SIGSTOP, a network partition that keeps the TCP connection open) leaves a watch on it
/// silent, with no error: measured, a paused member held an instance's watch for 8 s and more without a single
/// event while the two others went on committing. So the stream is probed: every half
/// <see cref="ClusterOptions.RequestTimeout"/> a progress request goes out, which etcd answers even when nothing
/// changed; a stream that has answered nothing for two request timeouts is dropped, its member is suspect for a while
/// (<see cref="EtcdMembers"/>), and the watch is opened again on another member.
/// </para>
/// </summary>
internal sealed class PrefixWatch : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly string _prefix;
    private readonly Action<IReadOnlyList<Event>> _onEvents;
    private readonly Func<CancellationToken, Task<long>> _reread;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _lastHeardTicks;

    /// <param name="etcd">The instance's connection.</param>
    /// <param name="prefix">Every key starting with this is watched.</param>
    /// <param name="startRevision">The first revision to deliver (one past the owner's initial read).</param>
    /// <param name="onEvents">Called with each batch of events, in etcd's order, from the watch loop.</param>
    /// <param name="reread">Reads the whole prefix again (after a compaction) and returns the revision of that read.</param>
    /// <param name="log">Where breaks and silences are logged.</param>
    public PrefixWatch(EtcdConnection etcd, string prefix, long startRevision, Action<IReadOnlyList<Event>> onEvents, Func<CancellationToken, Task<long>> reread, ILogger log)
    {
        _etcd = etcd;
        _prefix = prefix;
        ResumeAt = startRevision;
        _onEvents = onEvents;
        _reread = reread;
        _log = log;
    }

    /// <summary>The revision the watch resumes at after a break: one past the last event delivered.</summary>
    public long ResumeAt { get; private set; }

    /// <summary>How often the stream was opened again after a break or a silence (status, tests).</summary>
    public int Restarts { get; private set; }

    /// <summary>A stream that answered nothing for this long is taken for dead.</summary>
    private TimeSpan Silence => 2 * _etcd.Options.RequestTimeout;

    /// <summary>How often a progress request goes out (and the silence is checked).</summary>
    private TimeSpan Probe => _etcd.Options.RequestTimeout / 2;

    public void Start() => _loop = Task.Run(LoopAsync);

    private async Task LoopAsync()
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
                // Any failure opens the watch again from ResumeAt (events seen twice are the owner's to ignore).
                if (e is OperationCanceledException || EtcdConnection.IsUnavailable(e) || e is Grpc.Core.RpcException or EtcdUnavailableException)
                {
                    _log.LogDebug("watch of {Prefix} from revision {Revision} broke: {Error}", _prefix, ResumeAt, e.Message);
                }
                else
                {
                    _log.LogError(e, "watch of {Prefix} from revision {Revision} failed", _prefix, ResumeAt);
                }
                try { await Task.Delay(backoff, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, _etcd.Options.RequestTimeout.TotalMilliseconds));
            }
            Restarts++;
        }
    }

    /// <summary>One watch stream from <see cref="ResumeAt"/>, until etcd, the connection or the liveness probe ends it.</summary>
    private async Task WatchOnceAsync(CancellationToken ct)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int member = _etcd.Members.Pick();
        using var call = _etcd.Members[member].GetConnection().WatchClient.Watch(cancellationToken: stream.Token);
        Heard();
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(_prefix), RangeEnd = EtcdConnection.RangeEnd(_prefix), StartRevision = ResumeAt },
        }, stream.Token).ConfigureAwait(false);
        var prober = ProbeAsync(call.RequestStream, stream, member);
        try
        {
            while (await call.ResponseStream.MoveNext(stream.Token).ConfigureAwait(false))
            {
                Heard();
                var w = call.ResponseStream.Current;
                if (w.CompactRevision > 0 || w.Canceled)
                {
                    _log.LogInformation("watch of {Prefix} from revision {Revision} cancelled by etcd (compacted to {Compact}, {Reason}); reading it again",
                        _prefix, ResumeAt, w.CompactRevision, w.CancelReason);
                    ResumeAt = await _reread(ct).ConfigureAwait(false) + 1;
                    return;
                }
                if (w.Events.Count == 0) continue;   // created, or a progress answer
                ResumeAt = Math.Max(ResumeAt, w.Events.Max(e => e.Kv.ModRevision) + 1);
                _onEvents(w.Events);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested && EtcdConnection.IsUnavailable(e))
        {
            _etcd.Members.Suspect(member);   // reopened on another member
            throw;
        }
        finally
        {
            await stream.CancelAsync().ConfigureAwait(false);
            await prober.ConfigureAwait(false);
        }
    }

    private void Heard() => Interlocked.Exchange(ref _lastHeardTicks, DateTime.UtcNow.Ticks);

    /// <summary>Every probe interval a progress request; cancels the stream when it has been silent for two intervals.</summary>
    private async Task ProbeAsync(Grpc.Core.IClientStreamWriter<WatchRequest> requests, CancellationTokenSource stream, int member)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Probe, stream.Token).ConfigureAwait(false);
                var silent = DateTime.UtcNow - new DateTime(Interlocked.Read(ref _lastHeardTicks), DateTimeKind.Utc);
                if (silent > Silence)
                {
                    _log.LogWarning("watch of {Prefix}: no answer from etcd member {Member} for {Seconds:0.0} s (hung or cut off?); opening it again on another",
                        _prefix, _etcd.Members.Urls[member], silent.TotalSeconds);
                    _etcd.Members.Suspect(member);
                    await stream.CancelAsync().ConfigureAwait(false);
                    return;
                }
                await requests.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() }, stream.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException or InvalidOperationException or IOException)
        {
            // The stream ended (or is ending): the watch loop handles that.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
