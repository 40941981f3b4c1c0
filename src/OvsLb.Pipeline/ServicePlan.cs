using OvsLb.Pipeline.Config;

namespace OvsLb.Pipeline;

/// <summary>What the builder decided for one service on one bridge.</summary>
/// <param name="Service">The service.</param>
/// <param name="GroupId">Its select group.</param>
/// <param name="LiveBackends">Backends that own buckets (in configuration order).</param>
/// <param name="SlotKeys">Bucket i → backend key (empty when no backend is live: no group).</param>
/// <param name="Answered">True when this bridge answers ARP for the VIP.</param>
/// <param name="Master">Port-group mode: the master server (first live port in configuration order).</param>
/// <param name="Rejects">True when the service has no live backend here and its packets go to the controller to be refused (onEmpty "reject").</param>
public sealed record ServicePlan(
    ServiceConfig Service,
    uint GroupId,
    IReadOnlyList<BackendConfig> LiveBackends,
    IReadOnlyList<string> SlotKeys,
    bool Answered,
    BackendConfig? Master,
    bool Rejects = false);
