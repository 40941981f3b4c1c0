using System.Buffers.Binary;
using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Nicira;

/// <summary>
/// One direction of a connection as NXT_CT_FLUSH selects it (OVS struct ofp_ct_tuple). Addresses are
/// IPv6 or IPv4-mapped IPv6 (<see cref="MapIPv4"/>); zero fields do not restrict the flush. ICMP
/// connections (ip_proto 1 or 58) use the ICMP id/type/code instead of the ports.
/// </summary>
public sealed record CtTuple(UInt128 Src = default, UInt128 Dst = default, ushort SrcPort = 0, ushort DstPort = 0,
    ushort IcmpId = 0, byte IcmpType = 0, byte IcmpCode = 0)
{
    public static readonly CtTuple Empty = new();

    /// <summary>An IPv4 address as the IPv4-mapped IPv6 address ::ffff:a.b.c.d.</summary>
    public static UInt128 MapIPv4(uint address) => ((UInt128)0xffff << 32) | address;

    /// <summary>True when <paramref name="address"/> is ::ffff:a.b.c.d (IN6_IS_ADDR_V4MAPPED).</summary>
    public static bool IsMapped(UInt128 address) => address >> 32 == 0xffff;
}

/// <summary>
/// What OVS makes of an NXT_CT_FLUSH (struct ofp_ct_match plus the zone, from ofp_ct_match_decode):
/// the IP protocol, the address family the addresses imply (4, 6 or 0 when none is set) and both tuples.
/// </summary>
public sealed record CtFlushMatch(byte IpProto, int Family, CtTuple Original, CtTuple Reply, ushort? Zone);

/// <summary>
/// NXT_CT_FLUSH (Nicira subtype 32, OVS 3.1): flushes the connection-tracking entries matching a
/// 5-tuple in one zone. The controller uses it to drop the connections of a removed backend.
/// <code>
/// struct nx_ct_flush {
///     struct nicira_header nxh;  /* subtype 32 */
///     uint8_t ip_proto;
///     uint8_t pad[7];            /* must be zero */
///     /* properties: NXT_CT_ORIG_TUPLE, NXT_CT_REPLY_TUPLE (nested), NXT_CT_ZONE_ID (be16) */
/// };                             /* 24 bytes before the properties */
/// </code>
/// </summary>
public sealed record CtFlush(byte IpProto, EquatableArray<CtProperty> Properties) : NiciraMessage
{
    public override uint Subtype => NiciraCodec.CtFlush;
    public override string OvsName => "NXT_CT_FLUSH";

    internal override int PayloadLength
    {
        get
        {
            int n = 8;
            foreach (var p in Properties) n += p.WireLength;
            return n;
        }
    }

    /// <summary>
    /// The message ovs-ofctl ct-flush sends (ofp_ct_match_encode): the original tuple, the reply tuple
    /// (each only when it sets something), then the zone when given. A tuple carries its non-zero
    /// addresses, then for ICMP the id, type and code, otherwise its non-zero ports.
    /// </summary>
    public static CtFlush Create(byte ipProto, CtTuple? original = null, CtTuple? reply = null, ushort? zone = null)
    {
        var props = new List<CtProperty>();
        AddTuple(props, original ?? CtTuple.Empty, false, ipProto);
        AddTuple(props, reply ?? CtTuple.Empty, true, ipProto);
        if (zone is { } z) props.Add(new CtZoneProperty(z));
        return new CtFlush(ipProto, props);
    }

    private static void AddTuple(List<CtProperty> props, CtTuple t, bool isReply, byte ipProto)
    {
        var fields = new List<CtProperty>();
        if (t.Src != 0) fields.Add(new CtAddressProperty(false, t.Src));
        if (t.Dst != 0) fields.Add(new CtAddressProperty(true, t.Dst));
        if (IsIcmp(ipProto))
        {
            fields.Add(new CtPortProperty(CtTupleField.IcmpId, t.IcmpId));
            fields.Add(new CtIcmpProperty(CtTupleField.IcmpType, t.IcmpType));
            fields.Add(new CtIcmpProperty(CtTupleField.IcmpCode, t.IcmpCode));
        }
        else
        {
            if (t.SrcPort != 0) fields.Add(new CtPortProperty(CtTupleField.SrcPort, t.SrcPort));
            if (t.DstPort != 0) fields.Add(new CtPortProperty(CtTupleField.DstPort, t.DstPort));
        }
        if (fields.Count > 0) props.Add(new CtTupleProperty(isReply, fields));
    }

    private static bool IsIcmp(byte proto) => proto is 1 or 58;

    internal override void WritePayload(ref OfpWriter w)
    {
        w.WriteU8(IpProto);
        w.WriteZeros(7);
        foreach (var p in Properties) p.Write(ref w);
    }

