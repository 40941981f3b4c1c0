using Microsoft.Extensions.Hosting;
using OvsLb.Runtime;

namespace OvsLb.Controller.Hosting;

/// <summary>Starts and stops the <see cref="SwitchServer"/> with the host, so switches connect only while it runs.</summary>
internal sealed class SwitchServerService(SwitchServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync();
}
