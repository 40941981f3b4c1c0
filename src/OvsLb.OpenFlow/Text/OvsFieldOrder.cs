using System.Collections.Frozen;
using System.Text;
using OvsLb.OpenFlow.Match;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// OVS's field ids (enum mf_field_id) for printing sets of fields the way lib/ofp-table.c does:
/// the id an OXM/NXM header names (nxm_field_by_header) and the abbreviated list of names
/// (print_mf_bitmap: <c>eth_{src,dst}</c>, <c>reg0...reg15</c>).
/// </summary>
internal static partial class OvsFieldOrder
{
    /// <summary>The experimenter id of OVS's NXOXM_NSH_* fields (class 0xffff).</summary>
    private const uint NshExperimenter = 0x005ad650;

    /// <summary>MFF_N_IDS.</summary>
    public static int Count => s_names.Length;

    private static class Index
    {
        public static readonly FrozenDictionary<string, int> ByName =
            s_names.Select((n, i) => (n, i)).ToFrozenDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
    }

    public static string Name(int id) => s_names[id];

    /// <summary>
    /// The field id an OXM/NXM header names, as nxm_field_by_header finds it: class, field and
    /// experimenter must be known and the value length (payload without the experimenter id, halved
    /// for a masked header) must be the field's, except for the variable-length tun_metadata fields.
    /// tun_metadata0..63 and nsh_c1..c4 are not in <see cref="FieldTable"/> and are recognized here.
    /// Null for a header OVS does not know (OFPBMC_BAD_FIELD).
    /// </summary>
    public static int? ByHeader(ushort cls, byte field, uint experimenter, bool hasMask, int oxmLength)
    {
        int payload = oxmLength - (cls == 0xffff ? 4 : 0);
        int valueLength = hasMask ? payload / 2 : payload;
        string? name = null;
        if (cls == 0x0001 && field is >= 40 and <= 103)
        {
            name = "tun_metadata" + (field - 40);
        }
        else if (cls == 0xffff && experimenter == NshExperimenter && field is >= 6 and <= 9)
        {
            if (valueLength == 4) name = "nsh_c" + (field - 5);
        }
        else if (FieldTable.ByHeader(cls, field, experimenter) is { } f && f.Width == valueLength)
        {
            name = f.Name;
        }
        return name is not null && Index.ByName.TryGetValue(name, out int id) ? id : null;
    }

    /// <summary>print_mf_bitmap: nothing for no field, else ' ' and the abbreviated names.</summary>
    public static void FormatSet(StringBuilder s, Bitmap256 fields)
    {
        var ids = new List<string>();
        for (int i = 0; i < Count; i++)
        {
            if (fields[i]) ids.Add(s_names[i]);
        }
        if (ids.Count == 0) return;
        s.Append(' ');
        PrintNames(s, ids, 0, ids.Count, 0);
    }

