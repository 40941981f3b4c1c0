using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Diagnostics;
using OvsLb.Runtime.Transport;

namespace OvsLb.Runtime.Session;

public sealed partial class SwitchSession : IAsyncDisposable
{
    /// <summary>The session's run (<see cref="RunAsync"/>) when <see cref="ConnectAsync"/> started it; the controller awaits its own.</summary>
    private Task<CloseReason>? _run;

    /// <summary>Metrics of a session opened with <see cref="ConnectAsync"/>, which no controller collects.</summary>
    private ControllerMetrics? _ownMetrics;

    /// <summary>
    /// Opens an outbound, read-only session to a switch (<see cref="SwitchTarget"/>: a bridge's management
    /// socket or a <c>ptcp:</c> listener) and returns once it is identified: the same connection, handshake,
    /// xid matching, multipart joining and keepalive as a switch the controller accepted, minus what only a
    /// controller does (SET_CONFIG, the role request, writes). Use <see cref="ReadInstalledAsync"/> and
    /// <see cref="RequestAsync(OfpMessage, CancellationToken, TimeSpan?)"/>, then dispose.
    /// <para>
    /// <see cref="ControllerOptions.HandshakeTimeout"/> bounds the connect and, again, the handshake;
    /// <see cref="ControllerOptions.RequestTimeout"/> each request. A missing socket, a refused connection,
    /// a peer that does not speak OpenFlow 1.3 or a timeout throw <see cref="SwitchUnreachableException"/>
    /// naming the target.
    /// </para>
    /// </summary>
    public static async Task<SwitchSession> ConnectAsync(SwitchTarget target, ControllerOptions options, ILogger? log = null, CancellationToken ct = default)
    {
        var socket = await target.ConnectAsync(options.HandshakeTimeout, ct).ConfigureAwait(false);
        HelloMessage hello;
        try
        {
            hello = new EarlyHello().Send(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new SwitchUnreachableException($"cannot connect to switch {target}: sending OFPT_HELLO failed: {e.Message}", e);
        }
        var metrics = new ControllerMetrics();
        var session = new SwitchSession(new SwitchConnection(socket, options, sentAtAccept: hello), hello, options, log ?? NullLogger.Instance, NoSwitchEvents.Instance, metrics, readOnly: true)
        {
            _ownMetrics = metrics,
        };
        var identified = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session._run = session.RunAsync(_ =>
        {
            identified.TrySetResult();
            return Task.CompletedTask;
        }, (_, _) => Task.CompletedTask);
        using (ct.Register(() => session.Close("cancelled")))
        {
            if (await Task.WhenAny(identified.Task, session._run).ConfigureAwait(false) == identified.Task) return session;
        }
        var reason = await session._run.ConfigureAwait(false);
        metrics.Dispose();
        ct.ThrowIfCancellationRequested();
        // A handshake timeout says what it waited for; other reasons (not OpenFlow, closed, refused) are the close's.
        string why = reason.Error is TimeoutException t ? t.Message : reason.ToString();
        throw new SwitchUnreachableException($"switch {target} did not complete the OpenFlow 1.3 handshake: {why}", reason.Error);
    }

    /// <summary>Closes the connection; for a session of <see cref="ConnectAsync"/>, also waits until it has ended.</summary>
    public async ValueTask DisposeAsync()
    {
        Close("closed by its owner");
        if (_run is { } run) await run.ConfigureAwait(false);
        _ownMetrics?.Dispose();
    }
}
