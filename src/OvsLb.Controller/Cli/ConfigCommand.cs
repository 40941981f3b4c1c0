using Microsoft.Extensions.Configuration;
using OvsLb.Cluster;
using OvsLb.Pipeline.Config;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb config put FILE</c> / <c>ovslb config get</c>: the load-balancer configuration shared by the instances of
/// a cluster, stored in etcd under <c>PREFIX/config</c> (<see cref="SharedConfig"/>). <c>put</c> validates the file as
/// <c>ovslb validate</c> does (every error as FILE:LINE:COL, exit 1, nothing written) and writes its bytes; <c>get</c>
/// prints the stored document on stdout and its revision on stderr. etcd is named like <c>ovslb run</c>'s cluster mode:
/// <c>--Cluster:Etcd=http://HOST:PORT[,…]</c> (and <c>--Cluster:Prefix</c>), or the environment (<c>OVSLB_Cluster__Etcd</c>).
/// </summary>
public static class ConfigCommand
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        CommandLine.RunVerbAsync("config", stderr, async () =>
        {
            if (args.Length == 0 || args[0] is not ("put" or "get")) throw new UsageException("expected 'put FILE' or 'get' (ovslb config put FILE --Cluster:Etcd=URL)");
            bool put = args[0] == "put";
            var rest = args[1..].ToList();
            string? file = null;
            if (put)
            {
                if (rest.Count == 0 || rest[0].StartsWith("--", StringComparison.Ordinal)) throw new UsageException("put needs a FILE (ovslb config put FILE --Cluster:Etcd=URL)");
                file = rest[0];
                rest.RemoveAt(0);
            }
            var options = Options(rest);
            byte[] bytes = [];
            if (put)
            {
                // Read once: the bytes validated are the bytes stored. The same check as 'ovslb validate'; instances
                // validate again when they apply it.
                try
                {
                    bytes = await File.ReadAllBytesAsync(file!).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new DebugException($"{file}: cannot read: {e.Message}");
                }
                if (!ValidateCommand.Validate(file!, bytes, stderr)) return CommandLine.ExitError;
                var doc = ConfigDocument.Parse(bytes);
                if (!doc.HasLoadBalancer || doc.HostSettings.Count > 0)
                {
                    throw new DebugException($"{file}: a shared configuration holds the load balancer's part only (bridges, services, options): " +
                        (doc.HostSettings.Count > 0 ? $"found host sections ({doc.HostSectionsText}), which each instance takes from its own file or command line" : "found none"));
                }
            }
            using var etcd = new EtcdConnection(options);
            try
            {
                await etcd.ConnectAsync().ConfigureAwait(false);
                if (put)
                {
                    long revision = await SharedConfig.PutAsync(etcd, System.Text.Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF')).ConfigureAwait(false);
                    await stdout.WriteLineAsync($"{file}: written to {SharedConfig.Key(options)} at revision {revision}").ConfigureAwait(false);
                    return CommandLine.ExitOk;
                }
                var stored = await SharedConfig.GetAsync(etcd).ConfigureAwait(false) ?? throw new DebugException($"no configuration at {SharedConfig.Key(options)} (etcd {etcd.Endpoints}); write one with: ovslb config put FILE");
                await stdout.WriteAsync(stored.Text).ConfigureAwait(false);
                if (!stored.Text.EndsWith('\n')) await stdout.WriteLineAsync().ConfigureAwait(false);
                await stderr.WriteLineAsync($"{SharedConfig.Key(options)} revision {stored.ModRevision}").ConfigureAwait(false);
                return CommandLine.ExitOk;
            }
            catch (EtcdUnavailableException e)
            {
                throw new DebugException(e.Message);
            }
        });

    /// <summary>The <c>Cluster</c> settings from <c>--Cluster:Key=value</c> arguments and <c>OVSLB_Cluster__Key</c> variables; etcd is required.</summary>
    private static ClusterOptions Options(List<string> args)
    {
        foreach (var a in args)
        {
            if (!a.StartsWith("--Cluster:", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"unexpected argument '{a}' (only --Cluster:Key=value settings)");
        }
        var config = new ConfigurationBuilder().AddEnvironmentVariables("OVSLB_").AddCommandLine([.. args]).Build();
        var options = new ClusterOptions();
        config.GetSection(ClusterOptions.Section).Bind(options);
        if (!options.Enabled) throw new UsageException("no etcd given: --Cluster:Etcd=http://HOST:PORT[,...] (or OVSLB_Cluster__Etcd)");
        var errors = options.Validate();
        if (errors.Count > 0) throw new UsageException(string.Join("; ", errors));
        return options;
    }
}
