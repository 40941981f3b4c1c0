using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Nicira;

/// <summary>Property types inside an NXT_CT_FLUSH tuple property (enum nx_ct_flush_tuple_tlv_type).</summary>
public enum CtTupleField : ushort
{
    Src = 0, Dst = 1, SrcPort = 2, DstPort = 3, IcmpId = 4, IcmpType = 5, IcmpCode = 6,
}

/// <summary>
/// One property of an NXT_CT_FLUSH message or of one of its tuples, in OpenFlow property format
/// (OVS lib/ofp-prop.c): a 4-byte header whose length excludes the padding to a multiple of 8.
/// <code>
/// struct ofp_prop_header { uint16_t type; uint16_t len; };   /* then the value, then zeros to 8 */
/// </code>
/// Top-level types (enum nx_ct_flush_tlv_type): 0 original tuple and 1 reply tuple (nested
/// properties after 4 bytes of padding), 2 zone (be16). Properties are typed when their bytes are
/// exactly what OVS encodes; anything else OVS accepts (unknown types, experimenter properties,
/// longer values) is kept as <see cref="RawCtProperty"/> so it re-encodes byte for byte.
/// </summary>
public abstract record CtProperty
{
    /// <summary>Bytes on the wire, padding included.</summary>
    public abstract int WireLength { get; }

    internal abstract void Write(ref OfpWriter w);

    internal const string BadLen = "OFPBPC_BAD_LEN";

    /// <summary>Writes a property header (the length excludes the padding).</summary>
    private protected static void WriteHeader(ref OfpWriter w, ushort type, int len)
    {
        w.WriteU16(type);
        w.WriteU16((ushort)len);
    }

    private protected static void PadTo8(ref OfpWriter w, int len) => w.WriteZeros(Pad.To8(len) - len);

    /// <summary>
    /// Reads one property as ofpprop_pull does: at least 4 bytes, length at least 4 with its padding
    /// inside the bytes left, experimenter properties (type 0xffff) at least 12 bytes with a non-zero
    /// experimenter. A value shorter than its type needs is OVS's OFPBPC_BAD_LEN.
    /// </summary>
    internal static CtProperty Read(ref OfpReader r, bool nested)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < 4)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"ct flush property header needs 4 bytes, {r.Remaining} left", at, BadLen);
        }
        ushort type = r.PeekU16("ct flush property type");
        ushort len = r.PeekU16At(2, "ct flush property length");
        if (len < 4 || Pad.To8(len) > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"ct flush property length {len} (padded to 8) does not fit the {r.Remaining} bytes left", at, BadLen);
        }
        if (type == 0xffff)
        {
            if (len < 12) throw new OfpProtocolException(OfpErrorKind.BadLength, $"experimenter property length {len} is below 12", at, BadLen);
            if (r.PeekU32At(4, "property experimenter") == 0)
            {
                throw new OfpProtocolException(OfpErrorKind.BadValue, "experimenter property with experimenter 0", at, "OFPBPC_BAD_EXPERIMENTER");
            }
        }
        var whole = r.ReadMemory(Pad.To8(len), "ct flush property");
        var span = whole.Span;
        bool zeroPad = span[len..].IndexOfAnyExcept((byte)0) < 0;
        int payload = len - 4;
        if (!nested && type is 0 or 1)
        {
            if (len < 8) throw new OfpProtocolException(OfpErrorKind.BadLength, $"ct tuple property length {len} is below 8", at, BadLen);
            if (span[4..8].IndexOfAnyExcept((byte)0) >= 0)
            {
                throw new OfpProtocolException(OfpErrorKind.BadValue, "ct tuple property padding must be zero", at + 4);
            }
            var sub = new OfpReader(whole[8..len], at + 8);
            var fields = new List<CtProperty>();
            while (!sub.End) fields.Add(Read(ref sub, nested: true));
            return new CtTupleProperty(type == 1, fields);
        }
        int need = (nested, type) switch
        {
            (false, 2) => 2,
            (true, 0 or 1) => 16,
            (true, 2 or 3 or 4) => 2,
            (true, 5 or 6) => 1,
            _ => 0,
        };
        if (need == 0) return new RawCtProperty(whole);
        if (payload < need)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"ct flush property type {type} has {payload} value bytes, needs {need}", at, BadLen);
        }
        var v = span[4..];
        return (nested, type) switch
        {
            (false, 2) when len == 8 && zeroPad && v[2] == 0 && v[3] == 0 => new CtZoneProperty((ushort)(v[0] << 8 | v[1])),
            (true, 0 or 1) when len == 20 && zeroPad => new CtAddressProperty(type == 1, ReadU128(v)),
            (true, 2 or 3 or 4) when len == 8 && zeroPad && v[2] == 0 && v[3] == 0 => new CtPortProperty((CtTupleField)type, (ushort)(v[0] << 8 | v[1])),
            (true, 5 or 6) when len == 5 && zeroPad => new CtIcmpProperty((CtTupleField)type, v[0]),
            _ => new RawCtProperty(whole),
        };
    }

    internal static UInt128 ReadU128(ReadOnlySpan<byte> b)
    {
        UInt128 x = 0;
        for (int i = 0; i < 16; i++) x = (x << 8) | b[i];
        return x;
    }
}

