using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;

namespace OvsLb.Testing;

/// <summary>One PACKET_IN the controller received, as a test reports it.</summary>
public sealed record PacketInRecord(ulong DatapathId, byte TableId, PacketInReason Reason, ulong Cookie, uint InPort, int Length)
{
    public override string ToString() => $"dpid {DatapathId:x} table {TableId} {Reason} cookie 0x{Cookie:x} in_port {InPort} {Length} B";
}

/// <summary>
/// Counts every PACKET_IN the runtime hands to the application (and keeps the first 100 for the failure
/// message), passing all events on to the application's own handler. "Zero packet-ins" assertions read
/// <see cref="Count"/>; it sees every PACKET_IN the session decodes, whatever table or reason sent it.
/// </summary>
public sealed class PacketInCounter(ISwitchEvents inner) : ISwitchEvents
{
    private readonly ConcurrentQueue<PacketInRecord> _first = new();
    private long _count, _renewals;

    /// <summary>The table whose packet-ins renew a reused connection entry (the load balancer's <c>reuse</c>, table 25): the
    /// SYN went on in the datapath, the copy only asks the controller to add the entry anew.</summary>
    public const byte RenewalTable = 25;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Packet-ins from <see cref="RenewalTable"/>.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    /// <summary>Packet-ins the datapath needed the controller for: all but <see cref="Renewals"/>.</summary>
    public long ExceptRenewals => Count - Renewals;

    /// <summary>The first packet-ins (up to 100).</summary>
    public IReadOnlyList<PacketInRecord> First => [.. _first];

    public override string ToString() => $"{Count} packet-ins ({Renewals} renewals of reused connection entries, table {RenewalTable}){(Count > 0 ? ": " + string.Join("; ", First.Where(p => p.TableId != RenewalTable).Take(5)) : "")}";

    public ValueTask OnPacketInAsync(ISwitchHandle session, PacketIn packetIn)
    {
        if (packetIn.TableId == RenewalTable) Interlocked.Increment(ref _renewals);
        if (Interlocked.Increment(ref _count) <= 100)
        {
            _first.Enqueue(new PacketInRecord(session.DatapathId, packetIn.TableId, packetIn.Reason, packetIn.Cookie, packetIn.InPort, packetIn.Data.Length));
        }
        return inner.OnPacketInAsync(session, packetIn);
    }

    public ValueTask OnReadyAsync(ISwitchHandle session) => inner.OnReadyAsync(session);
    public void OnDisconnected(ISwitchHandle session, CloseReason reason) => inner.OnDisconnected(session, reason);
    public ValueTask OnPortStatusAsync(ISwitchHandle session, PortStatus status) => inner.OnPortStatusAsync(session, status);
    public ValueTask OnFlowRemovedAsync(ISwitchHandle session, FlowRemoved removed) => inner.OnFlowRemovedAsync(session, removed);
}

/// <summary>
/// An in-process <see cref="SwitchServer"/> listening inside a topology's switch namespace (where
/// ovs-vswitchd's 127.0.0.1 is), with every bridge pointed at it, a <see cref="PacketInCounter"/> in front
/// of the application's events and a recording log. Made by <see cref="LbTopology.StartController"/>;
/// disposed with the topology if the test does not dispose it first.
/// </summary>
public sealed class TopologyController : IDisposable, IAsyncDisposable
{
    private int _disposed;

    internal TopologyController(SwitchServer controller, PacketInCounter packetIns, RecordingLoggerProvider log)
    {
        Controller = controller;
        PacketIns = packetIns;
        Log = log;
    }

    public SwitchServer Controller { get; }
    public PacketInCounter PacketIns { get; }
    public RecordingLoggerProvider Log { get; }
    public int Port => Controller.LocalEndpoints[0].Port;
    public string Target => $"tcp:127.0.0.1:{Port}";

    /// <summary>
    /// Waits until the bridge with <paramref name="datapathId"/> has a session that finished its first
    /// reconcile; throws with the log's tail otherwise.
    /// </summary>
    public SwitchSession WaitReady(ulong datapathId, TimeSpan? timeout = null)
    {
        SwitchSession? s = null;
        bool ok = ProcessRunner.WaitUntil(() => Controller.Sessions.TryGetValue(datapathId, out s) && s.State == SessionState.Ready && s.LastReconcile is not null,
            timeout ?? TimeSpan.FromSeconds(20));
        return ok ? s! : throw new TimeoutException($"bridge {datapathId:x16} not ready; log:\n{string.Join("\n", Log.Lines.TakeLast(30))}");
    }

    /// <summary>The log's last lines, for failure messages.</summary>
    public string LogTail(int lines = 30) => string.Join("\n", Log.Lines.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Controller.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

public sealed partial class LbTopology
{
    /// <summary>
    /// Starts an <see cref="SwitchServer"/> for <paramref name="desired"/> and <paramref name="events"/>
    /// inside <see cref="Switch"/> on 127.0.0.1 (a free port) and points every bridge at it (reconnect backoff 1 s).
    /// Call <see cref="TopologyController.WaitReady"/> for each bridge before sending traffic. Pass
    /// <paramref name="log"/> to record the controller's lines with the application's own, and
    /// <paramref name="switches"/> when the application reads the connected switches (the load balancer's).
    /// </summary>
    public TopologyController StartController(IDesiredStateProvider desired, ISwitchEvents? events = null, Action<ControllerOptions>? configure = null,
        RecordingLoggerProvider? log = null, SwitchDirectory? switches = null)
    {
        var options = new ControllerOptions { Listen = ["127.0.0.1:0"], EchoInterval = TimeSpan.FromSeconds(1), HandshakeTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);
        log ??= new RecordingLoggerProvider();
        var loggers = log.Factory();
        var counter = new PacketInCounter(events ?? NoSwitchEvents.Instance);
        WarmUpSockets();
        var controller = Switch.Run(() =>
        {
            var c = new SwitchServer(options, desired, counter, loggers, switches: switches);
            c.StartAsync().GetAwaiter().GetResult();
            return c;
        });
        var tc = Track(new TopologyController(controller, counter, log));
        foreach (var b in _bridges.Keys) Ovs.SetController(b, tc.Target);
        return tc;
    }

    /// <summary>
    /// Runs one asynchronous socket operation in the root namespace first: the runtime starts its socket event
    /// threads on first use, and threads inherit the namespace of the thread that creates them, so they must
    /// not be created inside <see cref="NetNamespace.Run"/>.
    /// </summary>
    private static void WarmUpSockets()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        client.ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
        accept.GetAwaiter().GetResult().Dispose();
    }
}
