using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>NX_NAT_F_* flags.</summary>
[Flags]
public enum NatFlags : ushort
{
    None = 0,
    Src = 1,
    Dst = 2,
    Persistent = 4,
    /// <summary>Pick ports by hash (prints <c>hash</c>); exclusive with <see cref="ProtoRandom"/>.</summary>
    ProtoHash = 8,
    /// <summary>Pick ports randomly (prints <c>random</c>).</summary>
    ProtoRandom = 16,
}

/// <summary>
/// NXAST_NAT (36): network address translation, valid only nested in <see cref="CtAction"/>. The load
/// balancer DNATs client traffic to the chosen backend and un-NATs replies with a bare <c>nat</c>.
/// Address and port bounds are optional; one present on the wire is flagged in range_present and is
/// never zero.
/// <code>
/// struct nx_action_nat {
///     ovs_be16 type, len;        /* 0xffff, multiple of 8, >= 16 */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 36 */
///     uint8_t pad[2];
///     ovs_be16 flags;            /* NX_NAT_F_* */
///     ovs_be16 range_present;    /* 1 ipv4_min, 2 ipv4_max, 4 ipv6_min, 8 ipv6_max, 16 proto_min, 32 proto_max */
///     /* present fields in that order: ovs_be32 / in6_addr / ovs_be16 each; zero padding to 8 */
/// };
/// </code>
/// Prints (format_NAT) <c>nat</c>, <c>nat(src)</c>, <c>nat(src=10.0.0.1-10.0.0.5:1000-2000,random)</c>,
/// <c>nat(dst=[2001:db8::1]-[2001:db8::2]:80-90,persistent,hash)</c>. OVS prints the persistent/hash/random
/// flags only when an address range is present, so <c>nat(src,random)</c> prints as <c>nat(src)</c>.
/// </summary>
public sealed record NatAction : OfpAction
{
    public NatFlags Flags { get; init; }
    public uint? Ipv4Min { get; init; }
    public uint? Ipv4Max { get; init; }
    public UInt128? Ipv6Min { get; init; }
    public UInt128? Ipv6Max { get; init; }
    public ushort? ProtoMin { get; init; }
    public ushort? ProtoMax { get; init; }

    /// <summary><c>nat(src=min[-max][:pmin[-pmax]])</c> over IPv4 addresses (host byte order numbers).</summary>
    public static NatAction Snat(uint min, uint? max = null, ushort? protoMin = null, ushort? protoMax = null, NatFlags extra = NatFlags.None) =>
        new() { Flags = NatFlags.Src | extra, Ipv4Min = min, Ipv4Max = max, ProtoMin = protoMin, ProtoMax = protoMax };

    /// <summary><c>nat(dst=min[-max][:pmin[-pmax]])</c> over IPv4 addresses.</summary>
    public static NatAction Dnat(uint min, uint? max = null, ushort? protoMin = null, ushort? protoMax = null, NatFlags extra = NatFlags.None) =>
        new() { Flags = NatFlags.Dst | extra, Ipv4Min = min, Ipv4Max = max, ProtoMin = protoMin, ProtoMax = protoMax };

    private ushort RangePresent => (ushort)((Ipv4Min is null ? 0 : 1) | (Ipv4Max is null ? 0 : 2) | (Ipv6Min is null ? 0 : 4)
        | (Ipv6Max is null ? 0 : 8) | (ProtoMin is null ? 0 : 16) | (ProtoMax is null ? 0 : 32));

    private int UnpaddedLength => 16 + (Ipv4Min is null ? 0 : 4) + (Ipv4Max is null ? 0 : 4) + (Ipv6Min is null ? 0 : 16)
        + (Ipv6Max is null ? 0 : 16) + (ProtoMin is null ? 0 : 2) + (ProtoMax is null ? 0 : 2);

