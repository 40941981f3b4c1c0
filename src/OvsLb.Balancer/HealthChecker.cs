using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;

namespace OvsLb.Balancer;

/// <summary>
/// The active health-check loop: every service with a check gets a round every interval (one round per
/// service at a time), each backend checked by ARP (<see cref="ArpHealthCheck"/>) or TCP
/// (<see cref="TcpHealthCheck"/>); results go to the <see cref="HealthTracker"/>, and a backend changing
/// state calls <paramref name="changed"/> (the load balancer then re-plans every bridge).
/// </summary>
public sealed class HealthChecker(HealthTracker tracker, ArpHealthCheck arp, Func<LoadBalancerConfig> config, Action changed, ILogger log)
{
    private readonly ConcurrentDictionary<string, long> _nextCheck = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _roundRunning = new(StringComparer.Ordinal);
    private long _rounds;

    /// <summary>Number of health-check rounds run (for tests and status).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Runs the loop until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (await tick.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                var current = config();
                if (_nextCheck.Count > current.Services.Length)
                {
                    // A reload removed services: forget their schedule (names looked up in a set, not per pair).
                    var names = current.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                    foreach (var gone in _nextCheck.Keys.Where(k => !names.Contains(k)).ToList()) _nextCheck.TryRemove(gone, out _);
                }
                foreach (var s in current.Services)
                {
                    if (s.HealthCheck.Kind == HealthCheckKind.None) continue;
                    long due = _nextCheck.GetOrAdd(s.Name, now);
                    if (now < due || !_roundRunning.TryAdd(s.Name, 0)) continue; // one round per service at a time
                    _nextCheck[s.Name] = now + (long)(s.HealthCheck.Interval.TotalSeconds * Stopwatch.Frequency);
                    _ = RoundAsync(s, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RoundAsync(ServiceConfig s, CancellationToken ct)
    {
        try
        {
            var hc = s.HealthCheck;
            var at = config();
            var results = await Task.WhenAll(s.Backends.Select(b => CheckAsync(at, s, b, hc, ct))).ConfigureAwait(false);
            if (!config().Services.Contains(s)) return; // reloaded meanwhile: these results are about a configuration that is gone
            bool flipped = false;
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i] is not bool ok) continue;
                var b = s.Backends[i];
                if (tracker.Record(PipelineBuilder.BackendId(s, b), ok, hc.Rise, hc.Fall))
                {
                    flipped = true;
                    log.LogWarning("Service {Service} backend {Backend}: {State} ({Kind} check)", s.Name, b.Name, ok ? "UP" : "DOWN", hc.Kind.ToString().ToLowerInvariant());
                }
            }
            Interlocked.Increment(ref _rounds);
            if (flipped) changed();
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            log.LogError(e, "Health check of service {Service} failed", s.Name);
        }
        finally
        {
            _roundRunning.TryRemove(s.Name, out _);
        }
    }

    /// <summary>One check of one backend; null when it cannot be checked now (no bridge connected to send from).</summary>
    private async Task<bool?> CheckAsync(LoadBalancerConfig at, ServiceConfig s, BackendConfig b, HealthCheckConfig hc, CancellationToken ct) => hc.Kind switch
    {
        HealthCheckKind.Tcp when b.Ip6 is { } ip6 => await TcpHealthCheck.CheckAsync(ip6, hc.Port ?? s.Port ?? 0, hc.Timeout, ct).ConfigureAwait(false),
        HealthCheckKind.Tcp => await TcpHealthCheck.CheckAsync(b.Ip ?? s.Ipv4Vip, hc.Port ?? s.Port ?? 0, hc.Timeout, ct).ConfigureAwait(false),
        HealthCheckKind.Arp => await arp.CheckAsync(at, s, b, hc.Timeout, ct).ConfigureAwait(false),
        _ => null,
    };
}
