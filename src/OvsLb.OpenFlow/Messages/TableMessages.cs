using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// OFPT_TABLE_MOD (OpenFlow 1.3.5 §7.3.3). In OpenFlow 1.3 the config field defines no flags any
/// more (the OF1.1 table-miss bits were removed, OF1.4 added eviction/vacancy), so OVS prints only the
/// table; the config word is kept as sent.
/// <code>
/// struct ofp_table_mod {
///     struct ofp_header header;
///     uint8_t table_id;     /* OFPTT_ALL (0xff) for all tables */
///     uint8_t pad[3];
///     uint32_t config;      /* OFPTC_* (deprecated in 1.3) */
/// };
/// </code>
/// </summary>
public sealed record TableMod(byte TableId, uint Config = 0) : OfpMessage
{
    public const byte AllTables = 0xff;

    public override OfpType Type => OfpType.TableMod;
    public override string OvsName => "OFPT_TABLE_MOD";
    public override int BodyLength => 8;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU8(TableId);
        w.WriteZeros(3);
        w.WriteU32(Config);
    }

    internal static TableMod Read(ref OfpReader r)
    {
        byte table = r.ReadU8("table_id");
        r.Skip(3);
        return new TableMod(table, r.ReadU32("config"));
    }

    /// <summary>ofputil_table_mod_format for OF1.3: <c> table_id=2</c> or <c> table_id: ALL_TABLES</c>.</summary>
    public override void FormatBody(StringBuilder s)
    {
        if (TableId == AllTables) s.Append(" table_id: ALL_TABLES");
        else s.Append(" table_id=").Append(TableId);
    }
}
