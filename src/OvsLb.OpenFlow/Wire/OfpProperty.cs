namespace OvsLb.OpenFlow.Wire;

/// <summary>
/// One ofp_prop_header TLV (OpenFlow 1.3.5 §7.2.3.x property lists; lib/ofp-prop.c), the shape shared by
/// NXAC2PT_* (controller2 action), NXPINT_* (packet-in2) and NXCPT_* (continuation) properties:
/// <code>
/// struct ofp_prop_header {
///     ovs_be16 type;
///     ovs_be16 len;      /* 4 + payload, excluding the zero padding to a multiple of 8 */
/// };
/// </code>
/// Each property knows its type, its unpadded length and how to write its payload; the header and
/// padding are written by <see cref="WriteList{T}"/>.
/// </summary>
public abstract record OfpProperty
{
    /// <summary>The property type.</summary>
    public abstract ushort Type { get; }
    /// <summary>Property length on the wire: 4 + payload, before padding to 8.</summary>
    public abstract int Length { get; }
    internal abstract void WriteValue(ref OfpWriter w);

    /// <summary>Bytes the properties take on the wire, each padded to 8.</summary>
    public static int ListLength<T>(EquatableArray<T> properties) where T : OfpProperty
    {
        int n = 0;
        foreach (var p in properties) n += Pad.To8(p.Length);
        return n;
    }

    /// <summary>Writes each property: header, payload, zero padding to 8.</summary>
    internal static void WriteList<T>(ref OfpWriter w, EquatableArray<T> properties) where T : OfpProperty
    {
        foreach (var p in properties)
        {
            int start = w.Position;
            w.WriteU16(p.Type);
            w.WriteU16((ushort)p.Length);
            p.WriteValue(ref w);
            w.PadTo8(start);
        }
    }
}
