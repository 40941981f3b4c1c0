using Microsoft.Extensions.Logging;
using Mvccpb;

namespace OvsLb.Cluster;

/// <summary>A configuration document as etcd stores it, with the revision that wrote it.</summary>
public sealed record StoredConfig(string Text, long ModRevision);

/// <summary>
/// The load-balancer configuration shared by every instance (issue 13, "Shared configuration"): one JSON document
/// under <c>PREFIX/config</c>, the same schema as the load-balancer part of a configuration file. <c>ovslb config put</c>
/// validates a file and writes it (<see cref="PutAsync"/>); every instance reads it at start and then watches the key
/// (<see cref="StartAsync"/>), applying each new revision through its own validation. An invalid document (written by
/// other means than <c>put</c>) is refused by that validation: the instance keeps the last good one and logs the
/// revision it refused with the reasons. A deleted key changes nothing either (logged).
/// </summary>
public sealed class SharedConfig : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly Func<StoredConfig, IReadOnlyList<string>> _apply;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private PrefixWatch? _watch;

    private SharedConfig(EtcdConnection etcd, Func<StoredConfig, IReadOnlyList<string>> apply, ILogger log)
    {
        _etcd = etcd;
        _apply = apply;
        _log = log;
    }

    /// <summary>The key of the document: <c>PREFIX/config</c>.</summary>
    public static string Key(ClusterOptions options) => options.KeyPrefix + "/config";

    /// <summary>The document last applied (null while none was, or every one was refused).</summary>
    public StoredConfig? Applied { get; private set; }

    /// <summary>The revision last refused by validation (0: none).</summary>
    public long LastRefused { get; private set; }

    /// <summary>Writes <paramref name="text"/> (already validated by the caller) and returns the revision that holds it.</summary>
    public static async Task<long> PutAsync(EtcdConnection etcd, string text, CancellationToken ct = default) =>
        (await etcd.PutAsync(Key(etcd.Options), text, ct).ConfigureAwait(false)).Header.Revision;

    /// <summary>The stored document, or null when there is none.</summary>
    public static async Task<StoredConfig?> GetAsync(EtcdConnection etcd, CancellationToken ct = default)
    {
        string key = Key(etcd.Options);
        var kv = (await etcd.GetPrefixAsync(key, ct).ConfigureAwait(false)).Kvs.FirstOrDefault(k => k.Key.ToStringUtf8() == key);
        return kv is null ? null : new StoredConfig(kv.Value.ToStringUtf8(), kv.ModRevision);
    }

    /// <summary>
    /// Reads the document, applies it, and watches for the next ones. <paramref name="apply"/> validates and applies a
    /// document and returns its errors (empty when it was applied); it is called from the watch, one document at a time.
    /// </summary>
    public static async Task<SharedConfig> StartAsync(EtcdConnection etcd, Func<StoredConfig, IReadOnlyList<string>> apply, ILogger log, CancellationToken ct = default)
    {
        var s = new SharedConfig(etcd, apply, log);
        long revision = await s.ReadAsync(ct).ConfigureAwait(false);
        s._watch = new PrefixWatch(etcd, Key(etcd.Options), revision + 1, s.OnEvents, s.ReadAsync, log);
        s._watch.Start();
        return s;
    }

    /// <summary>Reads and applies the current document; returns the store revision of the read (for the watch to go on from).</summary>
    private async Task<long> ReadAsync(CancellationToken ct)
    {
        string key = Key(_etcd.Options);
        var r = await _etcd.GetPrefixAsync(key, ct).ConfigureAwait(false);
        var kv = r.Kvs.FirstOrDefault(k => k.Key.ToStringUtf8() == key);
        if (kv is null) _log.LogWarning("No shared configuration at {Key} in etcd yet (revision {Revision}); write one with: ovslb config put FILE", key, r.Header.Revision);
        else Offer(new StoredConfig(kv.Value.ToStringUtf8(), kv.ModRevision));
        return r.Header.Revision;
    }

    private void OnEvents(IReadOnlyList<Event> events)
    {
        string key = Key(_etcd.Options);
        foreach (var e in events)
        {
            if (e.Kv.Key.ToStringUtf8() != key) continue;   // another key that starts with it
            if (e.Type == Event.Types.EventType.Delete)
            {
                _log.LogWarning("The shared configuration {Key} was deleted at revision {Revision}; keeping revision {Applied}", key, e.Kv.ModRevision, Applied?.ModRevision);
                continue;
            }
            Offer(new StoredConfig(e.Kv.Value.ToStringUtf8(), e.Kv.ModRevision));
        }
    }

    private void Offer(StoredConfig doc)
    {
        lock (_gate)
        {
            // Seen again after a watch restart: applied or refused already.
            if (doc.ModRevision <= Math.Max(Applied?.ModRevision ?? 0, LastRefused)) return;
            var errors = _apply(doc);
            if (errors.Count == 0)
            {
                Applied = doc;
                _log.LogInformation("Shared configuration revision {Revision} applied", doc.ModRevision);
            }
            else
            {
                LastRefused = doc.ModRevision;
                _log.LogError("Shared configuration revision {Revision} refused, keeping revision {Applied}:\n  {Errors}", doc.ModRevision,
                    Applied?.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)", string.Join("\n  ", errors));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_watch is not null) await _watch.DisposeAsync().ConfigureAwait(false);
    }
}
