using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>Settings of the builder that come from the controller, not the load-balancer file.</summary>
/// <param name="Cookies">Cookie signature of this controller's flows.</param>
/// <param name="GroupIdFirst">First group id this controller owns.</param>
/// <param name="GroupIdLast">Last group id this controller owns.</param>
public sealed record BuildSettings(CookieLayout Cookies, uint GroupIdFirst, uint GroupIdLast)
{
    public static readonly BuildSettings Default = For(Ownership.Default);

    /// <summary>The meter the onEmpty "reject" flows use (<see cref="Ownership.MeterIdFirst"/>).</summary>
    public uint RejectMeterId { get; init; } = Ownership.DefaultMeterId;

    /// <summary>The meter of the <c>reuse</c> flow's packet-ins (<see cref="Ownership.MeterIdFirst"/> + 1).</summary>
    public uint RenewMeterId { get; init; } = Ownership.DefaultRenewMeterId;

    /// <summary>
    /// The builder's settings for a controller that owns <paramref name="own"/>: its cookie signature
    /// and group id range, so the flows it builds are the ones its reconciler treats as its own.
    /// <c>ovslb run</c>, the debugging verbs and <c>ovslb validate</c> all pass <c>ControllerOptions.Ownership</c>.
    /// </summary>
    public static BuildSettings For(Ownership own) => new(own.Cookies, own.GroupIdFirst, own.GroupIdLast) { RejectMeterId = own.MeterIdFirst, RenewMeterId = own.MeterIdFirst + 1 };
}
