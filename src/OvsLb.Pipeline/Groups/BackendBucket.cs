using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Pipeline.Groups;

/// <summary>What a bucket does for one backend: its actions, and the port whose liveness it watches.</summary>
/// <param name="Actions">The bucket's actions (e.g. set eth_dst to the backend's MAC, output).</param>
/// <param name="WatchPort">A local port the backend sits behind; OVS skips the bucket in the datapath
/// while that port is down (before the controller reacts). Null: no watch (OFPP_ANY).</param>
public sealed record BackendBucket(EquatableArray<OfpAction> Actions, uint? WatchPort = null);
