using System.Collections.Concurrent;
using OvsLb.Pipeline.Config;

namespace OvsLb.Balancer;

/// <summary>
/// Liveness from active checks: a backend goes down after <c>fall</c> consecutive failed checks and back up
/// after <c>rise</c> consecutive successes (HAProxy's terms). Backends start up, so a fresh controller
/// balances at once; a check that never answers takes them out after fall × interval.
/// Thread-safe; <see cref="Record"/> says whether the backend's state flipped.
/// </summary>
public sealed class HealthTracker
{
    private sealed class Entry
    {
        public bool Up = true;
        public int Streak; // >0 successes while down, <0 failures while up
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Records one check result for <paramref name="backendId"/>; returns true when it changed state.</summary>
    public bool Record(string backendId, bool success, int rise, int fall)
    {
        var e = _entries.GetOrAdd(backendId, _ => new Entry());
        lock (e)
        {
            if (e.Up)
            {
                e.Streak = success ? 0 : e.Streak - 1;
                if (-e.Streak < fall) return false;
                e.Up = false;
            }
            else
            {
                e.Streak = success ? e.Streak + 1 : 0;
                if (e.Streak < rise) return false;
                e.Up = true;
            }
            e.Streak = 0;
            return true;
        }
    }

    public bool IsUp(string backendId) => !_entries.TryGetValue(backendId, out var e) || e.Up;

    /// <summary>Backends currently down.</summary>
    public IReadOnlySet<string> Down() => _entries.Where(kv => !kv.Value.Up).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Backends currently down that belong to a service of <paramref name="config"/> with an active check:
    /// only their health counts (a check turned off must not leave a backend down). Looked up without
    /// building every backend's id, as the down set is usually small and the configuration large.
    /// </summary>
    public IReadOnlySet<string> Down(LoadBalancerConfig config)
    {
        var down = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, e) in _entries)
        {
            if (!e.Up && IsChecked(config, id)) down.Add(id);
        }
        return down;
    }

    /// <summary>
    /// The backends of <paramref name="ids"/> that belong to a service of <paramref name="config"/> with an active
    /// check (verdicts from elsewhere, such as other instances, count only for those, as local ones do).
    /// </summary>
    public static IReadOnlySet<string> Checked(LoadBalancerConfig config, IEnumerable<string> ids) =>
        ids.Where(id => IsChecked(config, id)).ToHashSet(StringComparer.Ordinal);

    private static bool IsChecked(LoadBalancerConfig config, string backendId)
    {
        foreach (var s in config.Services)
        {
            if (s.HealthCheck.Kind == HealthCheckKind.None || backendId.Length <= s.Name.Length + 1
                || backendId[s.Name.Length] != '/' || !backendId.StartsWith(s.Name, StringComparison.Ordinal)) continue;
            var name = backendId.AsSpan(s.Name.Length + 1);
            foreach (var b in s.Backends) if (name.SequenceEqual(b.Name)) return true;
        }
        return false;
    }

    /// <summary>Forgets backends no longer configured.</summary>
    public void Retain(IReadOnlySet<string> backendIds)
    {
        foreach (var k in _entries.Keys) if (!backendIds.Contains(k)) _entries.TryRemove(k, out _);
    }
}
