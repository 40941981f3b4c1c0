using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Control;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// One load of an ovslb configuration file: its bytes read once and parsed once (<see cref="ConfigDocument"/>),
/// the load-balancer configuration bound and validated from that tree, and the host's sections
/// (<c>Controller</c>, <c>Status</c>, <c>Logging</c>) kept from the same tree for the host to bind.
/// </summary>
/// <param name="Path">The file, or null for none (no services, default settings).</param>
/// <param name="LoadBalancer">The load-balancer configuration (the <c>LoadBalancer</c> section, or the whole file when it is a load-balancer file).</param>
/// <param name="Document">The parsed file; null without a file.</param>
public sealed record LoadedConfigFile(string? Path, LoadBalancerConfig LoadBalancer, ConfigDocument? Document)
{
    /// <summary>No file: no services, every setting at its default.</summary>
    public static readonly LoadedConfigFile None = new(null, LoadBalancerConfig.Empty, null);

    /// <summary>The host sections as configuration keys (<c>Controller:Listen:0</c>), for an in-memory configuration source.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> HostSettings => Document?.HostSettings ?? [];

    /// <summary>The host sections as text, to notice that a reload edited them.</summary>
    public string HostSectionsText => Document?.HostSectionsText ?? "";
}

/// <summary>
/// Where <c>ovslb run</c> and the debugging verbs find the configuration: the <c>--config</c> file, read and
/// parsed once per load (start, each reload, each verb). See <see cref="ConfigDocument"/> for its layout.
/// </summary>
public static class LoadBalancerFile
{
    /// <summary>
    /// Reads <paramref name="path"/> once (<see cref="File.ReadAllBytes(string)"/>), parses it once, and binds the
    /// load-balancer configuration from it; throws <see cref="InvalidDataException"/> listing every error as
    /// <c>FILE:LINE:COL: path: message</c>, one a line.
    /// </summary>
    public static LoadedConfigFile Read(string path)
    {
        var doc = ConfigDocument.Parse(File.ReadAllBytes(path));
        var lb = LoadBalancerConfig.Empty;
        var errors = new List<ConfigError>();
        if (doc.HasLoadBalancer)
        {
            var r = doc.BindLoadBalancer();
            if (r.IsValid) lb = r.Config!;
            else errors.AddRange(r.Errors);
        }
        errors.AddRange(doc.HostErrors);
        if (errors.Count > 0) throw new InvalidDataException($"{errors.Count} configuration error(s):\n" + ConfigErrorFormatter.Format(errors, path));
        return new LoadedConfigFile(path, lb, doc);
    }

    /// <summary>The load-balancer configuration of <paramref name="path"/> (<see cref="Read"/>); empty without a file.</summary>
    public static LoadBalancerConfig Load(string? path) => path is null ? LoadBalancerConfig.Empty : Read(path).LoadBalancer;
}

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
