using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OvsLb.Controller.Status;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Control;
using OvsLb.Runtime;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Runtime.Session;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// The generic host behind <c>ovslb run</c>: configuration from appsettings.json, an optional
/// <c>--config FILE</c> (JSON), environment variables (<c>OVSLB_Controller__Listen__0=...</c>) and the
/// command line (<c>--Controller:EchoInterval=00:00:02</c>), in that order of precedence (last wins);
/// structured console logging with per-switch scopes; graceful shutdown that leaves flows in place.
/// </summary>
public static class ControllerHost
{
    public static IHostBuilder CreateBuilder(string[] args, Action<IServiceCollection>? configure = null)
    {
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
        var lbConfig = LoadBalancerFile.Load(configFile);
        return Host.CreateDefaultBuilder()
            .ConfigureAppConfiguration(c =>
            {
                c.SetBasePath(AppContext.BaseDirectory);
                c.AddJsonFile("appsettings.json", optional: true);
                if (configFile is not null) c.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: true);
                c.AddEnvironmentVariables("OVSLB_");
                c.AddCommandLine([.. rest]);
            })
            .ConfigureServices((ctx, services) =>
            {
                services.Configure<ControllerOptions>(ctx.Configuration.GetSection(ControllerOptions.Section));
                services.AddSingleton<ControllerMetrics>(sp => new ControllerMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
                services.AddSingleton(new ConfigFilePath(configFile));
                services.AddSingleton(sp =>
                {
                    var settings = BuildSettings.For(sp.GetRequiredService<IOptions<ControllerOptions>>().Value.Ownership);
                    return new LoadBalancer(lbConfig, settings, sp.GetRequiredService<ILoggerFactory>().CreateLogger("OvsLb.LoadBalancer"));
                });
                services.AddSingleton<IDesiredStateProvider>(sp => sp.GetRequiredService<LoadBalancer>());
                services.AddSingleton<ISwitchEvents>(sp => sp.GetRequiredService<LoadBalancer>());
                services.AddSingleton(sp => new OpenFlowController(
                    sp.GetRequiredService<IOptions<ControllerOptions>>().Value,
                    sp.GetRequiredService<IDesiredStateProvider>(),
                    sp.GetRequiredService<ISwitchEvents>(),
                    sp.GetRequiredService<ILoggerFactory>(),
                    sp.GetRequiredService<ControllerMetrics>()));
                services.AddStatusEndpoint(ctx.Configuration, configFile);
                services.AddHostedService<LoadBalancerService>();
                services.AddHostedService<ControllerService>();
                configure?.Invoke(services);
            })
            .UseConsoleLifetime(o => o.SuppressStatusMessages = true);
    }
}

/// <summary>Starts and stops the <see cref="OpenFlowController"/> with the host.</summary>
internal sealed class ControllerService(OpenFlowController controller) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => controller.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => controller.StopAsync();
}
