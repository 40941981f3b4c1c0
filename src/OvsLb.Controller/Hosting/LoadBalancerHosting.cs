using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Control;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// Where <c>ovslb run</c> finds the load-balancer configuration: the <c>LoadBalancer</c> section of the
/// <c>--config</c> file, or the whole file when it is a load-balancer file (top-level <c>services</c>,
/// <c>bridges</c>, ...). A file with neither runs the controller with no services.
/// </summary>
public static class LoadBalancerFile
{
    private static readonly string[] LbKeys = ["services", "bridges", "options", "healthCheck"];

    /// <summary>True when the file holds a load-balancer configuration (as a section or as the whole file).</summary>
    public static bool HasLoadBalancer(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return true; // let the loader report it
            return doc.RootElement.EnumerateObject().Any(p =>
                string.Equals(p.Name, ConfigLoader.SectionName, StringComparison.OrdinalIgnoreCase)
                || LbKeys.Any(k => string.Equals(p.Name, k, StringComparison.OrdinalIgnoreCase)));
        }
        catch (JsonException)
        {
            return true; // the loader reports the syntax error with its position
        }
    }

    /// <summary>The file's sections read only at start (everything but the load-balancer part), as text, to notice edits.</summary>
    public static string HostSections(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "";
            return string.Join("\n", doc.RootElement.EnumerateObject()
                .Where(p => !string.Equals(p.Name, ConfigLoader.SectionName, StringComparison.OrdinalIgnoreCase) && !LbKeys.Any(k => string.Equals(p.Name, k, StringComparison.OrdinalIgnoreCase)))
                .Select(p => p.Name + "=" + p.Value.GetRawText()));
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>Loads and validates; throws <see cref="InvalidDataException"/> listing every error, one per line.</summary>
    public static LoadBalancerConfig Load(string? path)
    {
        if (path is null || !HasLoadBalancer(path)) return LoadBalancerConfig.Empty;
        var r = ConfigLoader.LoadFile(path);
        if (!r.IsValid) throw new InvalidDataException($"{r.Errors.Count} configuration error(s):\n" + ConfigErrorFormatter.Format(r.Errors, path));
        return r.Config!;
    }
}

/// <summary>
/// Runs the <see cref="LoadBalancer"/>'s loops with the host and reloads the configuration when the
/// <c>--config</c> file changes: a valid file is applied as a difference, an invalid one is logged error by
/// error and ignored (the running configuration stays).
/// </summary>
internal sealed class LoadBalancerService(LoadBalancer lb, ConfigFilePath file, ILogger<LoadBalancerService> log) : IHostedService, IDisposable
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
            _hostSections = LoadBalancerFile.HostSections(full);
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
                var next = LoadBalancerFile.Load(path);
                var controllerPart = LoadBalancerFile.HostSections(path);
                if (_hostSections is not null && controllerPart != _hostSections)
                {
                    log.LogWarning("{File}: the Controller/Status/Logging settings changed; they take effect when ovslb run is restarted (only the load-balancer configuration is reloaded)", path);
                }
                _hostSections = controllerPart;
                lb.Apply(next);
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

/// <summary>The <c>--config</c> file of <c>ovslb run</c>, if any.</summary>
public sealed record ConfigFilePath(string? Path);
