namespace OvsLb.State;

/// <summary>Which flows and groups belong to this controller (cookie signature, group id range).</summary>
public sealed record Ownership(CookieLayout Cookies, uint GroupIdFirst, uint GroupIdLast, bool ManageForeignFlows)
{
    /// <summary>What a controller with default settings owns: cookie signature 0x4c42, groups 0x10000000..0x1fffffff.</summary>
    public static readonly Ownership Default = new(new CookieLayout(CookieLayout.DefaultSignature), 0x1000_0000, 0x1fff_ffff, ManageForeignFlows: false);

    public bool OwnsFlow(FlowEntry f) => Cookies.Owns(f.Cookie) || (ManageForeignFlows && !Cookies.IsLearned(f.Cookie));
    public bool OwnsGroup(uint id) => id >= GroupIdFirst && id <= GroupIdLast;

    /// <summary>Meter ids this controller owns (installs, modifies and deletes): by default <see cref="DefaultMeterId"/>
    /// and <see cref="DefaultRenewMeterId"/>.</summary>
    public uint MeterIdFirst { get; init; } = DefaultMeterId;
    public uint MeterIdLast { get; init; } = DefaultRenewMeterId;

    /// <summary>The meter of the onEmpty "reject" flows unless configured otherwise.</summary>
    public const uint DefaultMeterId = 1;

    /// <summary>The meter of the packet-ins that renew a reused connection entry (the next id after <see cref="MeterIdFirst"/>).</summary>
    public const uint DefaultRenewMeterId = 2;

    public bool OwnsMeter(uint id) => id >= MeterIdFirst && id <= MeterIdLast;
}
