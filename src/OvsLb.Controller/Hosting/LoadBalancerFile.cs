using OvsLb.Pipeline.Config;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// One load of an ovslb configuration file: its bytes read once and parsed once (<see cref="ConfigDocument"/>),
/// the load-balancer configuration bound and validated from that tree, and the host's sections
/// (<c>Controller</c>, <c>Status</c>, <c>Logging</c>) kept from the same tree for the host to bind.
/// </summary>
/// <param name="Path">The file, or null for none (no services, default settings).</param>
/// <param name="LoadBalancer">The load-balancer configuration (the <c>LoadBalancer</c> section, or the whole file when it is a load-balancer file).</param>
/// <param name="Document">The parsed file; null without a file.</param>
public sealed record LoadedConfigFile(string? Path, LoadBalancerConfig LoadBalancer, ConfigDocument? Document)
{
    /// <summary>No file: no services, every setting at its default.</summary>
    public static readonly LoadedConfigFile None = new(null, LoadBalancerConfig.Empty, null);

    /// <summary>The host sections as configuration keys (<c>Controller:Listen:0</c>), for an in-memory configuration source.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> HostSettings => Document?.HostSettings ?? [];

    /// <summary>The host sections as text, to notice that a reload edited them.</summary>
    public string HostSectionsText => Document?.HostSectionsText ?? "";
}

/// <summary>
/// Where <c>ovslb run</c> and the debugging verbs find the configuration: the <c>--config</c> file, read and
/// parsed once per load (start, each reload, each verb). See <see cref="ConfigDocument"/> for its layout.
/// </summary>
public static class LoadBalancerFile
{
    /// <summary>
    /// Reads <paramref name="path"/> once (<see cref="File.ReadAllBytes(string)"/>), parses it once, and binds the
    /// load-balancer configuration from it; throws <see cref="InvalidDataException"/> listing every error as
    /// <c>FILE:LINE:COL: path: message</c>, one a line.
    /// </summary>
    public static LoadedConfigFile Read(string path)
    {
        var doc = ConfigDocument.Parse(File.ReadAllBytes(path));
        var lb = LoadBalancerConfig.Empty;
        var errors = new List<ConfigError>();
        if (doc.HasLoadBalancer)
        {
            var r = doc.BindLoadBalancer();
            if (r.IsValid) lb = r.Config!;
            else errors.AddRange(r.Errors);
        }
        errors.AddRange(doc.HostErrors);
        if (errors.Count > 0) throw new InvalidDataException($"{errors.Count} configuration error(s):\n" + ConfigErrorFormatter.Format(errors, path));
        return new LoadedConfigFile(path, lb, doc);
    }

    /// <summary>The load-balancer configuration of <paramref name="path"/> (<see cref="Read"/>); empty without a file.</summary>
    public static LoadBalancerConfig Load(string? path) => path is null ? LoadBalancerConfig.Empty : Read(path).LoadBalancer;
}
