using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OvsLb.Controller.Status;
using OvsLb.Pipeline;
using OvsLb.Balancer;
using OvsLb.Runtime;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Runtime.Session;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// The generic host behind <c>ovslb run</c>: configuration from appsettings.json, an optional
/// <c>--config FILE</c> (JSON, read and parsed once: <see cref="LoadBalancerFile.Read"/>), environment variables (<c>OVSLB_Controller__Listen__0=...</c>) and the
/// command line (<c>--Controller:EchoInterval=00:00:02</c>), in that order of precedence (last wins);
/// structured console logging with per-switch scopes; graceful shutdown that leaves flows in place.
/// </summary>
public static class RunHost
{
    public static IHostBuilder CreateBuilder(string[] args, Action<IServiceCollection>? configure = null)
    {
        HostTransports.Register();
        string? configFile = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length) configFile = args[++i];
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal)) configFile = args[i]["--config=".Length..];
            else rest.Add(args[i]);
        }
        if (configFile is not null && !File.Exists(configFile))
        {
            throw new FileNotFoundException($"configuration file '{configFile}' does not exist", configFile);
        }
        // The one read and parse of the file for this start: the load-balancer configuration and the host's
        // sections (bound below through an in-memory source, at the JSON provider's place in the precedence)
        // come from the same bytes. Reloads read it again (LoadBalancerService); the host sections take effect at restart.
        var loaded = configFile is null ? LoadedConfigFile.None : LoadBalancerFile.Read(configFile);
        return Host.CreateDefaultBuilder()
            .ConfigureAppConfiguration(c =>
            {
                c.SetBasePath(AppContext.BaseDirectory);
                c.AddJsonFile("appsettings.json", optional: true);
                c.AddInMemoryCollection(loaded.HostSettings);
                c.AddEnvironmentVariables("OVSLB_");
                c.AddCommandLine([.. rest]);
            })
            .ConfigureServices((ctx, services) =>
            {
                services.Configure<ControllerOptions>(ctx.Configuration.GetSection(ControllerOptions.Section));
                services.AddSingleton<ControllerMetrics>(sp => new ControllerMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
                services.AddSingleton(loaded);
                // The one registry of connected switches: the controller keeps it, the load balancer reads it.
                services.AddSingleton(new SwitchDirectory());
                services.AddSingleton(sp =>
                {
                    var settings = BuildSettings.For(sp.GetRequiredService<IOptions<ControllerOptions>>().Value.Ownership);
                    return new LoadBalancer(loaded.LoadBalancer, settings, sp.GetRequiredService<ILoggerFactory>().CreateLogger("OvsLb.LoadBalancer"),
                        sp.GetRequiredService<SwitchDirectory>());
                });
                services.AddSingleton<IDesiredStateProvider>(sp => sp.GetRequiredService<LoadBalancer>());
                // Cluster mode (--Cluster:Etcd): every bridge a standby until this instance wins its etcd election.
                // Without it nothing below changes: the roles of Controller:Role, no etcd.
                var cluster = ClusterHosting.Options(ctx.Configuration);
                if (cluster is not null && (loaded.LoadBalancer.Services.Length > 0 || loaded.LoadBalancer.Bridges.Length > 0))
                {
                    throw new ArgumentException($"{configFile}: in cluster mode the load-balancer configuration lives in etcd ({cluster.KeyPrefix}/config); " +
                        $"store it with: ovslb config put FILE --Cluster:Etcd={cluster.Etcd}, and keep only the Controller/Status/Logging sections here");
                }
                var link = cluster is null ? null : new ClusterLink(cluster);
                if (link is not null) services.AddSingleton(link); // read by the status endpoint
                services.AddSingleton<ISwitchEvents>(sp => link is null ? sp.GetRequiredService<LoadBalancer>()
                    : new ClusterSwitchEvents(sp.GetRequiredService<LoadBalancer>(), link, sp.GetRequiredService<SwitchDirectory>()));
                services.AddSingleton(sp => new SwitchServer(
                    sp.GetRequiredService<IOptions<ControllerOptions>>().Value,
                    sp.GetRequiredService<IDesiredStateProvider>(),
                    sp.GetRequiredService<ISwitchEvents>(),
                    sp.GetRequiredService<ILoggerFactory>(),
                    sp.GetRequiredService<ControllerMetrics>(),
                    sp.GetRequiredService<SwitchDirectory>(),
                    roles: link is null ? null : new ClusterRoles(link)));
                services.AddStatusEndpoint(ctx.Configuration, configFile);
                if (cluster is not null)
                {
                    // Started before the switch server listens (hosted services start in this order, stop in reverse).
                    services.AddHostedService(sp => new ClusterService(cluster, link!, sp.GetRequiredService<SwitchServer>(), sp.GetRequiredService<LoadBalancer>(), sp.GetRequiredService<ILoggerFactory>()));
                }
                services.AddHostedService<LoadBalancerService>();
                services.AddHostedService<SwitchServerService>();
                configure?.Invoke(services);
            })
            .UseConsoleLifetime(o => o.SuppressStatusMessages = true);
    }
}
