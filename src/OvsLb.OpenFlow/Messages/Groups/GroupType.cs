namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// Group types (OpenFlow 1.3.5 §7.3.4.2, enum ofp_group_type). A byte on the wire; values other than
/// these are kept as sent (cast) so they re-encode unchanged.
/// </summary>
public enum GroupType : byte
{
    /// <summary>OFPGT_ALL: every bucket is executed (multicast / flood).</summary>
    All = 0,
    /// <summary>OFPGT_SELECT: one bucket, chosen by the switch (OVS: hash weighted by bucket weight).</summary>
    Select = 1,
    /// <summary>OFPGT_INDIRECT: exactly one bucket.</summary>
    Indirect = 2,
    /// <summary>OFPGT_FF (fast failover): the first live bucket, liveness from watch_port/watch_group.</summary>
    FastFailover = 3,
}

/// <summary>Reserved group numbers (OpenFlow 1.3.5 §7.3.4.2, enum ofp_group).</summary>
public static class GroupId
{
    /// <summary>OFPG_MAX: last usable group number.</summary>
    public const uint Max = 0xffffff00;
    /// <summary>OFPG_ALL: every group (GROUP_MOD delete, group stats).</summary>
    public const uint All = 0xfffffffc;
    /// <summary>OFPG_ANY: wildcard / "no group" (bucket watch_group, flow out_group).</summary>
    public const uint Any = 0xffffffff;

    /// <summary>ofputil_group_to_string: "ALL", "ANY" or the number.</summary>
    public static string Name(uint group) => group switch
    {
        All => "ALL",
        Any => "ANY",
        _ => group.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
