using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime;
using OvsLb.State;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;

namespace OvsLb.Controller.Cli;

/// <summary>What the debugging verbs read from a switch: its identity, ports and installed state.</summary>
/// <param name="DatapathId">From FEATURES_REPLY.</param>
/// <param name="Ports">From the PORT_DESC reply, by port number (the LOCAL port carries the bridge name).</param>
/// <param name="Installed">Every flow (all tables) and group, as the reconciler reads them.</param>
public sealed record SwitchSnapshot(ulong DatapathId, IReadOnlyDictionary<uint, PortDescription> Ports, SwitchState Installed)
{
    /// <summary>
    /// Reads the switch at <paramref name="target"/> (<see cref="SwitchTarget"/>) through the controller's own
    /// session (<see cref="SwitchSession.ConnectAsync"/>): the same handshake, and with <paramref name="state"/>
    /// the same read-back (<see cref="SwitchSession.ReadInstalledAsync"/>) as a reconciliation, so
    /// <c>ovslb diff</c> shows exactly what the controller would change. The connection is a short-lived
    /// read-only one: no role request, nothing written, the running controller is not disturbed.
    /// <paramref name="options"/> gives the timeouts (the file's <c>Controller</c> section). A bad target is
    /// a <see cref="UsageException"/>; an unreachable or failing switch a <see cref="DebugException"/> naming it.
    /// </summary>
    public static async Task<SwitchSnapshot> ReadAsync(string target, bool state, ControllerOptions options, CancellationToken ct = default)
    {
        SwitchTarget to;
        try
        {
            to = SwitchTarget.Parse(target);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--switch: {e.Message}");
        }
        try
        {
            await using var session = await SwitchSession.ConnectAsync(to, options, ct: ct).ConfigureAwait(false);
            var installed = state ? await session.ReadInstalledAsync(ct).ConfigureAwait(false) : SwitchState.Empty;
            return new SwitchSnapshot(session.DatapathId, session.Ports, installed);
        }
        catch (SwitchUnreachableException e)
        {
            throw new DebugException(e.Message);
        }
        catch (OpenFlowErrorException e)
        {
            throw new DebugException($"switch {target} refused {e.Request?.OvsName ?? "a request"}: {e.Error.Name}");
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException)
        {
            throw new DebugException($"reading switch {target} failed: {e.Message}");
        }
    }
}
