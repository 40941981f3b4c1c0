using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// A reference to a field by its NXM/OXM header, as Nicira actions carry it (reg_move, learn,
/// multipath, ...): 4 bytes, or 8 with the experimenter id when the class is 0xffff. The header
/// is kept as sent so it re-encodes byte for byte.
/// </summary>
public readonly record struct FieldRef(uint Header, uint Experimenter = 0)
{
    public ushort Class => (ushort)(Header >> 16);
    public byte Code => (byte)((Header >> 9) & 0x7f);
    public FieldInfo? Field => FieldTable.ByHeader(Class, Code, Experimenter);
    public int WireLength => Class == 0xffff ? 8 : 4;

    /// <summary>Header for a known field, NXM header preferred (what ovs-ofctl emits in Nicira actions).</summary>
    public static FieldRef Of(MfId id)
    {
        var f = FieldTable.Get(id);
        if (f.NxmName is not null) return new(((uint)f.NxmClass << 16) | ((uint)f.NxmField << 9) | (uint)(f.NxmClass == 0xffff ? f.Width + 4 : f.Width), f.NxmExperimenter);
        return new(((uint)f.OxmClass << 16) | ((uint)f.OxmField << 9) | (uint)(f.OxmClass == 0xffff ? f.Width + 4 : f.Width), f.OxmExperimenter);
    }

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(Header);
        if (Class == 0xffff) w.WriteU32(Experimenter);
    }

    internal static FieldRef Read(ref OfpReader r)
    {
        uint h = r.ReadU32("field header");
        uint exp = (h >> 16) == 0xffff ? r.ReadU32("field experimenter") : 0;
        return new FieldRef(h, exp);
    }

    /// <summary>Checks that [ofs, ofs+nBits) lies inside the field (OVS mf_check_src/dst).</summary>
    internal void CheckRange(int ofs, int nBits, string what, int at)
    {
        var f = Field ?? throw new OfpProtocolException(OfpErrorKind.BadAction, $"{what}: unknown field header 0x{Header:x8}", at);
        if (nBits <= 0 || ofs < 0 || ofs + nBits > f.NBits)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{what}: bits {ofs}..{ofs + nBits - 1} are outside {f.RefName} ({f.NBits} bits)", at);
        }
    }

    public string Format(int ofs, int nBits) => OfctlFormat.Subfield(Field, ofs, nBits);
}

/// <summary>A bit range of a field: <c>NXM_NX_REG0[0..15]</c>.</summary>
public readonly record struct Subfield(FieldRef Ref, int Ofs, int NBits)
{
    public static Subfield Whole(MfId id) => new(FieldRef.Of(id), 0, FieldTable.Get(id).NBits);
    public static Subfield Bits(MfId id, int ofs, int nBits) => new(FieldRef.Of(id), ofs, nBits);
    public override string ToString() => Ref.Format(Ofs, NBits);
}
