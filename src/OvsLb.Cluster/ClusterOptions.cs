namespace OvsLb.Cluster;

/// <summary>
/// The <c>Cluster</c> configuration section: several <c>ovslb run</c> instances share one etcd v3 cluster, which
/// elects one master per bridge (issue 13). Empty <see cref="Etcd"/> means cluster mode is off and nothing here
/// is used. <see cref="Validate"/> names every bad value.
/// </summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>
    /// etcd's lease TTL is whole seconds, and etcd raises any TTL below 1.5 x its election timeout (1 s by
    /// default) to that minimum; a shorter setting would silently not be what the instance believes.
    /// </summary>
    public static readonly TimeSpan MinLeaseTtl = TimeSpan.FromSeconds(2);

    /// <summary>etcd client URLs, comma separated: <c>http://10.0.0.1:2379,http://10.0.0.2:2379</c>. Empty: cluster mode off.</summary>
    public string Etcd { get; set; } = "";

    /// <summary>Key prefix of everything this controller keeps in etcd (elections under <c>PREFIX/elect/</c>).</summary>
    public string Prefix { get; set; } = "/ovslb";

    /// <summary>
    /// TTL of the instance's lease: every election key hangs on it. A dead or cut-off instance loses its
    /// mastership this long after its last keepalive reached etcd; it keeps it that long through an etcd outage.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Name of this instance in etcd (election values, status); must be unique in the cluster.</summary>
    public string Instance { get; set; } = Environment.MachineName;

    /// <summary>
    /// Deadline of each etcd call. Without one, the client's own retries hide an outage for seconds (3.4 s
    /// measured with every member down), longer than the lease checks can wait.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deadline of the first call, which also connects (2-3 s measured on a loaded 2-core machine).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool Enabled => !string.IsNullOrWhiteSpace(Etcd);

    /// <summary>The endpoint URLs of <see cref="Etcd"/> (valid settings only).</summary>
    public IReadOnlyList<Uri> EndpointUris =>
        [.. Etcd.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => new Uri(e))];

    /// <summary><see cref="Prefix"/> without a trailing '/'.</summary>
    public string KeyPrefix => Prefix.TrimEnd('/');

    /// <summary>Problems with the settings, each naming the setting and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enabled) return errors;
        foreach (var e in Etcd.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(e, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.IsDefaultPort || uri.AbsolutePath != "/")
            {
                errors.Add($"Cluster:Etcd: '{e}' is not an etcd client URL http://HOST:PORT (e.g. http://127.0.0.1:2379; https is not supported yet)");
            }
        }
        if (!Prefix.StartsWith('/') || Prefix.TrimEnd('/').Length == 0 || Prefix.Contains("//", StringComparison.Ordinal))
        {
            errors.Add($"Cluster:Prefix: '{Prefix}' must be an absolute key prefix like /ovslb");
        }
        if (LeaseTtl < MinLeaseTtl || LeaseTtl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add($"Cluster:LeaseTtl: {LeaseTtl} must be whole seconds, at least {MinLeaseTtl.TotalSeconds:0} s (etcd's lease TTL is in seconds and raises shorter ones)");
        }
        if (string.IsNullOrWhiteSpace(Instance) || Instance.Any(c => c == '/' || char.IsControl(c)))
        {
            errors.Add($"Cluster:Instance: '{Instance}' must be a non-empty name without '/'");
        }
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout * 3 > LeaseTtl)
        {
            errors.Add($"Cluster:RequestTimeout: {RequestTimeout} must be positive and at most a third of Cluster:LeaseTtl ({LeaseTtl}), so a slow call cannot outlast the lease");
        }
        if (ConnectTimeout < RequestTimeout)
        {
            errors.Add($"Cluster:ConnectTimeout: {ConnectTimeout} must be at least Cluster:RequestTimeout ({RequestTimeout})");
        }
        return errors;
    }
}