    /// <summary>
    /// print_names: groups with a common prefix ending in '_' print as <c>prefix{a,b}</c> (recursively),
    /// runs of names with consecutive numeric suffixes as <c>first...last</c> (preferred on a tie);
    /// groups are separated by ' ' at the top level and ',' inside braces.
    /// </summary>
    private static void PrintNames(StringBuilder s, List<string> ids, int at, int n, int prefixLen)
    {
        int group = 0;
        while (n > 0)
        {
            if (group++ > 0) s.Append(prefixLen > 0 ? ',' : ' ');
            int prefixRun = CommonPrefixRun(ids, at, n, prefixLen, out int extra);
            int suffixRun = SequentialSuffixRun(ids, at, n);
            int run = Math.Max(prefixRun, suffixRun);
            if (suffixRun >= prefixRun)
            {
                s.Append(ids[at], prefixLen, ids[at].Length - prefixLen);
                if (run > 1) s.Append("...").Append(ids[at + run - 1], prefixLen, ids[at + run - 1].Length - prefixLen);
            }
            else
            {
                s.Append(ids[at], prefixLen, extra).Append('{');
                PrintNames(s, ids, at, run, prefixLen + extra);
                s.Append('}');
            }
            at += run;
            n -= run;
        }
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s)
        {
            if (c is < '0' or > '9') return false;
        }
        return true;
    }

    /// <summary>are_names_sequential: the same but for a numeric suffix one larger (<c>reg0</c>, <c>reg1</c>).</summary>
    private static bool AreSequential(string a, string b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        if (i == a.Length && i == b.Length) return false;
        var ra = a.AsSpan(i);
        var rb = b.AsSpan(i);
        return IsAllDigits(ra) && IsAllDigits(rb) && ra.Length < 10 && rb.Length < 10 && long.Parse(ra) + 1 == long.Parse(rb);
    }

    /// <summary>count_sequential_suffix_run: at least 1; a run of exactly two counts as 1 ("x0 x1" beats "x0...x1").</summary>
    private static int SequentialSuffixRun(List<string> ids, int at, int n)
    {
        for (int i = 1; ; i++)
        {
            if (i >= n || !AreSequential(ids[at + i - 1], ids[at + i])) return i == 2 ? 1 : i;
        }
    }

    /// <summary>count_common_prefix: length of the longest common prefix of a and b that ends in '_'.</summary>
    private static int CommonPrefix(string a, int ai, string b, int bi)
    {
        int result = 0;
        for (int i = 0; ; i++)
        {
            char ca = ai + i < a.Length ? a[ai + i] : '\0';
            char cb = bi + i < b.Length ? b[bi + i] : '\0';
            if (ca != cb || ca == '\0') return result;
            if (ca == '_') result = i + 1;
        }
    }

    /// <summary>count_common_prefix_run: how many names from <paramref name="at"/> share an extra '_' prefix with the first.</summary>
    private static int CommonPrefixRun(List<string> ids, int at, int n, int prefixLen, out int extra)
    {
        extra = 0;
        if (n < 2) return n;
        int len = CommonPrefix(ids[at], prefixLen, ids[at + 1], prefixLen);
        if (len == 0) return 1;
        int i = 2;
        while (i < n && CommonPrefix(ids[at], prefixLen, ids[at + i], prefixLen) != 0) i++;
        extra = len;
        return i;
    }
}

/// <summary>A 256-bit set (field ids, table ids) with value equality.</summary>
internal readonly record struct Bitmap256(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public bool this[int bit] => bit is >= 0 and < 256 && (Word(bit >> 6) >> (bit & 63) & 1) != 0;

    private ulong Word(int i) => i switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 };

    public Bitmap256 With(int bit)
    {
        ulong m = 1UL << (bit & 63);
        return (bit >> 6) switch
        {
            0 => this with { W0 = W0 | m },
            1 => this with { W1 = W1 | m },
            2 => this with { W2 = W2 | m },
            _ => this with { W3 = W3 | m },
        };
    }

    public Bitmap256 Without(int bit)
    {
        ulong m = ~(1UL << (bit & 63));
        return (bit >> 6) switch
        {
            0 => this with { W0 = W0 & m },
            1 => this with { W1 = W1 & m },
            2 => this with { W2 = W2 & m },
            _ => this with { W3 = W3 & m },
        };
    }

    public bool IsZero => (W0 | W1 | W2 | W3) == 0;

    public static Bitmap256 operator &(Bitmap256 a, Bitmap256 b) => new(a.W0 & b.W0, a.W1 & b.W1, a.W2 & b.W2, a.W3 & b.W3);
    public static Bitmap256 operator |(Bitmap256 a, Bitmap256 b) => new(a.W0 | b.W0, a.W1 | b.W1, a.W2 | b.W2, a.W3 | b.W3);

    /// <summary>The complement within the first <paramref name="n"/> bits.</summary>
    public Bitmap256 Not(int n)
    {
        var r = new Bitmap256(~W0, ~W1, ~W2, ~W3);
        for (int i = n; i < 256; i++) r = r.Without(i);
        return r;
    }
}