    /// <summary>
    /// Reads ip_proto, the must-be-zero padding (NXBRC_MUST_BE_ZERO) and the properties; a message OVS
    /// would refuse (a value too short, IPv4 and IPv6 addresses mixed: OFPBPC_BAD_VALUE) is rejected.
    /// </summary>
    internal static CtFlush Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        byte proto = r.ReadU8("ip_proto");
        NiciraCodec.Zeros(ref r, 7, "ct flush padding");
        var props = new List<CtProperty>();
        while (!r.End) props.Add(CtProperty.Read(ref r, nested: false));
        var m = new CtFlush(proto, props);
        if (m.Interpret(out var error) is null)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"NXT_CT_FLUSH: {error}", at, error);
        }
        return m;
    }

    /// <summary>The flush as OVS reads it; throws <see cref="InvalidOperationException"/> when OVS would refuse it.</summary>
    public CtFlushMatch Match => Interpret(out var error) ?? throw new InvalidOperationException($"NXT_CT_FLUSH is invalid: {error}");

    /// <summary>
    /// ofp_ct_match_decode over the encoded properties, in order: tuples fill their fields, the last
    /// zone wins, unknown types are ignored. Each address sets the family (mapped: 4, other non-zero: 6,
    /// zero: none — which resets it, as in OVS); a family different from the one already set is
    /// OFPBPC_BAD_VALUE. Returns null with the OVS error name when OVS would refuse the message.
    /// </summary>
    public CtFlushMatch? Interpret(out string? error)
    {
        var bytes = new byte[PayloadLength - 8];
        var w = new OfpWriter(bytes);
        foreach (var p in Properties) p.Write(ref w);
        var state = new State();
        error = Walk(bytes, nested: false, state, null);
        if (error is not null) return null;
        return new CtFlushMatch(IpProto, state.Family, state.Tuples[0], state.Tuples[1], state.Zone);
    }

    private sealed class State
    {
        public int Family;
        public ushort? Zone;
        public readonly CtTuple[] Tuples = [CtTuple.Empty, CtTuple.Empty];
    }

    private static string? Walk(ReadOnlySpan<byte> b, bool nested, State st, int? tuple)
    {
        while (b.Length > 0)
        {
            if (b.Length < 4) return CtProperty.BadLen;
            int type = BinaryPrimitives.ReadUInt16BigEndian(b);
            int len = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
            int padded = Pad.To8(len);
            if (len < 4 || padded > b.Length) return CtProperty.BadLen;
            if (type == 0xffff)
            {
                if (len < 12) return CtProperty.BadLen;
                if (BinaryPrimitives.ReadUInt32BigEndian(b[4..]) == 0) return "OFPBPC_BAD_EXPERIMENTER";
            }
            var v = b[4..len];
            string? error = null;
            if (!nested)
            {
                if (type is 0 or 1) error = len < 8 ? CtProperty.BadLen : Walk(b[8..len], true, st, type);
                else if (type == 2)
                {
                    if (v.Length < 2) return CtProperty.BadLen;
                    st.Zone = BinaryPrimitives.ReadUInt16BigEndian(v);
                }
            }
            else
            {
                ref var t = ref st.Tuples[tuple!.Value];
                switch (type)
                {
                    case 0 or 1:
                        if (v.Length < 16) return CtProperty.BadLen;
                        var addr = CtProperty.ReadU128(v);
                        int family = addr == 0 ? 0 : CtTuple.IsMapped(addr) ? 4 : 6;
                        if (st.Family != 0 && family != 0 && st.Family != family) return "OFPBPC_BAD_VALUE";
                        st.Family = family;
                        t = type == 0 ? t with { Src = addr } : t with { Dst = addr };
                        break;
                    case 2 or 3 or 4:
                        if (v.Length < 2) return CtProperty.BadLen;
                        ushort u16 = BinaryPrimitives.ReadUInt16BigEndian(v);
                        t = type switch { 2 => t with { SrcPort = u16 }, 3 => t with { DstPort = u16 }, _ => t with { IcmpId = u16 } };
                        break;
                    case 5 or 6:
                        if (v.Length < 1) return CtProperty.BadLen;
                        t = type == 5 ? t with { IcmpType = v[0] } : t with { IcmpCode = v[0] };
                        break;
                }
            }
            if (error is not null) return error;
            b = b[padded..];
        }
        return null;
    }

    /// <summary>
    /// ofp_print_nxt_ct_flush: <c> zone=5 'ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.100,ct_tp_src=40000,ct_tp_dst=80,ct_nw_proto=6' 'ct_nw_src=::,...'</c>.
    /// Both tuples are always printed, with the family's field names (ct_ipv6_* unless IPv4) and mapped
    /// addresses shown as IPv4; OVS prints zone 0 when the message has none.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (Interpret(out var error) is not { } m)
        {
            OfpPrinter.DecodeError(s, this, error!);
            return;
        }
        s.Append(" zone=").Append(m.Zone ?? 0).Append(" '");
        FormatTuple(s, m.Original, m);
        s.Append(",ct_nw_proto=").Append(m.IpProto).Append("' '");
        FormatTuple(s, m.Reply, m);
        s.Append('\'');
    }

    private static void FormatTuple(StringBuilder s, CtTuple t, CtFlushMatch m)
    {
        bool v4 = m.Family == 4;
        s.Append(v4 ? "ct_nw_src=" : "ct_ipv6_src=").Append(Mapped(t.Src));
        s.Append(v4 ? ",ct_nw_dst=" : ",ct_ipv6_dst=").Append(Mapped(t.Dst));
        if (IsIcmp(m.IpProto))
        {
            s.Append(",icmp_id=").Append(t.IcmpId).Append(",icmp_type=").Append(t.IcmpType).Append(",icmp_code=").Append(t.IcmpCode);
        }
        else
        {
            s.Append(",ct_tp_src=").Append(t.SrcPort).Append(",ct_tp_dst=").Append(t.DstPort);
        }
    }

    /// <summary>ipv6_format_mapped: a mapped address as dotted IPv4, any other as IPv6.</summary>
    private static string Mapped(UInt128 a) => CtTuple.IsMapped(a) ? OfctlFormat.IPv4((uint)a) : OfctlFormat.IPv6(a);
}
