using System.Buffers.Binary;
using System.Text;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// ofp_print_table_features_reply (lib/ofp-print.c, lib/ofp-table.c) for OpenFlow 1.3: each table is
/// decoded the way ofputil_decode_table_features does it for a controller (unknown properties, ids
/// and fields ignored) into OVS's view (instruction and action bitmaps, next tables, field sets) and
/// printed with OVS's abbreviations: tables equal to the previous one collapse into
/// <c>tables 1...252: ditto</c>, features equal to the previous table's print as <c>(same ...)</c>.
/// </summary>
internal static class TableFeaturesText
{
    /// <summary>OVS's view of one table (struct ofputil_table_features, the OpenFlow 1.3 part).</summary>
    private sealed class Features
    {
        public int TableId;
        public string Name = "";
        public ulong MetadataMatch, MetadataWrite;
        public uint MaxEntries;
        public Inst Nonmiss = new(), Miss = new();
        public Bitmap256 Match, Mask, Wildcard;
    }

    /// <summary>struct ofputil_table_instruction_features.</summary>
    private sealed record Inst
    {
        public Bitmap256 Next;
        public uint Instructions;
        public ActionFeatures Write, Apply;
    }

    /// <summary>struct ofputil_table_action_features: OFPACT_* bitmap and Set-Field fields.</summary>
    private readonly record struct ActionFeatures(ulong Ofpacts, Bitmap256 SetFields);

    public static void Format(StringBuilder s, MultipartMessage m, EquatableArray<TableFeatures> tables)
    {
        int start = MultipartText.PartStart(s, m);
        Features? prev = null;
        int firstDitto = -1, lastDitto = -1;
        foreach (var t in tables)
        {
            var f = Decode(t, out string? error);
            if (f is null)
            {
                FinishDitto(s, firstDitto, lastDitto);
                OfpPrinter.DecodeError(s, start, m, error!);
                return;
            }
            FormatTable(s, f, prev, ref firstDitto, ref lastDitto);
            prev = f;
        }
        FinishDitto(s, firstDitto, lastDitto);
    }

    // ---- decoding (ofputil_decode_table_features, loose) ----