    public override int WireLength => Pad.To8(UnpaddedLength);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.Nat);
        w.WriteZeros(2);
        w.WriteU16((ushort)Flags);
        w.WriteU16(RangePresent);
        if (Ipv4Min is { } a) w.WriteU32(a);
        if (Ipv4Max is { } b) w.WriteU32(b);
        if (Ipv6Min is { } c) OxmEntry.WriteValue(ref w, c, 16);
        if (Ipv6Max is { } d) OxmEntry.WriteValue(ref w, d, 16);
        if (ProtoMin is { } e) w.WriteU16(e);
        if (ProtoMax is { } f) w.WriteU16(f);
        w.PadTo8(start);
    }

    /// <summary>decode_NXAST_RAW_NAT (lib/ofp-actions.c).</summary>
    internal static NatAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectMinLength(r, 16, "nat", at);
        NxWire.Zeros(ref r, 2, "nat: pad", at);
        var flags = (NatFlags)r.ReadU16("nat flags");
        ushort present = r.ReadU16("nat range_present");
        if ((ushort)flags > 0x1f || (flags.HasFlag(NatFlags.Src) && flags.HasFlag(NatFlags.Dst))
            || (flags.HasFlag(NatFlags.ProtoHash) && flags.HasFlag(NatFlags.ProtoRandom)))
        {
            throw Bad($"invalid flags 0x{(ushort)flags:x}", at);
        }
        if ((present & ~0x3f) != 0) throw Bad($"unknown range_present bits 0x{present & ~0x3f:x}", at);
        var nat = new NatAction { Flags = flags };
        bool v4 = false, v6 = false;
        if ((present & 1) != 0)
        {
            if ((present & 0xc) != 0) throw Bad("both IPv4 and IPv6 ranges are present", at);
            uint min = Opt4(ref r, at);
            if (min == 0) throw Bad("IPv4 range minimum is 0.0.0.0", at);
            nat = nat with { Ipv4Min = min };
            v4 = true;
            if ((present & 2) != 0)
            {
                uint max = Opt4(ref r, at);
                if (max < min) throw Bad("IPv4 range maximum is below its minimum", at);
                nat = nat with { Ipv4Max = max };
            }
        }
        else if ((present & 2) != 0)
        {
            throw Bad("IPv4 range maximum without a minimum", at);
        }
        else if ((present & 4) != 0)
        {
            UInt128 min = Opt16(ref r, at);
            if (min == 0) throw Bad("IPv6 range minimum is ::", at);
            nat = nat with { Ipv6Min = min };
            v6 = true;
            if ((present & 8) != 0)
            {
                UInt128 max = Opt16(ref r, at);
                if (max < min) throw Bad("IPv6 range maximum is below its minimum", at);
                nat = nat with { Ipv6Max = max };
            }
        }
        else if ((present & 8) != 0)
        {
            throw Bad("IPv6 range maximum without a minimum", at);
        }
        if ((present & 16) != 0)
        {
            if (!v4 && !v6) throw Bad("port range without an address range", at);
            ushort min = Opt2(ref r, at);
            if (min == 0) throw Bad("port range minimum is 0", at);
            nat = nat with { ProtoMin = min };
            if ((present & 32) != 0)
            {
                ushort max = Opt2(ref r, at);
                if (max < min) throw Bad("port range maximum is below its minimum", at);
                nat = nat with { ProtoMax = max };
            }
        }
        else if ((present & 32) != 0)
        {
            throw Bad("port range maximum without a minimum", at);
        }
        NxWire.TrailingPad(ref r, "nat", at);
        return nat;
    }

    private static OfpProtocolException Bad(string what, int at) => new(OfpErrorKind.BadAction, $"nat: {what}", at);

    private static uint Opt4(ref OfpReader r, int at) => r.Remaining >= 4 ? r.ReadU32() : throw Bad("IPv4 address overruns the action", at);

    private static UInt128 Opt16(ref OfpReader r, int at) =>
        r.Remaining >= 16 ? OxmEntry.ReadValue(r.ReadMemory(16).Span) : throw Bad("IPv6 address overruns the action", at);

    private static ushort Opt2(ref OfpReader r, int at) => r.Remaining >= 2 ? r.ReadU16() : throw Bad("port overruns the action", at);

    /// <summary>True for a bare <c>nat</c> (no src/dst, no flags, no range): the only form allowed in ct without commit.</summary>
    public bool IsBare => Flags == NatFlags.None && Ipv4Min is null && Ipv6Min is null;

    public override void Format(StringBuilder s)
    {
        s.Append("nat");
        if ((Flags & (NatFlags.Src | NatFlags.Dst)) == 0) return;
        s.Append('(').Append(Flags.HasFlag(NatFlags.Src) ? "src" : "dst");
        if (Ipv4Min is not null || Ipv6Min is not null)
        {
            s.Append('=');
            if (Ipv4Min is { } min4)
            {
                s.Append(OfctlFormat.IPv4(min4));
                if (Ipv4Max is { } max4 && max4 != 0 && max4 != min4) s.Append('-').Append(OfctlFormat.IPv4(max4));
            }
            else if (Ipv6Min is { } min6)
            {
                bool bracket = ProtoMin is > 0;
                Addr6(s, min6, bracket);
                if (Ipv6Max is { } max6 && max6 != 0 && max6 != min6)
                {
                    s.Append('-');
                    Addr6(s, max6, bracket);
                }
            }
            if (ProtoMin is { } pmin and > 0)
            {
                s.Append(':').Append(pmin);
                if (ProtoMax is { } pmax && pmax != 0 && pmax != pmin) s.Append('-').Append(pmax);
            }
            if (Flags.HasFlag(NatFlags.Persistent)) s.Append(",persistent");
            if (Flags.HasFlag(NatFlags.ProtoHash)) s.Append(",hash");
            if (Flags.HasFlag(NatFlags.ProtoRandom)) s.Append(",random");
        }
        s.Append(')');
    }

    /// <summary>ipv6_format_addr_bracket (lib/packets.c).</summary>
    private static void Addr6(StringBuilder s, UInt128 a, bool bracket)
    {
        if (bracket) s.Append('[');
        s.Append(OfctlFormat.IPv6(a));
        if (bracket) s.Append(']');
    }
}
