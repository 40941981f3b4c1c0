using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Match;

/// <summary>
/// One OXM/NXM TLV. Known fields keep their value and mask as numbers (up to 128 bits); a TLV whose
/// header OVS 3.1 does not know, or whose payload is longer than 16 bytes, is kept whole in
/// <see cref="Raw"/> and re-encoded byte for byte.
/// </summary>
public sealed record OxmEntry
{
    public required ushort Class { get; init; }
    public required byte FieldCode { get; init; }
    /// <summary>Experimenter id for class 0xffff, else 0.</summary>
    public uint Experimenter { get; init; }
    public bool HasMask { get; init; }
    /// <summary>Value length in bytes (the mask, when present, has the same length).</summary>
    public required int ValueLength { get; init; }
    public UInt128 Value { get; init; }
    public UInt128 Mask { get; init; }
    /// <summary>The whole TLV (header included) for entries kept as raw bytes; empty otherwise.</summary>
    public Bytes Raw { get; init; }

    public FieldInfo? Field => Raw.IsEmpty ? FieldTable.ByHeader(Class, FieldCode, Experimenter) : null;

    /// <summary>The effective mask: the given one, or all ones over the value's width.</summary>
    public UInt128 EffectiveMask => HasMask ? Mask : (ValueLength >= 16 ? UInt128.MaxValue : (UInt128.One << (ValueLength * 8)) - 1);

    private int HeaderLength => Class == 0xffff ? 8 : 4;

    public int WireLength => Raw.IsEmpty ? HeaderLength + ValueLength * (HasMask ? 2 : 1) : Raw.Length;

    /// <summary>An exact or masked match on a known field, using its OpenFlow 1.3 header.</summary>
    public static OxmEntry For(MfId id, UInt128 value, UInt128? mask = null)
    {
        var f = FieldTable.Get(id);
        var (cls, code, exp) = f.PreferredHeader;
        if (mask is { } m && m == f.FullMask && f.NBits == f.Width * 8) mask = null;
        return new OxmEntry { Class = cls, FieldCode = code, Experimenter = exp, ValueLength = f.Width, Value = value, HasMask = mask is not null, Mask = mask ?? UInt128.Zero };
    }

    internal void Write(ref OfpWriter w)
    {
        if (!Raw.IsEmpty)
        {
            w.WriteBytes(Raw.Span);
            return;
        }
        int payload = ValueLength * (HasMask ? 2 : 1) + (Class == 0xffff ? 4 : 0);
        w.WriteU32(((uint)Class << 16) | ((uint)FieldCode << 9) | (HasMask ? 0x100u : 0u) | (uint)payload);
        if (Class == 0xffff) w.WriteU32(Experimenter);
        WriteValue(ref w, Value, ValueLength);
        if (HasMask) WriteValue(ref w, Mask, ValueLength);
    }

    internal static void WriteValue(ref OfpWriter w, UInt128 v, int len)
    {
        if (len <= 8)
        {
            w.WriteUIntN((ulong)v, len);
            return;
        }
        w.WriteUIntN((ulong)(v >> 64), len - 8);
        w.WriteU64((ulong)v);
    }

    internal static UInt128 ReadValue(ReadOnlySpan<byte> s)
    {
        UInt128 v = 0;
        foreach (var b in s) v = (v << 8) | b;
        return v;
    }

    /// <summary>
    /// Reads the one OXM an action carries (set_field, NXAST_REG_LOAD2) followed by its padding; null when
    /// the rest is not 0-7 zero bytes, so the caller keeps the action whole as raw bytes (OVS refuses such
    /// padding with OFPBAC_BAD_SET_ARGUMENT) and it re-encodes unchanged.
    /// </summary>
    internal static OxmEntry? ReadPadded(ref OfpReader r)
    {
        var e = Read(ref r);
        return r.Rest.TrimStart((byte)0).IsEmpty && r.Remaining < 8 ? e : null;
    }

    /// <summary>
    /// Decodes one TLV (OpenFlow 1.3.5 §7.2.3.2). Rejects a payload that overruns the match, a masked
    /// TLV with an odd payload, and a value with bits set outside its mask (OVS: OFPBMC_BAD_WILDCARDS).
    /// </summary>
    internal static OxmEntry Read(ref OfpReader r)
    {
        int start = r.AbsolutePosition;
        var tlvStart = r.RestMemory;
        uint header = r.ReadU32("oxm header");
        ushort cls = (ushort)(header >> 16);
        byte code = (byte)((header >> 9) & 0x7f);
        bool hm = (header & 0x100) != 0;
        int len = (int)(header & 0xff);
        if (len == 0) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"OXM 0x{header:x8} has zero length", start);
        if (len > r.Remaining) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"OXM 0x{header:x8} length {len} overruns the match ({r.Remaining} bytes left)", start);
        var payload = r.ReadSub(len, "oxm payload");
        uint exp = 0;
        if (cls == 0xffff)
        {
            if (len < 4) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"experimenter OXM 0x{header:x8} shorter than its experimenter id", start);
            exp = payload.ReadU32("oxm experimenter");
        }
        int body = payload.Remaining;
        if (hm && body % 2 != 0) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"masked OXM 0x{header:x8} has odd payload length {body}", start);
        int vlen = hm ? body / 2 : body;
        var field = FieldTable.ByHeader(cls, code, exp);
        if (field is null || vlen > 16 || vlen == 0 || vlen != field.Width)
        {
            // Unknown or oversize: keep the TLV whole so it round-trips unchanged.
            return new OxmEntry { Class = cls, FieldCode = code, Experimenter = exp, HasMask = hm, ValueLength = vlen, Raw = new Bytes(tlvStart[..(4 + len)]) };
        }
        var value = ReadValue(payload.ReadMemory(vlen).Span);
        var mask = hm ? ReadValue(payload.ReadMemory(vlen).Span) : UInt128.Zero;
        if (hm && (value & ~mask) != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{field.Name}: value has bits outside its mask", start);
        }
        return new OxmEntry { Class = cls, FieldCode = code, Experimenter = exp, HasMask = hm, ValueLength = vlen, Value = value, Mask = mask };
    }
}
