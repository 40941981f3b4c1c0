namespace OvsLb.OpenFlow.Wire;

/// <summary>
/// Reads ofp_prop_header TLVs (see <see cref="OfpProperty"/>) as ofpprop_pull does (lib/ofp-prop.c):
/// length at least 4 (12 for an experimenter property, type 0xffff, whose experimenter id must be
/// nonzero), padded to 8 within the bytes left. The padding must be zero here so the owner re-encodes
/// unchanged. One walker serves every property list (controller2 action, PACKET_IN2, continuation);
/// the caller passes the <see cref="OfpErrorKind"/> its context reports (a bad action property is a
/// bad action, a bad PACKET_IN2 property a bad length), while the OVS error name is OVS's own
/// (OFPBPC_BAD_LEN / OFPBPC_BAD_EXPERIMENTER) in both.
/// </summary>
internal static class OfpPropertyReader
{
    private const string BadLen = "OFPBPC_BAD_LEN";

    // The owner ("NXT_PACKET_IN2", "controller2", ...) and property name are passed apart and joined only
    // when an error is thrown: PACKET_IN2 is decoded per packet-in, and well-formed properties must not
    // pay for error texts.

    /// <summary>Reads one property header and returns a reader over its payload (padding consumed).</summary>
    public static OfpReader Next(ref OfpReader r, string owner, OfpErrorKind kind, out ushort type, out int at)
    {
        at = r.AbsolutePosition;
        if (r.Remaining < 4)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"{owner}: property header needs 4 bytes, {r.Remaining} left", at, BadLen);
        }
        type = r.ReadU16();
        ushort len = r.ReadU16();
        if (len < 4)
        {
            throw new OfpProtocolException(kind, $"{owner}: property {type} has length {len} (minimum 4)", at, BadLen);
        }
        if (Pad.To8(len) - 4 > r.Remaining)
        {
            throw new OfpProtocolException(kind, $"{owner}: property {type} length {len} overruns the {r.Remaining + 4} bytes left", at, BadLen);
        }
        var body = r.ReadSub(len - 4, "property");
        var pad = r.ReadMemory(Pad.To8(len) - len, "property padding").Span;
        if (pad.ContainsAnyExcept((byte)0))
        {
            throw new OfpProtocolException(NonZero(kind), $"{owner}: property {type} padding is not zero", at);
        }
        if (type == 0xffff && (body.Remaining < 8 || body.PeekU32At(0) == 0))
        {
            throw new OfpProtocolException(kind, $"{owner}: experimenter property needs a nonzero experimenter id and exp_type", at,
                body.Remaining < 8 ? BadLen : "OFPBPC_BAD_EXPERIMENTER");
        }
        return body;
    }

    /// <summary>
    /// Requires an exact payload size (OVS ofpprop_parse_u32/uuid; for u8 and u16 OVS accepts longer
    /// payloads and ignores the rest, which could not re-encode unchanged, so those are rejected).
    /// </summary>
    public static void Fixed(in OfpReader body, int n, string owner, string name, OfpErrorKind kind, int at)
    {
        if (body.Remaining != n)
        {
            throw new OfpProtocolException(kind, $"{owner}: {name} property has a {body.Remaining}-byte payload (must be {n})", at, BadLen);
        }
    }

    /// <summary>ofpprop_parse_be64: 4 zero bytes of alignment, then the value.</summary>
    public static ulong Be64(ref OfpReader body, string owner, string name, OfpErrorKind kind, int at)
    {
        Fixed(body, 12, owner, name, kind, at);
        Alignment(ref body, owner, name, kind, at);
        return body.ReadU64(name);
    }

    /// <summary>ofpprop_parse_nested: 4 zero bytes, then the nested content.</summary>
    public static void NestedPad(ref OfpReader body, string owner, string name, OfpErrorKind kind, int at)
    {
        if (body.Remaining < 4)
        {
            throw new OfpProtocolException(kind, $"{owner}: {name} property is shorter than its 4 alignment bytes", at, BadLen);
        }
        Alignment(ref body, owner, name, kind, at);
    }

    /// <summary>
    /// The kind for nonzero padding or alignment bytes: a bad value (OVS ignores them, this codec refuses
    /// them only to re-encode unchanged), except where the context reports every fault as its own kind
    /// (a bad action).
    /// </summary>
    private static OfpErrorKind NonZero(OfpErrorKind kind) => kind == OfpErrorKind.BadLength ? OfpErrorKind.BadValue : kind;

    private static void Alignment(ref OfpReader body, string owner, string name, OfpErrorKind kind, int at)
    {
        if (body.ReadU32() != 0)
        {
            throw new OfpProtocolException(NonZero(kind), $"{owner}: {name} property: alignment bytes are not zero", at);
        }
    }
}
