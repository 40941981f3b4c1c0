using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// One flow_mod_spec of a learn action: what the learned flow matches on, loads, or outputs to.
/// <code>
/// flow_mod_spec:
///     ovs_be16 header;      /* bit 13: src (0 field, 1 immediate); bits 11-12: dst (0 match,
///                              1 load, 2 output); bits 0-9: n_bits; bits 14-15 reserved */
///     src: field  -> ovs_be32 src_field; ovs_be16 src_ofs;
///          immediate -> 2 * ceil(n_bits / 16) bytes, value right-aligned
///     dst: match/load -> ovs_be32 dst_field; ovs_be16 dst_ofs;   output -> nothing
/// </code>
/// A zero header ends the list (the rest of the action is zero padding). Field headers here are
/// always 4 bytes, so experimenter (class 0xffff) fields cannot be used.
/// Build specs with the static factories, e.g.
/// <c>LearnSpec.Match(MfId.EthDst, MfId.EthSrc)</c> for <c>NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]</c>.
/// </summary>
public abstract record LearnSpec
{
    internal const ushort SrcImmediate = 1 << 13;
    internal const ushort DstLoad = 1 << 11;
    internal const ushort DstOutput = 2 << 11;

    /// <summary>Number of bits the spec copies, matches or loads.</summary>
    public abstract int NBits { get; }

    internal abstract ushort TypeBits { get; }

    internal abstract int WireLength { get; }

    internal abstract void WriteBody(ref OfpWriter w);

    /// <summary>Appends the spec as learn_format (lib/learn.c) prints it.</summary>
    public abstract void Format(StringBuilder s);

    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb);
        return sb.ToString();
    }

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16((ushort)(NBits | TypeBits));
        WriteBody(ref w);
    }

    internal static void WriteField(ref OfpWriter w, Subfield sf)
    {
        w.WriteU32(sf.Ref.Header);
        w.WriteU16((ushort)sf.Ofs);
    }

    /// <summary>Bytes an immediate of <paramref name="nBits"/> occupies on the wire: 2 * ceil(n/16).</summary>
    internal static int ImmediateWireBytes(int nBits) => 2 * ((nBits + 15) / 16);

    /// <summary>Significant bytes of an immediate: ceil(n/8) (what OVS keeps and prints).</summary>
    internal static int ImmediateBytes(int nBits) => (nBits + 7) / 8;

    internal static UInt128 ByteMask(int nBytes) => nBytes >= 16 ? UInt128.MaxValue : (UInt128.One << (nBytes * 8)) - 1;

    internal static void WriteImmediate(ref OfpWriter w, UInt128 value, int nBits) =>
        OxmEntry.WriteValue(ref w, value, ImmediateWireBytes(nBits));

    // ---- builder API ----

    /// <summary><c>DST[]=SRC[]</c>: the learned flow matches field <paramref name="dst"/> on the value <paramref name="src"/> has now.</summary>
    public static LearnMatchField Match(MfId dst, MfId src) => Match(Subfield.Whole(dst), Subfield.Whole(src));

    /// <summary><c>FIELD[]</c>: the learned flow matches the field on its current value.</summary>
    public static LearnMatchField Match(MfId field) => Match(Subfield.Whole(field), Subfield.Whole(field));

    /// <summary><c>DST[a..b]=SRC[c..d]</c> (equal widths).</summary>
    public static LearnMatchField Match(Subfield dst, Subfield src)
    {
        Check(dst, nameof(dst));
        Check(src, nameof(src));
        SameWidth(src, dst);
        return new LearnMatchField(dst, src);
    }

    /// <summary><c>name=value</c>: the learned flow matches the whole field on a constant (e.g. eth_type=0x800).</summary>
    public static LearnMatchValue MatchValue(MfId field, UInt128 value) => MatchValue(Subfield.Whole(field), value);

    /// <summary><c>DST[a..b]=0x..</c>: the learned flow matches some bits of a field on a constant.</summary>
    public static LearnMatchValue MatchValue(Subfield dst, UInt128 value)
    {
        Check(dst, nameof(dst));
        Fits(value, dst.NBits);
        return new LearnMatchValue(dst, value);
    }

    /// <summary><c>load:SRC[]-&gt;DST[]</c>: the learned flow loads into <paramref name="dst"/> the value <paramref name="src"/> has now.</summary>
    public static LearnLoadField Load(MfId src, MfId dst) => Load(Subfield.Whole(src), Subfield.Whole(dst));

    /// <summary><c>load:SRC[a..b]-&gt;DST[c..d]</c> (equal widths; the destination must be writable).</summary>
    public static LearnLoadField Load(Subfield src, Subfield dst)
    {
        Check(src, nameof(src));
        Check(dst, nameof(dst));
        Writable(dst);
        SameWidth(src, dst);
        return new LearnLoadField(src, dst);
    }

    /// <summary><c>load:0x..-&gt;DST[a..b]</c>: the learned flow loads a constant.</summary>
    public static LearnLoadValue LoadValue(UInt128 value, Subfield dst)
    {
        Check(dst, nameof(dst));
        Writable(dst);
        Fits(value, dst.NBits);
        return new LearnLoadValue(value, dst);
    }

    /// <summary><c>output:SRC[]</c>: the learned flow outputs to the port number <paramref name="src"/> holds now.</summary>
    public static LearnOutput Output(MfId src) => Output(Subfield.Whole(src));

    public static LearnOutput Output(Subfield src)
    {
        Check(src, nameof(src));
        return new LearnOutput(src);
    }

    private static void Check(Subfield sf, string param)
    {
        NxWire.Require32(sf, param);
        if (sf.NBits > 0x3ff) throw new ArgumentException($"{sf}: a learn spec holds at most 1023 bits", param);
    }

    private static void Writable(Subfield dst)
    {
        if (dst.Ref.Field is { Writable: false } f) throw new ArgumentException($"{f.RefName} is read-only", nameof(dst));
    }

    private static void SameWidth(Subfield src, Subfield dst)
    {
        if (src.NBits != dst.NBits) throw new ArgumentException($"bit widths of {src} ({src.NBits}) and {dst} ({dst.NBits}) differ");
    }

    private static void Fits(UInt128 value, int nBits)
    {
        if (nBits < 128 && (value >> nBits) != 0) throw new ArgumentException($"value 0x{value:x} does not fit into {nBits} bits", nameof(value));
    }
}

