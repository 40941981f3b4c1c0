using Microsoft.Extensions.Hosting;
using OvsLb.Controller.Hosting;

namespace OvsLb.Controller.Cli;

/// <summary><c>ovslb run [--config FILE] [--Section:Key=value ...]</c>: the controller itself.</summary>
public static class RunCommand
{
    /// <summary>
    /// Exit codes: 0 after a clean stop; 64 (EX_USAGE) for a bad setting or configuration file; 1 when the
    /// controller could not start for a reason of the machine (a port already taken, no permission).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stderr)
    {
        IHost? host = null;
        try
        {
            host = RunHost.CreateBuilder(args).Build();
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidOperationException or FormatException or System.Net.Sockets.SocketException or InvalidDataException or UnauthorizedAccessException or OvsLb.Cluster.EtcdUnavailableException)
        {
            await stderr.WriteLineAsync($"ovslb run: {e.Message}").ConfigureAwait(false);
            if (host is not null)
            {
                try
                {
                    await host.StopAsync().ConfigureAwait(false);
                }
                // ArgumentNullException: Host.StopAsync of a host whose start failed while building its hosted services
                // (a bad Controller setting throws from SwitchServer's constructor) has no services to stop, and says so this way.
                catch (Exception stop) when (stop is OperationCanceledException or InvalidOperationException or IOException or ArgumentNullException)
                {
                }
                host.Dispose();
            }
            bool machine = e is System.Net.Sockets.SocketException or UnauthorizedAccessException or OvsLb.Cluster.EtcdUnavailableException
                || e.InnerException is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException;
            return machine ? CommandLine.ExitError : CommandLine.ExitUsage;
        }
        await host.WaitForShutdownAsync().ConfigureAwait(false);
        host.Dispose();
        return CommandLine.ExitOk;
    }
}
