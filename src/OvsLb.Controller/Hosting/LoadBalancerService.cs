using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline.Config;
using OvsLb.Balancer;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// Runs the <see cref="LoadBalancer"/>'s loops with the host and reloads the configuration when the
/// <c>--config</c> file changes: a valid file is applied as a difference, an invalid one is logged error by
/// error and ignored (the running configuration stays).
/// </summary>
internal sealed class LoadBalancerService(LoadBalancer lb, LoadedConfigFile file, ILogger<LoadBalancerService> log) : IHostedService, IDisposable
{
    private FileSystemWatcher? _watcher;
    private Timer? _debounce;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lb.Start();
        log.LogInformation("Load balancer: {Services} services on {Bridges} bridges{File}", lb.Config.Services.Length, lb.Config.Bridges.Length,
            file.Path is null ? " (no --config file)" : $" from {file.Path}");
        if (file.Path is string path)
        {
            var full = Path.GetFullPath(path);
            _hostSections = file.HostSectionsText; // from the load the host started with: the file is not read again

            _debounce = new Timer(_ => Reload(full));
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
                EnableRaisingEvents = true,
            };
            _watcher.Changed += (_, _) => _debounce.Change(200, Timeout.Infinite);
            _watcher.Created += (_, _) => _debounce.Change(200, Timeout.Infinite);
            _watcher.Renamed += (_, _) => _debounce.Change(200, Timeout.Infinite);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Re-reads the file; applies it if valid. Reloads run one at a time (a later change waits for the
    /// one being applied), and nothing thrown here may end the process: the running configuration stays.
    /// </summary>
    public void Reload(string path)
    {
        lock (_reloadLock)
        {
            try
            {
                var next = LoadBalancerFile.Read(path);
                if (_hostSections is not null && next.HostSectionsText != _hostSections)
                {
                    log.LogWarning("{File}: the Controller/Status/Logging settings changed; they take effect when ovslb run is restarted (only the load-balancer configuration is reloaded)", path);
                }
                _hostSections = next.HostSectionsText;
                lb.Apply(next.LoadBalancer);
            }
            catch (InvalidDataException e)
            {
                log.LogError("Configuration not reloaded, the running one stays: {Errors}", e.Message);
            }
            catch (Exception e)
            {
                log.LogError(e, "Configuration not reloaded ({Error}); the running one stays", e.Message);
            }
        }
    }

    private readonly Lock _reloadLock = new();
    private string? _hostSections;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        await lb.DisposeAsync().ConfigureAwait(false); // stops the probe loops; the container's dispose is then a no-op
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
        _watcher = null;
        _debounce = null;
    }
}
