namespace OvsLb.Cluster;

/// <summary>
/// The pure part of <see cref="SharedHealth"/>: the "down" verdicts every instance has published
/// (<c>PREFIX/health/BACKENDID/INSTANCE</c>), kept as one set of backends per instance, and the cluster view
/// merged from them: a backend is down when any live instance says so. Not thread-safe (the owner locks).
/// </summary>
public sealed class HealthVerdicts
{
    private readonly Dictionary<string, HashSet<string>> _byInstance = new(StringComparer.Ordinal);

    /// <summary>
    /// Splits a key below <paramref name="prefix"/> (<c>PREFIX/health/</c>) into backend id and instance: the instance
    /// is the last segment (instance names have no '/'), the backend id (<c>SERVICE/BACKEND</c>) what lies between.
    /// Null for a key that does not have both.
    /// </summary>
    public static (string BackendId, string Instance)? ParseKey(string prefix, string key)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var rest = key[prefix.Length..];
        int slash = rest.LastIndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1) return null;
        return (rest[..slash], rest[(slash + 1)..]);
    }

    /// <summary>The key of <paramref name="instance"/>'s verdict on <paramref name="backendId"/>.</summary>
    public static string Key(string prefix, string backendId, string instance) => prefix + backendId + "/" + instance;

    /// <summary>Records that <paramref name="instance"/> says <paramref name="backendId"/> is down (a put).</summary>
    public bool SetDown(string instance, string backendId)
    {
        if (!_byInstance.TryGetValue(instance, out var set)) _byInstance[instance] = set = new HashSet<string>(StringComparer.Ordinal);
        return set.Add(backendId);
    }

    /// <summary>Records that <paramref name="instance"/> withdrew its verdict on <paramref name="backendId"/> (a delete, or its lease expired).</summary>
    public bool Clear(string instance, string backendId)
    {
        if (!_byInstance.TryGetValue(instance, out var set) || !set.Remove(backendId)) return false;
        if (set.Count == 0) _byInstance.Remove(instance);
        return true;
    }

    /// <summary>Forgets everything (before a full read of the prefix).</summary>
    public void Reset() => _byInstance.Clear();

    /// <summary>The backends <paramref name="instance"/> says are down (empty when none).</summary>
    public IReadOnlySet<string> Of(string instance) =>
        _byInstance.TryGetValue(instance, out var set) ? set : new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Instances with at least one verdict.</summary>
    public IReadOnlyCollection<string> Instances => _byInstance.Keys;

    /// <summary>
    /// The cluster view: the union of the verdicts of the instances in <paramref name="live"/> (an instance not in it
    /// is dead or cut off: what it said no longer counts, even before its lease takes the keys away), leaving out
    /// <paramref name="except"/> (the caller's own instance, whose local tracker is the authority on its own checks).
    /// </summary>
    public IReadOnlySet<string> Down(IEnumerable<string> live, string? except = null)
    {
        var down = new HashSet<string>(StringComparer.Ordinal);
        foreach (var instance in live)
        {
            if (instance == except || !_byInstance.TryGetValue(instance, out var set)) continue;
            down.UnionWith(set);
        }
        return down;
    }
}
