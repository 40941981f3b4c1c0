using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Pipeline.Control;

/// <summary>Active health checks (issue 4, "Health"): ARP probes by PACKET_OUT, or TCP connects from the controller host.</summary>
public sealed partial class LoadBalancer
{
    /// <summary>When an ARP reply to the LB MAC was last seen, by sender IP and by sender MAC (Stopwatch ticks).</summary>
    private readonly ConcurrentDictionary<string, long> _arpSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _nextCheck = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _roundRunning = new(StringComparer.Ordinal);

    /// <summary>Number of health-check rounds run (for tests and status).</summary>
    public long HealthRounds => Interlocked.Read(ref _healthRounds);
    private long _healthRounds;

    /// <summary>
    /// Records a probe reply. Only the health flow's packet-ins (<see cref="Flows.ArpFlows.HealthReplyFlow"/>,
    /// told by their cookie) are parsed; anything else sent to the controller is not this pipeline's.
    /// </summary>
    public ValueTask OnPacketInAsync(SwitchSession session, PacketIn packetIn)
    {
        ulong cookie = packetIn.Cookie;
        if (!_settings.Cookies.Owns(cookie) || CookieLayout.Feature(cookie) != (byte)FlowFeature.Health) return ValueTask.CompletedTask;
        ParsedPacket p;
        try
        {
            p = ParsedPacket.Parse(packetIn.Data.Span);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OvsLb.OpenFlow.Wire.OfpProtocolException)
        {
            return ValueTask.CompletedTask;
        }
        if (p.ArpOp == ArpPacket.OpReply)
        {
            long now = Stopwatch.GetTimestamp();
            _arpSeen[p.ArpSpa.ToString()] = now;
            _arpSeen[p.ArpSha.ToString()] = now;
        }
        return ValueTask.CompletedTask;
    }

    private async Task HealthLoopAsync(CancellationToken ct)
    {
        try
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (await tick.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                if (_nextCheck.Count > _config.Services.Length)
                {
                    // A reload removed services: forget their schedule (names looked up in a set, not per pair).
                    var names = _config.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                    foreach (var gone in _nextCheck.Keys.Where(k => !names.Contains(k)).ToList()) _nextCheck.TryRemove(gone, out _);
                }
                foreach (var s in _config.Services)
                {
                    if (s.HealthCheck.Kind == HealthCheckKind.None) continue;
                    long due = _nextCheck.GetOrAdd(s.Name, now);
                    if (now < due || !_roundRunning.TryAdd(s.Name, 0)) continue; // one round per service at a time
                    _nextCheck[s.Name] = now + (long)(s.HealthCheck.Interval.TotalSeconds * Stopwatch.Frequency);
                    _ = CheckRoundAsync(s, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CheckRoundAsync(ServiceConfig s, CancellationToken ct)
    {
        try
        {
            var hc = s.HealthCheck;
            var results = await Task.WhenAll(s.Backends.Select(b => CheckAsync(s, b, hc, ct))).ConfigureAwait(false);
            if (!_config.Services.Contains(s)) return; // reloaded meanwhile: these results are about a configuration that is gone
            bool changed = false;
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i] is not bool ok) continue;
                var b = s.Backends[i];
                string id = PipelineBuilder.BackendId(s, b);
                if (Health.Record(id, ok, hc.Rise, hc.Fall))
                {
                    changed = true;
                    _log.LogWarning("Service {Service} backend {Backend}: {State} ({Kind} check)", s.Name, b.Name, ok ? "UP" : "DOWN", hc.Kind.ToString().ToLowerInvariant());
                }
            }
            Interlocked.Increment(ref _healthRounds);
            if (changed) Invalidate();
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _log.LogError(e, "Health check of service {Service} failed", s.Name);
        }
        finally
        {
            _roundRunning.TryRemove(s.Name, out _);
        }
    }

    /// <summary>One check of one backend; null when it cannot be checked now (no bridge connected to send from).</summary>
    private async Task<bool?> CheckAsync(ServiceConfig s, BackendConfig b, HealthCheckConfig hc, CancellationToken ct)
    {
        return hc.Kind switch
        {
            HealthCheckKind.Tcp => await TcpCheckAsync(b.Ip ?? s.Vip, hc.Port ?? s.Port ?? 0, hc.Timeout, ct).ConfigureAwait(false),
            HealthCheckKind.Arp => await ArpCheckAsync(s, b, hc.Timeout, ct).ConfigureAwait(false),
            _ => null,
        };
    }

    private static async Task<bool> TcpCheckAsync(Ipv4Address ip, ushort port, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(new IPAddress(new[] { (byte)(ip.Value >> 24), (byte)(ip.Value >> 16), (byte)(ip.Value >> 8), (byte)ip.Value }), port), cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            ct.ThrowIfCancellationRequested();
            return false;
        }
    }

    private async Task<bool?> ArpCheckAsync(ServiceConfig s, BackendConfig b, TimeSpan timeout, CancellationToken ct)
    {
        var ip = b.Ip ?? s.Vip;
        var config = _config;
        // Send from the backend's own bridge when it has one, else from one connected bridge carrying the service.
        SwitchSession? session = null;
        BridgeConfig? bridge = null;
        foreach (var x in _sessions.Values)
        {
            var bc = PipelineBuilder.FindBridge(config, x.DatapathId, x.BridgeName);
            if (bc is null || !x.CanWrite) continue;
            if (!s.IsBehind(b, bc.Name)) continue;
            session = x;
            bridge = bc;
            if (b.Bridge == bc.Name) break;
        }
        if (session is null || bridge is null) return null;
        uint? port = b.Port is PortRef pr && PipelineBuilder.IsLocal(config, b, bridge) ? BridgeView.Resolve(session.Ports, pr) : null;
        port ??= UplinkPort(bridge, session);
        string key = b.Mac?.ToString() ?? ip.ToString();
        long sent = Stopwatch.GetTimestamp();
        TrySend(session, ProbePackets.ArpProbe(bridge.LbMac, ip, port));
        long deadline = sent + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_arpSeen.TryGetValue(key, out long seen) && seen >= sent) return true;
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
        return _arpSeen.TryGetValue(key, out long last) && last >= sent;
    }
}
