using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// Decoding checks shared by the Nicira actions: exact lengths, must-be-zero padding, and field
/// references the way OVS validates them (lib/nx-match.c nxm_field_by_header, lib/meta-flow.c
/// mf_check_src / mf_check_dst). Padding that OVS ignores is rejected here when it is not zero,
/// because a value that silently drops bytes could not re-encode byte for byte.
/// </summary>
internal static class NxWire
{
    /// <summary>Size of the common Nicira action header (type, len, vendor, subtype).</summary>
    public const int HeaderLength = 10;

    /// <summary>Requires the whole action to be exactly <paramref name="total"/> bytes.</summary>
    public static void ExpectLength(in OfpReader r, int total, string name, int at)
    {
        int len = r.Remaining + HeaderLength;
        if (len != total)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: length {len} (must be {total})", at);
        }
    }

    /// <summary>Requires the whole action to be at least <paramref name="min"/> bytes.</summary>
    public static void ExpectMinLength(in OfpReader r, int min, string name, int at)
    {
        int len = r.Remaining + HeaderLength;
        if (len < min)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: length {len} is below the minimum {min}", at);
        }
    }

    /// <summary>Skips <paramref name="n"/> bytes that must be zero.</summary>
    public static void Zeros(ref OfpReader r, int n, string what, int at)
    {
        var span = r.ReadMemory(n, what).Span;
        if (span.ContainsAnyExcept((byte)0))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{what} must be zero", at);
        }
    }

    /// <summary>
    /// Consumes the rest of an action as trailing padding: all zero and shorter than 8 bytes (what
    /// pad_ofpat writes), so the action re-encodes to the same length.
    /// </summary>
    public static void TrailingPad(ref OfpReader r, string name, int at)
    {
        int n = r.Remaining;
        if (n >= 8)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: {n} unused bytes at the end (at most 7 bytes of padding)", at);
        }
        Zeros(ref r, n, $"{name}: trailing padding", at);
    }

    /// <summary>Decodes nxm "ofs_nbits": <c>(ofs &lt;&lt; 6) | (n_bits - 1)</c>.</summary>
    public static (int Ofs, int NBits) OfsNbits(ushort v) => (v >> 6, (v & 63) + 1);

    public static ushort EncodeOfsNbits(Subfield sf) => (ushort)((sf.Ofs << 6) | (sf.NBits - 1));

    /// <summary>
    /// Reads a 4-byte field header (the slot Nicira actions such as learn, multipath and ct use);
    /// an experimenter (class 0xffff) field cannot be named in such a slot.
    /// </summary>
    public static FieldRef ReadHeader32(ref OfpReader r, string what) => new(r.ReadU32(what));

    /// <summary>
    /// Finds the field a header names. Like OVS, a header with the has-mask bit is accepted as the
    /// exact header of half the length; any other length is an unknown field.
    /// </summary>
    public static FieldInfo Resolve(FieldRef fr, string what, int at)
    {
        var f = fr.Field;
        int len = (int)(fr.Header & 0xff);
        int expLen = fr.Class == 0xffff ? 4 : 0;
        bool hm = (fr.Header & 0x100) != 0;
        int payload = len - expLen;
        if (hm) payload /= 2;
        if (f is null || payload != f.Width || (hm && (len - expLen) % 2 != 0))
        {
            string exp = fr.Class == 0xffff ? $" (experimenter 0x{fr.Experimenter:x8})" : "";
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{what}: unknown field header 0x{fr.Header:x8}{exp}", at);
        }
        return f;
    }

    /// <summary>mf_check_src: the field is known and the bit range lies inside it.</summary>
    public static Subfield Src(FieldRef fr, int ofs, int nBits, string what, int at)
    {
        var f = Resolve(fr, what, at);
        if (nBits <= 0 || ofs < 0 || ofs + nBits > f.NBits)
        {
            string range = nBits == 1 ? $"{ofs}" : $"{ofs}..{ofs + nBits - 1}";
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{what}: bits {range} are outside {f.RefName} ({f.NBits} bits)", at);
        }
        return new Subfield(fr, ofs, nBits);
    }

    /// <summary>mf_check_dst: as <see cref="Src"/>, and the field must be writable.</summary>
    public static Subfield Dst(FieldRef fr, int ofs, int nBits, string what, int at)
    {
        var sf = Src(fr, ofs, nBits, what, at);
        var f = fr.Field!;
        if (!f.Writable)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{what}: {f.RefName} is read-only", at);
        }
        return sf;
    }

    /// <summary>Argument check for the builder APIs: a field that fits a 4-byte header slot.</summary>
    public static void Require32(Subfield sf, string param)
    {
        if (sf.Ref.Class == 0xffff)
        {
            throw new ArgumentException($"{sf} has only an experimenter (8-byte) header, which this action cannot carry", param);
        }
        var f = sf.Ref.Field ?? throw new ArgumentException($"unknown field header 0x{sf.Ref.Header:x8}", param);
        if (sf.NBits <= 0 || sf.Ofs < 0 || sf.Ofs + sf.NBits > f.NBits)
        {
            throw new ArgumentException($"bits {sf.Ofs}+{sf.NBits} are outside {f.RefName} ({f.NBits} bits)", param);
        }
    }
}
