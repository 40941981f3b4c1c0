using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Match;

/// <summary>
/// An OpenFlow 1.3 match (OpenFlow 1.3.5 §7.2.2): an ordered list of OXM TLVs. Wire order is kept,
/// so a decoded match re-encodes byte for byte.
/// <code>
/// struct ofp_match {
///     uint16_t type;      /* OFPMT_OXM = 1 */
///     uint16_t length;    /* 4 + OXM bytes, excluding padding */
///     uint8_t oxm_fields[0];
///     uint8_t pad[];      /* to a multiple of 8 */
/// };
/// </code>
/// </summary>
public sealed partial record OfpMatch(EquatableArray<OxmEntry> Fields)
{
    public static readonly OfpMatch Any = new(EquatableArray<OxmEntry>.Empty);

    public OfpMatch(params OxmEntry[] fields) : this(new EquatableArray<OxmEntry>(fields)) { }

    /// <summary>ofp_match.length: header plus OXMs, without the trailing padding.</summary>
    public int UnpaddedLength
    {
        get
        {
            int n = 4;
            foreach (var f in Fields) n += f.WireLength;
            return n;
        }
    }

    public int WireLength => Pad.To8(UnpaddedLength);

    public OxmEntry? Find(MfId id)
    {
        foreach (var f in Fields) if (f.Field?.Id == id) return f;
        return null;
    }

    internal void Write(ref OfpWriter w)
    {
        int start = w.Position;
        w.WriteU16(1);
        w.WriteU16((ushort)UnpaddedLength);
        foreach (var f in Fields) f.Write(ref w);
        w.PadTo8(start);
    }

    internal static OfpMatch Read(ref OfpReader r)
    {
        int start = r.AbsolutePosition;
        ushort type = r.ReadU16("match type");
        ushort len = r.ReadU16("match length");
        if (type != 1) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"match type {type} is not OFPMT_OXM (1)", start);
        if (len < 4) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"match length {len} is below 4", start);
        int padded = Pad.To8(len);
        if (padded - 4 > r.Remaining) throw new OfpProtocolException(OfpErrorKind.BadMatch, $"match length {len} overruns the message", start);
        var body = r.ReadSub(len - 4, "match body");
        r.Skip(padded - len, "match padding");
        if (body.End) return Any;
        var list = new List<OxmEntry>();
        while (!body.End) list.Add(OxmEntry.Read(ref body));
        return new OfpMatch(new EquatableArray<OxmEntry>(list.ToArray()));
    }
}
