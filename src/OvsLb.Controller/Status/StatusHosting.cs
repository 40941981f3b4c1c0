using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OvsLb.Balancer;
using OvsLb.Runtime;

namespace OvsLb.Controller.Status;

/// <summary>Registration of the status endpoint in the <c>ovslb run</c> host.</summary>
public static class StatusHosting
{
    /// <summary>
    /// Binds the <c>Status</c> section and adds the <see cref="StatusServer"/>. Call it before the
    /// controller's hosted services are added: hosted services start in registration order, and a status
    /// port that cannot be bound should stop the start before any switch is accepted.
    /// </summary>
    public static IServiceCollection AddStatusEndpoint(this IServiceCollection services, IConfiguration configuration, string? configFile)
    {
        services.Configure<StatusOptions>(configuration.GetSection(StatusOptions.Section));
        services.AddSingleton(new ControllerInfo(configFile));
        services.AddSingleton(sp => new LoadBalancerMetrics(
            sp.GetRequiredService<LoadBalancer>(), sp.GetRequiredService<SwitchServer>(), sp.GetService<IMeterFactory>()));
        services.AddHostedService<StatusServer>();
        return services;
    }
}
