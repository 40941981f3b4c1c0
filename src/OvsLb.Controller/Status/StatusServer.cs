using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OvsLb.Balancer;
using OvsLb.Runtime;

namespace OvsLb.Controller.Status;

/// <summary>
/// The read-only HTTP status endpoint of <c>ovslb run</c>: <c>GET /status</c> (and <c>/</c>) serves the
/// <see cref="StatusDocument"/> as JSON, <c>GET /metrics</c> the Prometheus text format (prometheus-net,
/// see <see cref="PrometheusMetrics"/>). A small
/// ASP.NET Core app (Kestrel + minimal API routing from the shared framework, nothing else) run beside
/// the controller's generic host: the host starts and stops it like any hosted service, and it shares
/// the host's logging and singletons. Registered before the controller's services, so a port conflict
/// stops <c>ovslb run</c> before it accepts any switch. Only GET is mapped: other methods get 405.
/// </summary>
internal sealed class StatusServer(IOptions<StatusOptions> options, ControllerInfo info, IServiceProvider services, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggers.CreateLogger("OvsLb.Status");
    private WebApplication? _app;
    private PrometheusMetrics? _metrics;
    private ClusterMetrics? _clusterMetrics;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            _log.LogInformation("Status endpoint disabled (Status:Enabled=false)");
            return;
        }
        var errors = o.Validate();
        if (errors.Count > 0) throw new StatusEndpointException(string.Join("\n", errors));
        var endpoint = o.Endpoint;
        var controller = services.GetRequiredService<SwitchServer>();
        var lb = services.GetRequiredService<LoadBalancer>();
        var lbMetrics = services.GetRequiredService<LoadBalancerMetrics>(); // creates the OvsLb.LoadBalancer gauges
        // This controller's meters, not every meter of that name in the process (tests run several controllers).
        var cluster = services.GetService<OvsLb.Controller.Hosting.ClusterLink>();
        _clusterMetrics = cluster is null ? null : new ClusterMetrics(() => cluster.Coordinator?.View());
        _metrics = new PrometheusMetrics(_clusterMetrics is null ? [controller.Metrics.Meter, lbMetrics.Meter] : [controller.Metrics.Meter, lbMetrics.Meter, _clusterMetrics.Meter], _log);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "ovslb-status", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(endpoint);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<ILoggerFactory>(new InnerLoggers(loggers)); // ovslb's console logger and filters
        builder.Services.AddSingleton<IHostLifetime, NoLifetime>(); // SIGTERM is the controller host's business
        var app = builder.Build();
        var metrics = _metrics;
        RequestDelegate status = async ctx =>
        {
            var doc = StatusReport.Build(info, controller, lb, cluster is null ? null : StatusReport.Cluster(cluster.Options, cluster.Coordinator?.View()));
            ctx.Response.ContentType = "application/json; charset=utf-8";
            await JsonSerializer.SerializeAsync(ctx.Response.Body, doc, StatusReport.Json, ctx.RequestAborted).ConfigureAwait(false);
        };
        app.MapGet("/", status);
        app.MapGet("/status", status);
        app.MapGet("/metrics", async ctx =>
        {
            ctx.Response.ContentType = PrometheusMetrics.ContentType;
            await metrics.WriteAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        });
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new StatusEndpointException(BindError(endpoint, e), e);
        }
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{endpoint}";
        info.StatusListen = bound.Replace("http://", "", StringComparison.Ordinal);
        _log.LogInformation("Status endpoint on {Url} (GET /status, /metrics)", bound);
        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            _log.LogWarning("Status endpoint listens on {Endpoint}, beyond this host: it has no authentication and shows bridges, VIPs and backends", endpoint);
        }
    }

    /// <summary>A message naming the setting, the endpoint, the cause and the way out.</summary>
    internal static string BindError(IPEndPoint endpoint, Exception e)
    {
        const string Fix = "choose another with --Status:Listen=ADDRESS:PORT, or turn the status endpoint off with --Status:Enabled=false";
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x.GetType().Name == "AddressInUseException" || x is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return $"Status:Listen {endpoint}: address already in use: another process listens on port {endpoint.Port} (see: ss -ltnp 'sport = :{endpoint.Port}'); {Fix}";
            }
            if (x is SocketException { SocketErrorCode: SocketError.AccessDenied })
            {
                return $"Status:Listen {endpoint}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE); {Fix}";
            }
            if (x is SocketException { SocketErrorCode: SocketError.AddressNotAvailable })
            {
                return $"Status:Listen {endpoint}: {endpoint.Address} is not an address of this host; {Fix}";
            }
        }
        return $"Status:Listen {endpoint}: cannot listen: {e.Message}; {Fix}";
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app) await app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app) await app.DisposeAsync().ConfigureAwait(false);
        _app = null;
        _metrics?.Dispose();
        _metrics = null;
        _clusterMetrics?.Dispose();
        _clusterMetrics = null;
    }

    /// <summary>
    /// The web app logs through the controller's logger factory, except its own host's lifecycle messages:
    /// a failed start is reported once, by the controller host and <c>ovslb run</c>, not twice.
    /// </summary>
    private sealed class InnerLoggers(ILoggerFactory outer) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal) ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance : outer.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => outer.AddProvider(provider);

        public void Dispose()
        {
            // The controller host owns (and disposes) the outer factory.
        }
    }

    /// <summary>The web app's own lifetime does nothing: the controller host owns start, stop and signals.</summary>
    private sealed class NoLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
