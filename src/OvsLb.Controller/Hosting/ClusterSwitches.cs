using OvsLb.Cluster;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// Cluster mode's link between the switch server and the <see cref="MastershipCoordinator"/>, which starts after the
/// server is built (it needs etcd first): until it exists every switch is a standby that may not write.
/// </summary>
internal sealed class ClusterLink(ClusterOptions options)
{
    private volatile MastershipCoordinator? _coordinator;

    /// <summary>The cluster settings (etcd endpoints and prefix, shown by /status).</summary>
    public ClusterOptions Options { get; } = options;

    public MastershipCoordinator? Coordinator
    {
        get => _coordinator;
        set => _coordinator = value;
    }
}

/// <summary>Every switch starts as a standby at its own generation id; it may be written only while the coordinator says this instance is its master and the lease is surely held.</summary>
internal sealed class ClusterRoles(ClusterLink link) : ISwitchRoles
{
    public RoleChoice InitialRole(ulong datapathId) => RoleChoice.StandbyAtSwitchGeneration;

    public bool MayWrite(ulong datapathId) => link.Coordinator?.MayWrite(datapathId) ?? false;
}

/// <summary>The coordinator's view of the switch server: roles and write gates by datapath id.</summary>
internal sealed class ClusterSwitches(Func<SwitchServer> server) : ISwitchMastership
{
    public void StopWriting(ulong datapathId)
    {
        if (server().Sessions.TryGetValue(datapathId, out var s)) s.AllowWrites(false);
    }

    public async Task<bool> PromoteAsync(ulong datapathId, ulong generationId)
    {
        var srv = server();
        if (!await srv.SetRoleAsync(datapathId, ControllerRole.Master, generationId).ConfigureAwait(false)) return false;
        return srv.Sessions.TryGetValue(datapathId, out var s) && s.Role == ControllerRole.Master;
    }

    public Task DemoteAsync(ulong datapathId) => server().SetRoleAsync(datapathId, ControllerRole.Slave, null);
}

/// <summary>
/// The load balancer's switch events, with the coordinator told first when a switch is ready (campaign) and when it
/// left (withdraw). A disconnect of a connection that a newer one of the same datapath already replaced is not a
/// disconnect of the bridge.
/// </summary>
internal sealed class ClusterSwitchEvents(ISwitchEvents inner, ClusterLink link, SwitchDirectory switches) : ISwitchEvents
{
    public ValueTask OnReadyAsync(ISwitchHandle sw)
    {
        link.Coordinator?.SwitchReady(sw.DatapathId);
        return inner.OnReadyAsync(sw);
    }

    public void OnDisconnected(ISwitchHandle sw, CloseReason reason)
    {
        bool replaced = switches.TryGet(sw.DatapathId, out var current) && !ReferenceEquals(current, sw);
        if (!replaced && sw.DatapathId != 0) link.Coordinator?.SwitchGone(sw.DatapathId);
        inner.OnDisconnected(sw, reason);
    }

    public ValueTask OnPortStatusAsync(ISwitchHandle sw, PortStatus status) => inner.OnPortStatusAsync(sw, status);
    public ValueTask OnPacketInAsync(ISwitchHandle sw, PacketIn packetIn) => inner.OnPacketInAsync(sw, packetIn);
    public ValueTask OnFlowRemovedAsync(ISwitchHandle sw, FlowRemoved removed) => inner.OnFlowRemovedAsync(sw, removed);
}