    private const uint Required = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 8) | (1u << 10) | (1u << 12) | (1u << 14);

    private static Features? Decode(TableFeatures t, out string? error)
    {
        error = null;
        if (t.TableId == 0xff)
        {
            error = "OFPTFFC_BAD_TABLE";
            return null;
        }
        var f = new Features
        {
            TableId = t.TableId,
            Name = t.Name.Length > TableFeatures.NameLength - 1 ? t.Name[..(TableFeatures.NameLength - 1)] : t.Name,
            MetadataMatch = t.MetadataMatch,
            MetadataWrite = t.MetadataWrite,
            MaxEntries = t.MaxEntries,
        };
        var bytes = new byte[t.WireLength - TableFeatures.FixedLength];
        var w = new OfpWriter(bytes);
        foreach (var p in t.Properties) p.Write(ref w);
        ReadOnlySpan<byte> b = bytes;
        bool anyProperties = b.Length > 0;
        uint seen = 0;
        while (b.Length > 0)
        {
            if (b.Length < 4) return Fail(out error, "OFPBPC_BAD_LEN");
            int type = BinaryPrimitives.ReadUInt16BigEndian(b);
            int len = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
            if (len < 4 || Pad.To8(len) > b.Length) return Fail(out error, "OFPBPC_BAD_LEN");
            if (type == 0xffff)
            {
                if (len < 12) return Fail(out error, "OFPBPC_BAD_LEN");
                if (BinaryPrimitives.ReadUInt32BigEndian(b[4..]) == 0) return Fail(out error, "OFPBPC_BAD_EXPERIMENTER");
            }
            var payload = b[4..len];
            b = b[Pad.To8(len)..];
            if (type < 32)
            {
                if ((seen & (1u << type)) != 0) return Fail(out error, "OFPTFFC_BAD_FEATURES");
                seen |= 1u << type;
            }
            error = type switch
            {
                0 => Instructions(payload, out f.Nonmiss.Instructions),
                1 => Instructions(payload, out f.Miss.Instructions),
                2 => NextTables(payload, out f.Nonmiss.Next),
                3 => NextTables(payload, out f.Miss.Next),
                4 => Actions(payload, ref f.Nonmiss.Write),
                5 => Actions(payload, ref f.Miss.Write),
                6 => Actions(payload, ref f.Nonmiss.Apply),
                7 => Actions(payload, ref f.Miss.Apply),
                8 => Oxms(payload, out f.Match, out f.Mask, true),
                10 => Oxms(payload, out f.Wildcard, out _, false),
                12 => SetFields(payload, ref f.Nonmiss.Write),
                13 => SetFields(payload, ref f.Miss.Write),
                14 => SetFields(payload, ref f.Nonmiss.Apply),
                15 => SetFields(payload, ref f.Miss.Apply),
                _ => null,
            };
            if (error is not null) return null;
        }
        if ((seen & Required) != Required) return Fail(out error, "OFPTFFC_BAD_FEATURES");
        if (anyProperties)
        {
            if ((seen & (1u << 1)) == 0) f.Miss.Instructions = f.Nonmiss.Instructions;
            if ((seen & (1u << 3)) == 0) f.Miss.Next = f.Nonmiss.Next;
            if ((seen & (1u << 5)) == 0) f.Miss.Write = f.Miss.Write with { Ofpacts = f.Nonmiss.Write.Ofpacts };
            if ((seen & (1u << 7)) == 0) f.Miss.Apply = f.Miss.Apply with { Ofpacts = f.Nonmiss.Apply.Ofpacts };
            if ((seen & (1u << 13)) == 0) f.Miss.Write = f.Miss.Write with { SetFields = f.Nonmiss.Write.SetFields };
            if ((seen & (1u << 15)) == 0) f.Miss.Apply = f.Miss.Apply with { SetFields = f.Nonmiss.Apply.SetFields };
        }
        f.Match |= f.Mask;
        f.Wildcard = (f.Wildcard | f.Mask) & f.Match;
        return f;
    }

    private static Features? Fail(out string? error, string name)
    {
        error = name;
        return null;
    }

    /// <summary>ofpprop_pull__ with 1-byte alignment: one id of at least 4 bytes; returns its type and moves past it.</summary>
    private static string? PullId(ref ReadOnlySpan<byte> b, out int type)
    {
        type = 0;
        if (b.Length < 4) return "OFPBPC_BAD_LEN";
        int len = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        if (len < 4 || len > b.Length) return "OFPBPC_BAD_LEN";
        type = BinaryPrimitives.ReadUInt16BigEndian(b);
        b = b[len..];
        return null;
    }

    /// <summary>parse_instruction_ids: OFPIT_* ids to OVS instruction bits (meter 0, apply 1, clear 2, write 3, metadata 4, goto 5).</summary>
    private static string? Instructions(ReadOnlySpan<byte> b, out uint bits)
    {
        bits = 0;
        while (b.Length > 0)
        {
            if (PullId(ref b, out int type) is { } e) return e;
            int ovs = type switch { 6 => 0, 4 => 1, 5 => 2, 3 => 3, 2 => 4, 1 => 5, _ => -1 };
            if (ovs >= 0) bits |= 1u << ovs;
        }
        return null;
    }

    /// <summary>parse_action_bitmap + ofpact_bitmap_from_openflow for OpenFlow 1.3.</summary>
    private static string? Actions(ReadOnlySpan<byte> b, ref ActionFeatures features)
    {
        uint types = 0;
        while (b.Length > 0)
        {
            if (PullId(ref b, out int type) is { } e) return e;
            if (type < 32) types |= 1u << type;
        }
        ulong ofpacts = 0;
        foreach (var (ofpat, ofpact) in OfpactMap)
        {
            if ((types & (1u << ofpat)) != 0) ofpacts |= 1UL << ofpact;
        }
        features = features with { Ofpacts = ofpacts };
        return null;
    }

    /// <summary>OpenFlow 1.2-1.4 action type -> OVS OFPACT_* index (get_ofpact_map).</summary>
    private static readonly (int Ofpat, int Ofpact)[] OfpactMap =
    [
        (0, 0), (15, 26), (16, 27), (17, 10), (18, 9), (19, 28), (20, 29), (21, 35), (22, 1), (23, 17), (24, 23), (25, 6),
    ];

    /// <summary>ofpact_name for the OFPACT_* indexes OpenFlow 1.3 action ids can map to.</summary>
    private static string OfpactName(int ofpact) => ofpact switch
    {
        0 => "output", 1 => "group", 6 => "set_field", 9 => "strip_vlan", 10 => "push_vlan", 17 => "mod_nw_ttl",
        23 => "dec_ttl", 26 => "set_mpls_ttl", 27 => "dec_mpls_ttl", 28 => "push_mpls", 29 => "pop_mpls", 35 => "set_queue",
        _ => "<unknown>",
    };

    private static string? NextTables(ReadOnlySpan<byte> b, out Bitmap256 next)
    {
        next = default;
        foreach (byte id in b)
        {
            if (id == 255) return "OFPBPC_BAD_VALUE";
            next = next.With(id);
        }
        return null;
    }

    /// <summary>
    /// parse_oxms: each header via nx_pull_header; unknown fields are skipped; a masked header goes to
    /// <paramref name="masked"/>, or is OFPBMC_BAD_MASK where masks are not allowed.
    /// </summary>
    private static string? Oxms(ReadOnlySpan<byte> b, out Bitmap256 exact, out Bitmap256 masked, bool allowMask)
    {
        exact = default;
        masked = default;
        while (b.Length > 0)
        {
            if (b.Length < 4) return "OFPBMC_BAD_LEN";
            uint header = BinaryPrimitives.ReadUInt32BigEndian(b);
            ushort cls = (ushort)(header >> 16);
            uint exp = 0;
            int length = (int)(header & 0xff);
            if (cls == 0xffff)
            {
                if (b.Length < 8) return "OFPBMC_BAD_LEN";
                exp = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
                if (length < 4) return "OFPBMC_BAD_LEN";
            }
            b = b[(cls == 0xffff ? 8 : 4)..];
            bool hasMask = (header & 0x100) != 0;
            if (OvsFieldOrder.ByHeader(cls, (byte)((header >> 9) & 0x7f), exp, hasMask, length) is not { } id) continue;
            if (hasMask) masked = masked.With(id);
            else exact = exact.With(id);
        }
        return allowMask || masked.IsZero ? null : "OFPBMC_BAD_MASK";
    }

    private static string? SetFields(ReadOnlySpan<byte> b, ref ActionFeatures features)
    {
        var error = Oxms(b, out var fields, out _, false);
        features = features with { SetFields = fields };
        return error;
    }

    // ---- formatting (ofputil_table_features_format without statistics) ----

    private static void FormatTable(StringBuilder s, Features f, Features? prev, ref int firstDitto, ref int lastDitto)
    {
        bool same = prev is not null && FeaturesEqual(f, prev);
        if (same && f.Name.Length == 0)
        {
            if (firstDitto < 0) firstDitto = f.TableId;
            lastDitto = f.TableId;
            return;
        }
        FinishDitto(s, firstDitto, lastDitto);
        firstDitto = -1;
        s.Append("\n  table ").Append(f.TableId);
        if (f.Name.Length > 0) s.Append(" (\"").Append(f.Name).Append("\")");
        s.Append(':');
        if (same)
        {
            s.Append(" ditto");
            return;
        }
        s.Append('\n');
        if (f.MetadataMatch != 0 || f.MetadataWrite != 0)
        {
            s.Append("    metadata: match=").Append(OfctlFormat.AltHex(f.MetadataMatch)).Append(" write=").Append(OfctlFormat.AltHex(f.MetadataWrite)).Append('\n');
        }
        if (f.MaxEntries != 0) s.Append("    max_entries=").Append(f.MaxEntries).Append('\n');

        int table = f.TableId, prevTable = prev?.TableId ?? 0;
        if (prev is not null && InstEqual(f.Nonmiss, table, prev.Nonmiss, prevTable) && InstEqual(f.Miss, table, prev.Miss, prevTable))
        {
            if (!InstEmpty(f.Nonmiss)) s.Append("    (same instructions)\n");
        }
        else if (!InstEqual(f.Nonmiss, table, f.Miss, table))
        {
            s.Append("    instructions (other than table miss):\n");
            FormatInst(s, f.Nonmiss, prev?.Nonmiss);
            s.Append("    instructions (table miss):\n");
            FormatInst(s, f.Miss, prev?.Miss);
        }
        else if (!InstEmpty(f.Nonmiss))
        {
            s.Append("    instructions (table miss and others):\n");
            FormatInst(s, f.Nonmiss, prev?.Nonmiss);
        }

        if (!f.Match.IsZero)
        {
            if (prev is not null && f.Match == prev.Match)
            {
                s.Append("    (same matching)\n");
            }
            else
            {
                s.Append("    matching:\n");
                FormatMatches(s, f, true, true, "arbitrary mask");
                FormatMatches(s, f, false, true, "exact match or wildcard");
                FormatMatches(s, f, false, false, "must exact match");
            }
        }
    }

    private static void FinishDitto(StringBuilder s, int first, int last)
    {
        if (first < 0) return;
        s.Append('\n');
        if (first == last) s.Append("  table ").Append(first).Append(": ditto\n");
        else s.Append("  tables ").Append(first).Append("...").Append(last).Append(": ditto\n");
    }

    private static void FormatMatches(StringBuilder s, Features f, bool mask, bool wc, string title)
    {
        int n = OvsFieldOrder.Count;
        var m = mask ? f.Mask : f.Mask.Not(n);
        var w = wc ? f.Wildcard : f.Wildcard.Not(n);
        var bm = f.Match & m & w;
        if (bm.IsZero) return;
        s.Append("      ").Append(title).Append(':');
        OvsFieldOrder.FormatSet(s, bm);
        s.Append('\n');
    }

    private static void FormatInst(StringBuilder s, Inst tif, Inst? prev)
    {
        if (!tif.Next.IsZero)
        {
            s.Append("      next tables: ");
            int start = s.Length;
            for (int i = 0; i < 255; i++)
            {
                if (!tif.Next[i]) continue;
                int end = i + 1;
                while (end < 255 && tif.Next[end]) end++;
                if (end == i + 1) s.Append(i).Append(',');
                else s.Append(i).Append('-').Append(end - 1).Append(',');
                i = end;
            }
            if (s[^1] == ',') s.Length--;
            if (s[^1] == ' ') s.Append("none");
            s.Append('\n');
        }
        if (tif.Instructions != 0)
        {
            if (prev is not null && tif.Instructions == prev.Instructions)
            {
                s.Append("      (same instructions)\n");
            }
            else
            {
                s.Append("      instructions: ");
                for (int i = 0; i < 32; i++)
                {
                    if ((tif.Instructions & (1u << i)) == 0) continue;
                    s.Append(i switch
                    {
                        0 => "meter", 1 => "apply_actions", 2 => "clear_actions", 3 => "write_actions", 4 => "write_metadata", 5 => "goto_table",
                        _ => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    }).Append(' ');
                }
                s.Length--;
                s.Append('\n');
            }
        }
        if (prev is not null && tif.Write == prev.Write && tif.Apply == prev.Apply && !tif.Write.SetFields.IsZero)
        {
            s.Append("      (same actions)\n");
        }
        else if (tif.Write != tif.Apply)
        {
            s.Append("      Write-Actions features:\n");
            FormatActions(s, tif.Write);
            s.Append("      Apply-Actions features:\n");
            FormatActions(s, tif.Apply);
        }
        else if (tif.Write.Ofpacts != 0 || !tif.Write.SetFields.IsZero)
        {
            s.Append("      Write-Actions and Apply-Actions features:\n");
            FormatActions(s, tif.Write);
        }
    }

    private static void FormatActions(StringBuilder s, ActionFeatures a)
    {
        if (a.Ofpacts != 0)
        {
            s.Append("        actions: ");
            for (int i = 0; i < 64; i++)
            {
                if ((a.Ofpacts & (1UL << i)) != 0) s.Append(OfpactName(i)).Append(' ');
            }
            s.Length--;
            s.Append('\n');
        }
        if (!a.SetFields.IsZero)
        {
            s.Append("        supported on Set-Field:");
            OvsFieldOrder.FormatSet(s, a.SetFields);
            s.Append('\n');
        }
    }

    // ---- comparisons ----

    private static bool FeaturesEqual(Features a, Features b) =>
        a.MetadataMatch == b.MetadataMatch && a.MetadataWrite == b.MetadataWrite && a.MaxEntries == b.MaxEntries
        && InstEqual(a.Nonmiss, a.TableId, b.Nonmiss, b.TableId) && InstEqual(a.Miss, a.TableId, b.Miss, b.TableId)
        && a.Match == b.Match;

    private static bool InstEqual(Inst a, int aTable, Inst b, int bTable) =>
        NextEqual(a.Next, aTable, b.Next, bTable) && a.Instructions == b.Instructions && a.Write == b.Write && a.Apply == b.Apply;

    private static bool InstEmpty(Inst i) =>
        i.Next.IsZero && i.Instructions == 0 && i.Write.Ofpacts == 0 && i.Write.SetFields.IsZero && i.Apply.Ofpacts == 0 && i.Apply.SetFields.IsZero;

    /// <summary>
    /// table_instruction_features_next_equal: next-table sets are equal, also when the later table
    /// (numbered one higher) lacks only itself, which the earlier one lists (a table cannot go to
    /// itself, so consecutive tables otherwise always differ).
    /// </summary>
    private static bool NextEqual(Bitmap256 a, int aTable, Bitmap256 b, int bTable)
    {
        if (bTable == aTable + 1 && a[bTable] && !b[bTable]) return a.Without(bTable) == b;
        if (aTable == bTable + 1) return NextEqual(b, bTable, a, aTable);
        return a == b;
    }
}
