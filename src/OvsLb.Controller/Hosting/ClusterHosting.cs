using Microsoft.Extensions.Configuration;
using OvsLb.Cluster;
using OvsLb.Runtime;

namespace OvsLb.Controller.Hosting;

/// <summary>The <c>Cluster</c> section of <c>ovslb run</c>'s configuration.</summary>
internal static class ClusterHosting
{
    /// <summary>
    /// The cluster settings when cluster mode is on (<c>Cluster:Etcd</c> set), null otherwise. Bad settings throw
    /// <see cref="ArgumentException"/> naming each one (<c>ovslb run</c> exits 64). An instance with no
    /// <c>Cluster:Instance</c> is named <c>HOST:PORT</c> after its first OpenFlow listener, so several instances on one
    /// machine get distinct names.
    /// </summary>
    public static ClusterOptions? Options(IConfiguration config)
    {
        var section = config.GetSection(ClusterOptions.Section);
        var options = section.Get<ClusterOptions>() ?? new ClusterOptions();
        if (!options.Enabled)
        {
            // Settings of a cluster with no etcd to hold it: most likely a forgotten --Cluster:Etcd, not a wish for one instance.
            var set = section.GetChildren().Where(c => c.Key != nameof(ClusterOptions.Etcd) && (c.Value is not null || c.GetChildren().Any())).Select(c => $"Cluster:{c.Key}").ToList();
            if (set.Count > 0) throw new ArgumentException($"invalid cluster settings: {string.Join(", ", set)} given without Cluster:Etcd (the etcd endpoints that turn cluster mode on)");
            return null;
        }
        if (section[nameof(ClusterOptions.Instance)] is null)
        {
            var controller = config.GetSection(ControllerOptions.Section).Get<ControllerOptions>() ?? new ControllerOptions();
            string listen = controller.EffectiveListen[0];
            options.Instance = $"{Environment.MachineName}:{listen[(listen.LastIndexOf(':') + 1)..]}";
        }
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid cluster settings:\n  " + string.Join("\n  ", errors));
        return options;
    }
}
