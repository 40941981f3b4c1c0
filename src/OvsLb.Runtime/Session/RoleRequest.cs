using OvsLb.OpenFlow.Messages;
using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>
/// A role to ask one switch for (OpenFlow 1.3 §6.3.6 / §7.3.9, OFPT_ROLE_REQUEST). <paramref name="GenerationId"/>
/// null means "the switch's current generation id", read first with a NOCHANGE request (an undefined one, which OVS
/// reports as 2^64-1, becomes 0): what a standby of an elected cluster asks SLAVE with. OVS keeps one generation id per
/// bridge and stores the id of every MASTER <em>and SLAVE</em> request that is not older, so a standby asking SLAVE with
/// its own (higher) candidate id would raise the bridge's id above the elected master's and fence that master out.
/// </summary>
public readonly record struct RoleRequest(ControllerRole Role, ulong? GenerationId)
{
    /// <summary>SLAVE at the switch's current generation id: never raises it, never refused as stale.</summary>
    public static RoleRequest StandbyAtCurrent => new(ControllerRole.Slave, null);

    public override string ToString() => GenerationId is { } g ? $"{Role} (generation {g})" : $"{Role} (the switch's current generation)";
}

/// <summary>
/// Which role this instance asks a switch for when it connects, before anything is written to it. A new OpenFlow
/// connection starts EQUAL in OVS, and EQUAL may write: an instance that is not the switch's elected master must ask
/// SLAVE during the handshake. The default (<see cref="OptionsRoles"/>) asks every switch for
/// <see cref="ControllerOptions.Role"/> with <see cref="ControllerOptions.GenerationId"/>, one role for the instance.
/// </summary>
public interface ISwitchRoles
{
    /// <summary>The role to ask <paramref name="sw"/> for during its handshake (its datapath id and ports are known then).</summary>
    RoleRequest InitialRole(SwitchInfo sw);
}

/// <summary>One role for every switch: <see cref="ControllerOptions.Role"/> with <see cref="ControllerOptions.GenerationId"/>, read at each handshake.</summary>
public sealed class OptionsRoles(ControllerOptions options) : ISwitchRoles
{
    public RoleRequest InitialRole(SwitchInfo sw) => new(options.Role, options.GenerationId);
}
