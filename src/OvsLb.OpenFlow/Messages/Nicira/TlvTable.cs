using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Nicira;

/// <summary>NXT_TLV_TABLE_MOD commands (enum nx_tlv_table_mod_command).</summary>
public enum TlvTableCommand : ushort
{
    /// <summary>NXTTMC_ADD: add the mappings (each index must be free).</summary>
    Add = 0,
    /// <summary>NXTTMC_DELETE: remove the mappings.</summary>
    Delete = 1,
    /// <summary>NXTTMC_CLEAR: remove every mapping (no mappings in the message).</summary>
    Clear = 2,
}

/// <summary>
/// One mapping of a tunnel option TLV (Geneve class, type, length) to the match field
/// <c>tun_metadata&lt;Index&gt;</c>.
/// <code>
/// struct nx_tlv_map {
///     uint16_t option_class;   /* TLV class */
///     uint8_t  option_type;    /* TLV type */
///     uint8_t  option_len;     /* TLV length in bytes (multiple of 4, at most 124) */
///     uint16_t index;          /* tun_metadata&lt;n&gt; */
///     uint8_t  pad[2];
/// };                           /* 8 bytes */
/// </code>
/// </summary>
public sealed record TlvMap(ushort OptionClass, byte OptionType, byte OptionLength, ushort Index)
{
    public const int WireLength = 8;

    /// <summary>TLV_MAX_OPT_SIZE: the longest option OVS can map.</summary>
    public const int MaxOptionLength = 124;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16(OptionClass);
        w.WriteU8(OptionType);
        w.WriteU8(OptionLength);
        w.WriteU16(Index);
        w.WriteZeros(2);
    }

    internal static TlvMap Read(ref OfpReader r)
    {
        var m = new TlvMap(r.ReadU16("option_class"), r.ReadU8("option_type"), r.ReadU8("option_len"), r.ReadU16("index"));
        NiciraCodec.Zeros(ref r, 2, "tlv map padding");
        return m;
    }

    /// <summary>Reads mappings to the end of the message, which must hold whole 8-byte entries.</summary>
    internal static EquatableArray<TlvMap> ReadList(ref OfpReader r)
    {
        if (r.Remaining % WireLength != 0)
        {
            throw r.Error(OfpErrorKind.BadLength, $"{r.Remaining} bytes of tlv mappings are not a multiple of {WireLength}");
        }
        var maps = new TlvMap[r.Remaining / WireLength];
        for (int i = 0; i < maps.Length; i++) maps[i] = Read(ref r);
        return maps;
    }

    /// <summary>
    /// decode_tlv_table_mappings' checks, as the OVS error that ofp-print reports: the option length must
    /// be a multiple of 4 up to 124 (NXTTMFC_BAD_OPT_LEN) and the index below the field count
    /// (NXTTMFC_BAD_FIELD_IDX). Null when every mapping passes.
    /// </summary>
    internal static string? Check(EquatableArray<TlvMap> maps, int maxFields)
    {
        foreach (var m in maps)
        {
            if (m.OptionLength % 4 != 0 || m.OptionLength > MaxOptionLength) return "NXTTMFC_BAD_OPT_LEN";
            if (m.Index >= maxFields) return "NXTTMFC_BAD_FIELD_IDX";
        }
        return null;
    }

    /// <summary>
    /// print_tlv_table: the column header, then one row per mapping in C's <c>%#6x  %#4x  %6u</c>
    /// layout (the <c>0x</c> prefix is left out for zero).
    /// </summary>
    internal static void FormatTable(StringBuilder s, EquatableArray<TlvMap> maps)
    {
        s.Append(" mapping table:\n");
        s.Append("  class  type  length  match field\n");
        s.Append(" ------  ----  ------  --------------");
        foreach (var m in maps)
        {
            s.Append("\n ").Append(AltHex(m.OptionClass).PadLeft(6)).Append("  ").Append(AltHex(m.OptionType).PadLeft(4))
                .Append("  ").Append(m.OptionLength.ToString(CultureInfo.InvariantCulture).PadLeft(6)).Append("  tun_metadata").Append(m.Index);
        }
    }

    private static string AltHex(uint v) => v == 0 ? "0" : "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>
/// NXT_TLV_TABLE_MOD (Nicira subtype 24): adds, deletes or clears mappings from tunnel option TLVs to
/// <c>tun_metadata</c> fields. OVS answers a conflicting ADD with NXTTMFC_ALREADY_MAPPED / _DUP_ENTRY.
/// <code>
/// struct nx_tlv_table_mod {
///     struct nicira_header nxh;  /* subtype 24 */
///     uint16_t command;          /* NXTTMC_* */
///     uint8_t pad[6];
///     struct nx_tlv_map maps[];  /* to the end of the message */
/// };                             /* 24 bytes before the maps */
/// </code>
/// </summary>
public sealed record TlvTableMod(TlvTableCommand Command, EquatableArray<TlvMap> Mappings) : NiciraMessage
{
    /// <summary>TUN_METADATA_NUM_OPTS: OVS has tun_metadata0..63.</summary>
    public const int MaxFields = 64;

