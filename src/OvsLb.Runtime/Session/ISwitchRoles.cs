using OvsLb.OpenFlow.Messages;

namespace OvsLb.Runtime.Session;

/// <summary>
/// A role to ask a switch for. <see cref="GenerationId"/> null means "the switch's current generation id", read
/// with a NOCHANGE request first: only for SLAVE, so a standby never raises the id past the real master's and
/// never fences it out (OVS stores the id of every MASTER or SLAVE request that is not older).
/// </summary>
public readonly record struct RoleChoice(ControllerRole Role, ulong? GenerationId)
{
    /// <summary>SLAVE at whatever generation id the switch holds (0 when it holds none).</summary>
    public static RoleChoice StandbyAtSwitchGeneration => new(ControllerRole.Slave, null);

    public override string ToString() => GenerationId is { } g ? $"{Role} (generation {g})" : $"{Role} (the switch's generation)";
}

/// <summary>
/// The role each switch is asked for when its connection is set up. One instance: the same role for all,
/// <see cref="ControllerOptions.Role"/> (<see cref="FixedRoles"/>, the default). Several instances sharing
/// bridges (cluster mode) decide per bridge: every bridge starts as a standby until its election is won.
/// </summary>
public interface ISwitchRoles
{
    RoleChoice InitialRole(ulong datapathId);

    /// <summary>
    /// Asked on every write attempt, on top of the session's write gate: whether this instance may still change the
    /// switch. Cluster mode answers from its own clock (is the lease that makes it master surely still alive?), so
    /// an instance whose lease ran out while it was busy or paused stops writing before any timer tells it.
    /// </summary>
    bool MayWrite(ulong datapathId) => true;
}

/// <summary>The single-instance behaviour: every switch gets <see cref="ControllerOptions.Role"/> and <see cref="ControllerOptions.GenerationId"/> as they are now.</summary>
public sealed class FixedRoles(ControllerOptions options) : ISwitchRoles
{
    public RoleChoice InitialRole(ulong datapathId) => new(options.Role, options.GenerationId);
}

/// <summary>Every switch starts as a standby at its own generation id; mastership comes later, per switch (<see cref="SwitchServer.SetRoleAsync(ulong, ControllerRole, ulong?)"/>).</summary>
public sealed class StandbyUntilElected : ISwitchRoles
{
    public static readonly StandbyUntilElected Instance = new();

    public RoleChoice InitialRole(ulong datapathId) => RoleChoice.StandbyAtSwitchGeneration;
}
