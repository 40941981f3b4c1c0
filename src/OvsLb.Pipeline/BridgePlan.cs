using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>The builder's result for one bridge: the desired state plus what the controller needs to act on it.</summary>
/// <param name="Bridge">The configured bridge this switch is, or null (then the state is empty).</param>
/// <param name="State">Desired flows and groups.</param>
/// <param name="Services">Per-service decisions (order of the configuration).</param>
/// <param name="Gateways">Gateways whose MACs this bridge learns (the controller probes them).</param>
/// <param name="Warnings">Configuration that could not take effect on this bridge (e.g. a port name
/// the bridge does not have), one sentence each; the controller logs them.</param>
public sealed record BridgePlan(
    BridgeConfig? Bridge,
    SwitchState State,
    IReadOnlyList<ServicePlan> Services,
    IReadOnlyList<Ipv4Address> Gateways,
    IReadOnlyList<string> Warnings);