/// <summary>NXT_CT_ORIG_TUPLE (0) / NXT_CT_REPLY_TUPLE (1): the fields of one direction's 5-tuple.</summary>
public sealed record CtTupleProperty(bool IsReply, EquatableArray<CtProperty> Fields) : CtProperty
{
    private int Length
    {
        get
        {
            int n = 8;
            foreach (var f in Fields) n += f.WireLength;
            return n;
        }
    }

    public override int WireLength => Pad.To8(Length);

    internal override void Write(ref OfpWriter w)
    {
        WriteHeader(ref w, (ushort)(IsReply ? 1 : 0), Length);
        w.WriteZeros(4);
        foreach (var f in Fields) f.Write(ref w);
        PadTo8(ref w, Length);
    }
}

/// <summary>NXT_CT_ZONE_ID (2): the zone to flush in, as OVS encodes a u16 property (value + 2 zero bytes).</summary>
public sealed record CtZoneProperty(ushort Zone) : CtProperty
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        WriteHeader(ref w, 2, 8);
        w.WriteU16(Zone);
        w.WriteZeros(2);
    }
}

/// <summary>NXT_CT_TUPLE_SRC / _DST: an IPv6 address, or an IPv4 address mapped into IPv6 (::ffff:a.b.c.d).</summary>
public sealed record CtAddressProperty(bool IsDst, UInt128 Address) : CtProperty
{
    public override int WireLength => 24;

    internal override void Write(ref OfpWriter w)
    {
        WriteHeader(ref w, (ushort)(IsDst ? 1 : 0), 20);
        w.WriteU64((ulong)(Address >> 64));
        w.WriteU64((ulong)Address);
        PadTo8(ref w, 20);
    }
}

/// <summary>NXT_CT_TUPLE_SRC_PORT / _DST_PORT / _ICMP_ID: a be16 value (+ 2 zero bytes).</summary>
public sealed record CtPortProperty(CtTupleField Field, ushort Value) : CtProperty
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        WriteHeader(ref w, (ushort)Field, 8);
        w.WriteU16(Value);
        w.WriteZeros(2);
    }
}

/// <summary>NXT_CT_TUPLE_ICMP_TYPE / _ICMP_CODE: a u8 value (property length 5).</summary>
public sealed record CtIcmpProperty(CtTupleField Field, byte Value) : CtProperty
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        WriteHeader(ref w, (ushort)Field, 5);
        w.WriteU8(Value);
        PadTo8(ref w, 5);
    }
}

/// <summary>A property kept as sent (header, value and padding): unknown to OVS, or not in OVS's own encoding.</summary>
public sealed record RawCtProperty(Bytes Property) : CtProperty
{
    public override int WireLength => Property.Length;
    internal override void Write(ref OfpWriter w) => w.WriteBytes(Property.Span);
}
