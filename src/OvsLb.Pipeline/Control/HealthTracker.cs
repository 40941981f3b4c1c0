using System.Collections.Concurrent;

namespace OvsLb.Pipeline.Control;

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

    /// <summary>Forgets backends no longer configured.</summary>
    public void Retain(IReadOnlySet<string> backendIds)
    {
        foreach (var k in _entries.Keys) if (!backendIds.Contains(k)) _entries.TryRemove(k, out _);
    }
}