/// <summary>
/// Match spec with a field source: the learned flow matches <see cref="Dst"/> on the value
/// <see cref="Src"/> has in the packet being processed. Prints <c>NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]</c>,
/// or just <c>NXM_NX_REG0[]</c> when source and destination are the same bits of the same field.
/// </summary>
public sealed record LearnMatchField(Subfield Dst, Subfield Src) : LearnSpec
{
    public override int NBits => Dst.NBits;
    internal override ushort TypeBits => 0;
    internal override int WireLength => 14;

    internal override void WriteBody(ref OfpWriter w)
    {
        WriteField(ref w, Src);
        WriteField(ref w, Dst);
    }

    public override void Format(StringBuilder s)
    {
        s.Append(Dst.ToString());
        if (Src.Ref.Field?.Id != Dst.Ref.Field?.Id || Src.Ofs != Dst.Ofs) s.Append('=').Append(Src.ToString());
    }
}

/// <summary>
/// Match spec with an immediate source: the learned flow matches <see cref="Dst"/> on a constant.
/// <see cref="Value"/> holds the wire immediate (right-aligned). A match on a whole field prints as
/// <c>name=value</c> in the field's own syntax (<c>eth_type=0x800</c>, <c>in_port=LOCAL</c>,
/// <c>ip_src=10.0.0.1</c>); a partial one as <c>NXM_NX_REG0[0..7]=0x5</c>.
/// </summary>
public sealed record LearnMatchValue(Subfield Dst, UInt128 Value) : LearnSpec
{
    public override int NBits => Dst.NBits;
    internal override ushort TypeBits => SrcImmediate;
    internal override int WireLength => 2 + ImmediateWireBytes(NBits) + 6;

    internal override void WriteBody(ref OfpWriter w)
    {
        WriteImmediate(ref w, Value, NBits);
        WriteField(ref w, Dst);
    }

    public override void Format(StringBuilder s)
    {
        int nBytes = ImmediateBytes(NBits);
        UInt128 v = Value & ByteMask(nBytes);
        if (Dst.Ref.Field is { } f && Dst.Ofs == 0 && Dst.NBits == f.NBits)
        {
            s.Append(f.Name).Append('=').Append(OfctlFormat.FieldValue(f, v, null));
        }
        else
        {
            s.Append(Dst.ToString()).Append('=').Append(OfctlFormat.Hex(v, nBytes));
        }
    }
}

/// <summary>Load spec with a field source. Prints <c>load:NXM_OF_IN_PORT[]-&gt;NXM_NX_REG0[0..15]</c>.</summary>
public sealed record LearnLoadField(Subfield Src, Subfield Dst) : LearnSpec
{
    public override int NBits => Dst.NBits;
    internal override ushort TypeBits => DstLoad;
    internal override int WireLength => 14;

    internal override void WriteBody(ref OfpWriter w)
    {
        WriteField(ref w, Src);
        WriteField(ref w, Dst);
    }

    public override void Format(StringBuilder s) => s.Append("load:").Append(Src.ToString()).Append("->").Append(Dst.ToString());
}

/// <summary>Load spec with an immediate source. Prints <c>load:0x1-&gt;NXM_NX_REG1[0..7]</c>.</summary>
public sealed record LearnLoadValue(UInt128 Value, Subfield Dst) : LearnSpec
{
    public override int NBits => Dst.NBits;
    internal override ushort TypeBits => SrcImmediate | DstLoad;
    internal override int WireLength => 2 + ImmediateWireBytes(NBits) + 6;

    internal override void WriteBody(ref OfpWriter w)
    {
        WriteImmediate(ref w, Value, NBits);
        WriteField(ref w, Dst);
    }

    public override void Format(StringBuilder s)
    {
        int nBytes = ImmediateBytes(NBits);
        s.Append("load:").Append(OfctlFormat.Hex(Value & ByteMask(nBytes), nBytes)).Append("->").Append(Dst.ToString());
    }
}

/// <summary>Output spec: the learned flow outputs to the port held in <see cref="Src"/>. Prints <c>output:NXM_OF_IN_PORT[]</c>.</summary>
public sealed record LearnOutput(Subfield Src) : LearnSpec
{
    public override int NBits => Src.NBits;
    internal override ushort TypeBits => DstOutput;
    internal override int WireLength => 8;

    internal override void WriteBody(ref OfpWriter w) => WriteField(ref w, Src);

    public override void Format(StringBuilder s) => s.Append("output:").Append(Src.ToString());
}