    public override uint Subtype => NiciraCodec.TlvTableMod;
    public override string OvsName => "NXT_TLV_TABLE_MOD";
    internal override int PayloadLength => 8 + TlvMap.WireLength * Mappings.Count;

    internal override void WritePayload(ref OfpWriter w)
    {
        w.WriteU16((ushort)Command);
        w.WriteZeros(6);
        foreach (var m in Mappings) m.Write(ref w);
    }

    internal static TlvTableMod Read(ref OfpReader r)
    {
        var command = (TlvTableCommand)r.ReadU16("tlv table mod command");
        NiciraCodec.Zeros(ref r, 6, "tlv table mod padding");
        return new TlvTableMod(command, TlvMap.ReadList(ref r));
    }

    /// <summary>
    /// ofputil_format_tlv_table_mod: <c>\n ADD mapping table:</c> and the table (<c>\n CLEAR</c> alone);
    /// a command above CLEAR, a bad option length or an index above 63 is OVS's decode error.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        string? error = Command > TlvTableCommand.Clear ? "NXTTMFC_BAD_COMMAND" : TlvMap.Check(Mappings, MaxFields);
        if (error is not null)
        {
            OfpPrinter.DecodeError(s, this, error);
            return;
        }
        s.Append("\n ").Append(Command switch
        {
            TlvTableCommand.Add => "ADD",
            TlvTableCommand.Delete => "DEL",
            _ => "CLEAR",
        });
        if (Command != TlvTableCommand.Clear) TlvMap.FormatTable(s, Mappings);
    }
}

/// <summary>NXT_TLV_TABLE_REQUEST (Nicira subtype 25, no body): asks for the switch's TLV mappings.</summary>
public sealed record TlvTableRequest : NiciraMessage
{
    public override uint Subtype => NiciraCodec.TlvTableRequest;
    public override string OvsName => "NXT_TLV_TABLE_REQUEST";
    internal override int PayloadLength => 0;
    internal override void WritePayload(ref OfpWriter w) { }
    internal static TlvTableRequest Read(ref OfpReader r) => new();
    public override void FormatBody(StringBuilder s) { }
}

/// <summary>
/// NXT_TLV_TABLE_REPLY (Nicira subtype 26): the switch's limits and its current TLV mappings.
/// <code>
/// struct nx_tlv_table_reply {
///     struct nicira_header nxh;  /* subtype 26 */
///     uint32_t max_option_space; /* most option bytes that can be mapped in total */
///     uint16_t max_fields;       /* number of tun_metadata fields */
///     uint8_t reserved[10];
///     struct nx_tlv_map maps[];
/// };                             /* 32 bytes before the maps */
/// </code>
/// </summary>
public sealed record TlvTableReply(uint MaxOptionSpace, ushort MaxFields, EquatableArray<TlvMap> Mappings) : NiciraMessage
{
    public override uint Subtype => NiciraCodec.TlvTableReply;
    public override string OvsName => "NXT_TLV_TABLE_REPLY";
    internal override int PayloadLength => 16 + TlvMap.WireLength * Mappings.Count;

    internal override void WritePayload(ref OfpWriter w)
    {
        w.WriteU32(MaxOptionSpace);
        w.WriteU16(MaxFields);
        w.WriteZeros(10);
        foreach (var m in Mappings) m.Write(ref w);
    }

    internal static TlvTableReply Read(ref OfpReader r)
    {
        uint space = r.ReadU32("max_option_space");
        ushort fields = r.ReadU16("max_fields");
        NiciraCodec.Zeros(ref r, 10, "tlv table reply reserved bytes");
        return new TlvTableReply(space, fields, TlvMap.ReadList(ref r));
    }

    /// <summary>
    /// ofputil_format_tlv_table_reply: the limits, the option space the mappings use, a blank line and
    /// the mapping table. A mapping index at or above max_fields is OVS's NXTTMFC_BAD_FIELD_IDX.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (TlvMap.Check(Mappings, MaxFields) is { } error)
        {
            OfpPrinter.DecodeError(s, this, error);
            return;
        }
        int allocated = 0;
        foreach (var m in Mappings) allocated += m.OptionLength;
        s.Append("\n max option space=").Append(MaxOptionSpace).Append(" max fields=").Append(MaxFields).Append('\n');
        s.Append(" allocated option space=").Append(allocated).Append('\n');
        s.Append('\n');
        TlvMap.FormatTable(s, Mappings);
    }
}
