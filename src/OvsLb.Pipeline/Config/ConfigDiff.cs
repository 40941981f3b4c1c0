using OvsLb.OpenFlow.Wire;

namespace OvsLb.Pipeline.Config;

/// <summary>An entity present in both configurations whose settings differ.</summary>
public sealed record Changed<T>(T Old, T New);

/// <summary>
/// The difference between two valid configurations, by name (services and bridges are identified by
/// their <c>name</c>), for a reload that applies only what changed. Pure; order follows the new file
/// (removed entries follow the old one).
/// </summary>
public sealed record ConfigDiff(
    EquatableArray<ServiceConfig> ServicesAdded,
    EquatableArray<ServiceConfig> ServicesRemoved,
    EquatableArray<Changed<ServiceConfig>> ServicesChanged,
    EquatableArray<BridgeConfig> BridgesAdded,
    EquatableArray<BridgeConfig> BridgesRemoved,
    EquatableArray<Changed<BridgeConfig>> BridgesChanged,
    Changed<LoadBalancerOptions>? OptionsChanged,
    Changed<HealthCheckConfig>? HealthCheckChanged)
{
    public bool IsEmpty =>
        ServicesAdded.IsEmpty && ServicesRemoved.IsEmpty && ServicesChanged.IsEmpty
        && BridgesAdded.IsEmpty && BridgesRemoved.IsEmpty && BridgesChanged.IsEmpty
        && OptionsChanged is null && HealthCheckChanged is null;

    public static ConfigDiff Compute(LoadBalancerConfig old, LoadBalancerConfig @new)
    {
        var (sa, sr, sc) = DiffByName(old.Services, @new.Services, s => s.Name);
        var (ba, br, bc) = DiffByName(old.Bridges, @new.Bridges, b => b.Name);
        return new ConfigDiff(sa, sr, sc, ba, br, bc,
            old.Options == @new.Options ? null : new Changed<LoadBalancerOptions>(old.Options, @new.Options),
            old.HealthCheck == @new.HealthCheck ? null : new Changed<HealthCheckConfig>(old.HealthCheck, @new.HealthCheck));
    }

    private static (T[] Added, T[] Removed, Changed<T>[] Changed) DiffByName<T>(
        EquatableArray<T> old, EquatableArray<T> @new, Func<T, string> name) where T : IEquatable<T>
    {
        var oldByName = old.ToDictionary(name, StringComparer.Ordinal);
        var newNames = new HashSet<string>(@new.Select(name), StringComparer.Ordinal);
        var added = new List<T>();
        var changed = new List<Changed<T>>();
        foreach (var n in @new)
        {
            if (!oldByName.TryGetValue(name(n), out var o)) added.Add(n);
            else if (!o.Equals(n)) changed.Add(new Changed<T>(o, n));
        }
        var removed = old.Where(o => !newNames.Contains(name(o))).ToArray();
        return (added.ToArray(), removed, changed.ToArray());
    }
}
