using Microsoft.Extensions.Hosting;
using OvsLb.Controller.Hosting;

namespace OvsLb.Controller.Cli;

/// <summary><c>ovslb run [--config FILE] [--Section:Key=value ...]</c>: the controller itself.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stderr)
    {
        IHost host;
        try
        {
            host = ControllerHost.CreateBuilder(args).Build();
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidOperationException or FormatException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            await stderr.WriteLineAsync($"ovslb run: {e.Message}").ConfigureAwait(false);
            return CommandLine.ExitUsage;
        }
        await host.WaitForShutdownAsync().ConfigureAwait(false);
        host.Dispose();
        return CommandLine.ExitOk;
    }
}
