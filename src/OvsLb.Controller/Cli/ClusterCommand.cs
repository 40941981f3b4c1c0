using Microsoft.Extensions.Configuration;
using OvsLb.Cluster;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb cluster status --Cluster:Etcd=URL[,URL...] [--Cluster:Prefix=/ovslb]</c>: per bridge, its master instance,
/// generation id, the master lease's time left and the instances connected to it, read from etcd.
/// </summary>
public static class ClusterCommand
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        CommandLine.RunVerbAsync("cluster", stderr, async () =>
        {
            if (args.Length == 0 || args[0] != "status") throw new UsageException("usage: ovslb cluster status --Cluster:Etcd=URL[,URL...] [--Cluster:Prefix=/ovslb]");
            var options = new ConfigurationBuilder().AddCommandLine(args[1..]).Build().GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
            if (!options.Enabled) throw new UsageException("cluster status needs --Cluster:Etcd=URL[,URL...] (the etcd endpoints of the cluster)");
            options.Instance = "ovslb-cluster-status";
            var errors = options.Validate();
            if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
            using var etcd = new EtcdConnection(options);
            try
            {
                var snapshot = await ClusterSnapshot.ReadAsync(etcd).ConfigureAwait(false);
                await stdout.WriteAsync(snapshot.Format(etcd.Endpoints, options.KeyPrefix)).ConfigureAwait(false);
                return CommandLine.ExitOk;
            }
            catch (EtcdUnavailableException e)
            {
                throw new DebugException(e.Message);
            }
        });
}
