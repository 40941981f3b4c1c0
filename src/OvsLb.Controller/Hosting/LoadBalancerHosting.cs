using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline.Config;
using OvsLb.Balancer;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// Where <c>ovslb run</c> finds the load-balancer configuration: the <c>LoadBalancer</c> section of the
/// <c>--config</c> file, or the whole file when it is a load-balancer file (top-level <c>services</c>,
/// <c>bridges</c>, ...). A file with neither runs the controller with no services.
/// </summary>
public static class LoadBalancerFile
{
    private static readonly string[] LbKeys = ["services", "bridges", "options", "healthCheck"];

    /// <summary>What a configuration file holds at the top level, from one parse of its bytes.</summary>
    /// <param name="IsJson">The bytes parse as JSON (comments and trailing commas allowed).</param>
    /// <param name="HasLoadBalancer">A load-balancer configuration is there (as a section or as the whole file), or the
    /// file is not a JSON object, so the loader must run to report what is wrong with its position.</param>
    /// <param name="Keys">The top-level keys, in file order.</param>
    /// <param name="HostSections">The sections read only at start (everything but the load-balancer part), as text, to notice edits.</param>
    public sealed record Sections(bool IsJson, bool HasLoadBalancer, IReadOnlyList<string> Keys, string HostSections);

    /// <summary>Parses <paramref name="utf8"/> once for its top-level layout (not validated: that is <see cref="ConfigLoader"/>'s job).</summary>
    public static Sections Inspect(byte[] utf8)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return new(true, true, [], ""); // let the loader report it
            var props = doc.RootElement.EnumerateObject().ToList();
            var host = props.Where(p => !IsLoadBalancerKey(p.Name)).Select(p => p.Name + "=" + p.Value.GetRawText());
            return new(true, props.Any(p => IsLoadBalancerKey(p.Name)), props.Select(p => p.Name).ToList(), string.Join("\n", host));
        }
        catch (JsonException)
        {
            return new(false, true, [], ""); // the loader reports the syntax error with its position
        }
    }

    private static bool IsLoadBalancerKey(string key) =>
        string.Equals(key, ConfigLoader.SectionName, StringComparison.OrdinalIgnoreCase) || LbKeys.Any(k => string.Equals(key, k, StringComparison.OrdinalIgnoreCase));

    /// <summary>Loads and validates; throws <see cref="InvalidDataException"/> listing every error, one per line.</summary>
    public static LoadBalancerConfig Load(string? path) => path is null ? LoadBalancerConfig.Empty : Read(path).Config;

    /// <summary>
    /// Reads the file once: its load-balancer configuration (validated; <see cref="InvalidDataException"/> listing
    /// every error) and its host sections, both from the same bytes, so they cannot come from two versions of a file being edited.
    /// </summary>
    public static (LoadBalancerConfig Config, string HostSections) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var sections = Inspect(bytes);
        if (!sections.HasLoadBalancer) return (LoadBalancerConfig.Empty, sections.HostSections);
        var r = ConfigLoader.Parse(bytes);
        if (!r.IsValid) throw new InvalidDataException($"{r.Errors.Count} configuration error(s):\n" + ConfigErrorFormatter.Format(r.Errors, path));
        return (r.Config!, sections.HostSections);
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
            _hostSections = LoadBalancerFile.Inspect(File.ReadAllBytes(full)).HostSections;
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
                var (next, controllerPart) = LoadBalancerFile.Read(path);
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
