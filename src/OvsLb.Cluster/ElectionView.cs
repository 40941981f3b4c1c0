using System.Globalization;

namespace OvsLb.Cluster;

/// <summary>
/// One candidate of a bridge's election: the key <c>PREFIX/elect/DPID/LEASE</c> (the layout of etcd's own election
/// API, so <c>etcdctl elect -l PREFIX/elect/DPID</c> shows the leader), its value (the instance name), the revision
/// that created it and the lease it hangs on.
/// </summary>
public sealed record ElectionCandidate(ulong DatapathId, string Key, string Instance, long CreateRevision, long Lease)
{
    /// <summary>
    /// The OpenFlow generation_id a leader sends with ROLE_REQUEST MASTER: its key's create_revision, a cluster-wide
    /// counter that never repeats, so each later leader of a bridge has a larger one and OVS refuses an older master as stale.
    /// </summary>
    public ulong GenerationId => (ulong)CreateRevision;
}

/// <summary>A change to one election key as etcd reported it (a range read or a watch event), free of etcd's types.</summary>
public readonly record struct ElectionKeyEvent(bool Deleted, string Key, string Value, long CreateRevision, long ModRevision, long Lease);

/// <summary>
/// The elections of every bridge as this instance last heard of them, from a read of <c>PREFIX/elect/</c> and the
/// watch after it. Pure: no I/O, no clock. The leader of a bridge is its candidate with the lowest create_revision
/// (etcd's election recipe: a waiter wins once every older key is gone). Events older than what the view already
/// holds are ignored, so a watch that restarts from an earlier revision, or a read that overtakes the watch,
/// cannot bring back a deleted key or an old leader.
/// </summary>
public sealed class ElectionView
{
    private readonly string _prefix;
    private readonly Dictionary<ulong, SortedSet<ElectionCandidate>> _byBridge = [];
    private readonly Dictionary<string, ElectionCandidate> _byKey = new(StringComparer.Ordinal);
    // Last revision at which each key was written or deleted (deleted keys included, after the floor).
    private readonly Dictionary<string, long> _lastChange = new(StringComparer.Ordinal);
    private long _floor;

    private static readonly Comparer<ElectionCandidate> ByAge = Comparer<ElectionCandidate>.Create((a, b) =>
        a.CreateRevision != b.CreateRevision ? a.CreateRevision.CompareTo(b.CreateRevision) : string.CompareOrdinal(a.Key, b.Key));

    /// <param name="electPrefix">The election key prefix with its trailing '/', e.g. <c>/ovslb/elect/</c>.</param>
    public ElectionView(string electPrefix)
    {
        if (!electPrefix.EndsWith('/')) throw new ArgumentException("the election prefix ends with '/'", nameof(electPrefix));
        _prefix = electPrefix;
    }

    /// <summary>Revision up to which the view is complete (the last read or event applied).</summary>
    public long Revision { get; private set; }

    /// <summary>The key of <paramref name="lease"/>'s candidacy for a bridge: <c>PREFIX/elect/DPID16HEX/LEASEHEX</c>.</summary>
    public static string Key(string electPrefix, ulong datapathId, long lease) => $"{electPrefix}{datapathId:x16}/{lease:x}";

    /// <summary>Prefix of all candidate keys of one bridge (the election name plus '/').</summary>
    public static string BridgePrefix(string electPrefix, ulong datapathId) => $"{electPrefix}{datapathId:x16}/";

    public ElectionCandidate? Leader(ulong datapathId) => _byBridge.TryGetValue(datapathId, out var set) && set.Count > 0 ? set.Min : null;

    /// <summary>A bridge's candidates, leader first.</summary>
    public IReadOnlyList<ElectionCandidate> Candidates(ulong datapathId) => _byBridge.TryGetValue(datapathId, out var set) ? [.. set] : [];

    public IReadOnlyCollection<ulong> Bridges => [.. _byBridge.Keys];

    /// <summary>
    /// Replaces the view with a full read taken at <paramref name="revision"/> (start-up, or after the watch fell
    /// behind a compaction). Returns the bridges whose leader changed.
    /// </summary>
    public IReadOnlyList<ulong> Reset(IEnumerable<ElectionKeyEvent> keys, long revision)
    {
        var before = _byBridge.Keys.ToDictionary(d => d, Leader);
        _byBridge.Clear();
        _byKey.Clear();
        _lastChange.Clear();
        _floor = revision;
        Revision = revision;
        foreach (var k in keys)
        {
            if (!k.Deleted && Parse(k) is { } c) Add(c, k.ModRevision);
        }
        return [.. before.Keys.Union(_byBridge.Keys).Where(d => before.GetValueOrDefault(d) != Leader(d))];
    }

    /// <summary>Applies watch events in the order received. Returns the bridges whose leader changed.</summary>
    public IReadOnlyList<ulong> Apply(IEnumerable<ElectionKeyEvent> events)
    {
        var changed = new List<ulong>();
        foreach (var e in events)
        {
            if (Apply(e) is { } d && !changed.Contains(d)) changed.Add(d);
        }
        return changed;
    }

    /// <summary>Applies one event; returns its bridge when that bridge's leader changed.</summary>
    public ulong? Apply(ElectionKeyEvent e)
    {
        // Already contained in the last full read, or older than what we know of this key: stale.
        if (e.ModRevision <= _floor) return null;
        if (_lastChange.TryGetValue(e.Key, out long last) && e.ModRevision <= last) return null;
        if (!TryParseKey(e.Key, out ulong dpid, out _)) return null;
        Revision = Math.Max(Revision, e.ModRevision);
        var before = Leader(dpid);
        _lastChange[e.Key] = e.ModRevision;
        if (_byKey.Remove(e.Key, out var old)) _byBridge[dpid].Remove(old);
        if (!e.Deleted && Parse(e) is { } c) Add(c, e.ModRevision);
        if (_byBridge.TryGetValue(dpid, out var set) && set.Count == 0) _byBridge.Remove(dpid);
        return before != Leader(dpid) ? dpid : null;
    }

    private void Add(ElectionCandidate c, long modRevision)
    {
        if (!_byBridge.TryGetValue(c.DatapathId, out var set)) _byBridge[c.DatapathId] = set = new SortedSet<ElectionCandidate>(ByAge);
        set.Add(c);
        _byKey[c.Key] = c;
        _lastChange[c.Key] = modRevision;
    }

    private ElectionCandidate? Parse(ElectionKeyEvent e) =>
        TryParseKey(e.Key, out ulong dpid, out long lease) ? new ElectionCandidate(dpid, e.Key, e.Value, e.CreateRevision, e.Lease != 0 ? e.Lease : lease) : null;

    /// <summary>Reads <c>PREFIX/elect/DPID16HEX/LEASEHEX</c>; false for any other key under the prefix.</summary>
    public bool TryParseKey(string key, out ulong datapathId, out long lease)
    {
        datapathId = 0;
        lease = 0;
        if (!key.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var rest = key.AsSpan(_prefix.Length);
        int slash = rest.IndexOf('/');
        return slash == 16
            && ulong.TryParse(rest[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out datapathId)
            && long.TryParse(rest[17..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out lease)
            && rest.Length > 17;
    }
}
