using System.Collections.Frozen;

namespace OvsLb.OpenFlow.Match;

/// <summary>How Open vSwitch prints a field's value (meta-flow.h "Formatting").</summary>
public enum ValueFormat { Decimal, Hex, Ethernet, IPv4, IPv6, Port, TunnelFlags, CtState, TcpFlags, Frag, PacketType }

/// <summary>What a match must also contain before it may match a field (OpenFlow 1.3.5 §7.2.3.6).</summary>
public enum Prereq { None, Ethernet, Arp, IPv4, IPv6, IPAny, Tcp, Udp, Sctp, IcmpV4, IcmpV6, Nd, NdSolicit, NdAdvert, Mpls, VlanVid, Ct, Nsh }

/// <summary>
/// One field as Open vSwitch knows it: its ovs-ofctl name, NXM and OXM headers, width and format.
/// NXM/OXM header layout (OpenFlow 1.3.5 §7.2.3.2):
/// <code>
///  31                16 15        9  8  7          0
/// +--------------------+-----------+---+------------+
/// |     oxm_class      | oxm_field |HM | oxm_length |   (+ 32-bit experimenter id when class = 0xffff)
/// +--------------------+-----------+---+------------+
/// </code>
/// </summary>
public sealed record FieldInfo(
    MfId Id, string Name,
    string? NxmName, ushort NxmClass, byte NxmField, uint NxmExperimenter,
    string? OxmName, ushort OxmClass, byte OxmField, uint OxmExperimenter,
    int Width, int NBits, bool Maskable, bool Writable, ValueFormat Format, Prereq Prereq)
{
    /// <summary>The name OVS prints in field references such as <c>move:NXM_OF_ETH_DST[]</c>: NXM name first, else OXM name.</summary>
    public string RefName => NxmName ?? OxmName ?? Name;

    /// <summary>The preferred header for OpenFlow 1.3: OXM when the field has one, else NXM.</summary>
    public (ushort Class, byte Field, uint Experimenter) PreferredHeader =>
        OxmName is not null ? (OxmClass, OxmField, OxmExperimenter) : (NxmClass, NxmField, NxmExperimenter);

    /// <summary>Mask with the field's significant bits set.</summary>
    public UInt128 FullMask => NBits >= 128 ? UInt128.MaxValue : (UInt128.One << NBits) - 1;
}

public static partial class FieldTable
{
    // Indexes live in a nested class so they are built after s_fields (partial-class static
    // initializers in different files run in no defined order).
    private static class Index
    {
        public static readonly FrozenDictionary<(ushort, byte, uint), FieldInfo> ByHeader = BuildHeaderIndex();
        public static readonly FrozenDictionary<MfId, FieldInfo> ById = s_fields.ToFrozenDictionary(f => f.Id);
        public static readonly FrozenDictionary<string, FieldInfo> ByName = BuildNameIndex();
    }

    public static IReadOnlyList<FieldInfo> All => s_fields;

    public static FieldInfo Get(MfId id) => Index.ById[id];

    /// <summary>Finds the field an NXM/OXM header names, or null for a header OVS 3.1 does not know.</summary>
    public static FieldInfo? ByHeader(ushort oxmClass, byte field, uint experimenter) =>
        Index.ByHeader.TryGetValue((oxmClass, field, oxmClass == 0xffff ? experimenter : 0), out var f) ? f : null;

    /// <summary>Finds a field by OVS name ("eth_dst"), alias, NXM name ("NXM_OF_ETH_DST") or OXM name.</summary>
    public static FieldInfo? ByName(string name) => Index.ByName.TryGetValue(name, out var f) ? f : null;

    private static FrozenDictionary<(ushort, byte, uint), FieldInfo> BuildHeaderIndex()
    {
        var d = new Dictionary<(ushort, byte, uint), FieldInfo>();
        foreach (var f in s_fields)
        {
            if (f.NxmName is not null) d.TryAdd((f.NxmClass, f.NxmField, f.NxmClass == 0xffff ? f.NxmExperimenter : 0), f);
            if (f.OxmName is not null) d.TryAdd((f.OxmClass, f.OxmField, f.OxmClass == 0xffff ? f.OxmExperimenter : 0), f);
        }
        return d.ToFrozenDictionary();
    }

    private static FrozenDictionary<string, FieldInfo> BuildNameIndex()
    {
        var d = new Dictionary<string, FieldInfo>(StringComparer.Ordinal);
        foreach (var f in s_fields)
        {
            d.TryAdd(f.Name, f);
            if (f.NxmName is not null) d.TryAdd(f.NxmName, f);
            if (f.OxmName is not null) d.TryAdd(f.OxmName, f);
        }
        foreach (var (alias, name) in new[] { ("dl_src", "eth_src"), ("dl_dst", "eth_dst"), ("dl_type", "eth_type"), ("nw_src", "ip_src"), ("nw_dst", "ip_dst"), ("ip_proto", "nw_proto"), ("tunnel_id", "tun_id"), ("tp_src", "tcp_src"), ("tp_dst", "tcp_dst"), ("ip_ecn", "nw_ecn"), ("nw_frag", "ip_frag"), ("in_port", "in_port") })
        {
            d.TryAdd(alias, d[name]);
        }
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
