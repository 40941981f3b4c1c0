using System.Text;
using System.Text.Unicode;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>Table feature property types (OpenFlow 1.3.5 §7.3.5.18.2, enum ofp_table_feature_prop_type).</summary>
public enum TableFeaturePropType : ushort
{
    Instructions = 0, InstructionsMiss = 1, NextTables = 2, NextTablesMiss = 3,
    WriteActions = 4, WriteActionsMiss = 5, ApplyActions = 6, ApplyActionsMiss = 7,
    Match = 8, Wildcards = 10, WriteSetField = 12, WriteSetFieldMiss = 13, ApplySetField = 14, ApplySetFieldMiss = 15,
    Experimenter = 0xfffe, ExperimenterMiss = 0xffff,
}

/// <summary>
/// One table feature property (OpenFlow 1.3.5 §7.3.5.18.2): a 4-byte header whose length excludes
/// the padding to a multiple of 8, then a list of ids. Lists of 4-byte instruction/action ids, table
/// ids and OXM headers are typed; anything else (experimenter properties, ids with a body, unknown
/// types, non-zero padding) is kept as <see cref="RawTableFeatureProperty"/>.
/// <code>
/// struct ofp_table_feature_prop_header { uint16_t type; uint16_t length; };
/// struct ofp_instruction / ofp_action_header id { uint16_t type; uint16_t len /* 4 */; };
/// </code>
/// </summary>
public abstract record TableFeatureProperty
{
    public abstract TableFeaturePropType Type { get; }

    /// <summary>Bytes of the list after the header (no padding).</summary>
    internal abstract int ContentLength { get; }

    internal abstract void WriteContent(ref OfpWriter w);

    public virtual int WireLength => Pad.To8(4 + ContentLength);

    internal virtual void Write(ref OfpWriter w)
    {
        w.WriteU16((ushort)Type);
        w.WriteU16(MultipartCodec.Length16(4 + ContentLength, "table feature property"));
        WriteContent(ref w);
        w.WriteZeros(WireLength - 4 - ContentLength);
    }

    /// <summary>
    /// Reads one property: at least 4 bytes, its length at least 4 and, padded to 8, inside the
    /// entry (OVS: OFPBPC_BAD_LEN).
    /// </summary>
    internal static TableFeatureProperty Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < 4)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"table feature property needs 4 bytes, {r.Remaining} left", at, "OFPBPC_BAD_LEN");
        }
        var type = (TableFeaturePropType)r.PeekU16("table feature property type");
        ushort len = r.PeekU16At(2, "table feature property length");
        if (len < 4 || Pad.To8(len) > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"table feature property length {len} (padded to 8) does not fit the {r.Remaining} bytes left", at, "OFPBPC_BAD_LEN");
        }
        var whole = r.ReadMemory(Pad.To8(len), "table feature property");
        var span = whole.Span;
        var content = span[4..len];
        if (span[len..].IndexOfAnyExcept((byte)0) >= 0) return new RawTableFeatureProperty(whole);
        switch (type)
        {
            case TableFeaturePropType.Instructions or TableFeaturePropType.InstructionsMiss
                or TableFeaturePropType.WriteActions or TableFeaturePropType.WriteActionsMiss
                or TableFeaturePropType.ApplyActions or TableFeaturePropType.ApplyActionsMiss:
                if (content.Length % 4 != 0) break;
                var ids = new ushort[content.Length / 4];
                for (int i = 0; i < ids.Length; i++)
                {
                    if (content[4 * i + 2] != 0 || content[4 * i + 3] != 4) return new RawTableFeatureProperty(whole);
                    ids[i] = (ushort)(content[4 * i] << 8 | content[4 * i + 1]);
                }
                return new TableFeatureIdsProperty(type, ids);
            case TableFeaturePropType.NextTables or TableFeaturePropType.NextTablesMiss:
                return new NextTablesProperty(type == TableFeaturePropType.NextTablesMiss, content.ToArray());
            case TableFeaturePropType.Match or TableFeaturePropType.Wildcards
                or TableFeaturePropType.WriteSetField or TableFeaturePropType.WriteSetFieldMiss
                or TableFeaturePropType.ApplySetField or TableFeaturePropType.ApplySetFieldMiss:
                var oxms = new List<OxmId>();
                int o = 0;
                while (o < content.Length)
                {
                    if (content.Length - o < 4) return new RawTableFeatureProperty(whole);
                    uint header = (uint)(content[o] << 24 | content[o + 1] << 16 | content[o + 2] << 8 | content[o + 3]);
                    if (header >> 16 != 0xffff)
                    {
                        oxms.Add(new OxmId(header));
                        o += 4;
                        continue;
                    }
                    if (content.Length - o < 8) return new RawTableFeatureProperty(whole);
                    uint exp = (uint)(content[o + 4] << 24 | content[o + 5] << 16 | content[o + 6] << 8 | content[o + 7]);
                    oxms.Add(new OxmId(header, exp));
                    o += 8;
                }
                return new OxmIdsProperty(type, oxms);
        }
        return new RawTableFeatureProperty(whole);
    }
}

/// <summary>
/// OFPTFPT_INSTRUCTIONS(_MISS), OFPTFPT_WRITE_ACTIONS(_MISS), OFPTFPT_APPLY_ACTIONS(_MISS): the
/// instruction or action types (OFPIT_* / OFPAT_*) the table supports, each as a 4-byte id.
/// </summary>
public sealed record TableFeatureIdsProperty(TableFeaturePropType Kind, EquatableArray<ushort> Ids) : TableFeatureProperty
{
    public override TableFeaturePropType Type => Kind;
    internal override int ContentLength => 4 * Ids.Count;

    internal override void WriteContent(ref OfpWriter w)
    {
        foreach (var id in Ids)
        {
            w.WriteU16(id);
            w.WriteU16(4);
        }
    }
}

/// <summary>OFPTFPT_NEXT_TABLES(_MISS): the tables a goto_table may go to, one byte each.</summary>
public sealed record NextTablesProperty(bool Miss, EquatableArray<byte> Tables) : TableFeatureProperty
{
    public override TableFeaturePropType Type => Miss ? TableFeaturePropType.NextTablesMiss : TableFeaturePropType.NextTables;
    internal override int ContentLength => Tables.Count;
    internal override void WriteContent(ref OfpWriter w) => w.WriteBytes(Tables.AsSpan());
}

/// <summary>An OXM header in a table feature list: 4 bytes, or 8 with the experimenter id for class 0xffff.</summary>
public readonly record struct OxmId(uint Header, uint Experimenter = 0)
{
    public ushort Class => (ushort)(Header >> 16);
    public byte Field => (byte)((Header >> 9) & 0x7f);
    public bool HasMask => (Header & 0x100) != 0;
    public byte Length => (byte)Header;
    public int WireLength => Class == 0xffff ? 8 : 4;
}

/// <summary>
/// OFPTFPT_MATCH, _WILDCARDS, _WRITE_SETFIELD(_MISS), _APPLY_SETFIELD(_MISS): the fields the table can
/// match (masked headers: arbitrarily maskable), wildcard, or set, as OXM headers without values.
/// </summary>
public sealed record OxmIdsProperty(TableFeaturePropType Kind, EquatableArray<OxmId> Ids) : TableFeatureProperty
{
    public override TableFeaturePropType Type => Kind;

    internal override int ContentLength
    {
        get
        {
            int n = 0;
            foreach (var id in Ids) n += id.WireLength;
            return n;
        }
    }

    internal override void WriteContent(ref OfpWriter w)
    {
        foreach (var id in Ids)
        {
            w.WriteU32(id.Header);
            if (id.Class == 0xffff) w.WriteU32(id.Experimenter);
        }
    }
}

/// <summary>A property kept as sent (header, body and padding).</summary>
public sealed record RawTableFeatureProperty(Bytes Property) : TableFeatureProperty
{
    public override TableFeaturePropType Type => (TableFeaturePropType)(Property.Span[0] << 8 | Property.Span[1]);
    internal override int ContentLength => Property.Length - 4;
    internal override void WriteContent(ref OfpWriter w) => w.WriteBytes(Property.Span[4..]);
    public override int WireLength => Property.Length;
    internal override void Write(ref OfpWriter w) => w.WriteBytes(Property.Span);
}

/// <summary>
/// One table's features, in an OFPMP_TABLE_FEATURES reply or (to change them) request
/// (OpenFlow 1.3.5 §7.3.5.18).
/// <code>
/// struct ofp_table_features {
///     uint16_t length;          /* this entry with its properties, a multiple of 8 */
///     uint8_t table_id;
///     uint8_t pad[5];           /* must be zero (OF1.5 puts a command in the first byte) */
///     char name[32];            /* NUL-terminated */
///     uint64_t metadata_match, metadata_write;
///     uint32_t config;          /* OF1.3 defines no bits */
///     uint32_t max_entries;
///     struct ofp_table_feature_prop_header properties[0];
/// };                            /* 64 bytes before the properties */
/// </code>
/// </summary>
public sealed record TableFeatures(byte TableId, string Name, ulong MetadataMatch, ulong MetadataWrite, uint Config, uint MaxEntries,
    EquatableArray<TableFeatureProperty> Properties)
{
    public const int FixedLength = 64;
    public const int NameLength = 32;

    public int WireLength
    {
        get
        {
            int n = FixedLength;
            foreach (var p in Properties) n += p.WireLength;
            return n;
        }
    }

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16(MultipartCodec.Length16(WireLength, "table features"));
        w.WriteU8(TableId);
        w.WriteZeros(5);
        // UTF-8, at most 31 bytes, NUL-padded (OVS copies the name with strlcpy).
        var name = Encoding.UTF8.GetBytes(Name);
        int nameLen = Math.Min(name.Length, NameLength - 1);
        w.WriteBytes(name.AsSpan(0, nameLen));
        w.WriteZeros(NameLength - nameLen);
        w.WriteU64(MetadataMatch);
        w.WriteU64(MetadataWrite);
        w.WriteU32(Config);
        w.WriteU32(MaxEntries);
        foreach (var p in Properties) p.Write(ref w);
    }

    /// <summary>
    /// Reads one table: its length must be a multiple of 8, at least 64 and inside the body
    /// (OFPBPC_BAD_LEN); the padding must be zero and the name valid UTF-8 (OVS prints the bytes as
    /// they are, so a UTF-8 name such as "tábla" shows as such), NUL-terminated and NUL-padded, so
    /// that the entry re-encodes byte for byte.
    /// </summary>
    internal static TableFeatures Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < FixedLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"table features need {FixedLength} bytes, {r.Remaining} left", at, "OFPBPC_BAD_LEN");
        }
        ushort len = r.PeekU16("table features length");
        if (len < FixedLength || len % 8 != 0 || len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"table features length {len} must be a multiple of 8, at least {FixedLength} and within the {r.Remaining} bytes left", at, "OFPBPC_BAD_LEN");
        }
        var e = r.ReadSub(len, "table features");
        e.Skip(2);
        byte table = e.ReadU8("table_id");
        Nicira.NiciraCodec.Zeros(ref e, 5, "table features padding");
        var nameBytes = e.ReadMemory(NameLength, "table name").Span;
        int nul = nameBytes.IndexOf((byte)0);
        if (nul < 0 || nameBytes[nul..].IndexOfAnyExcept((byte)0) >= 0 || !Utf8.IsValid(nameBytes[..nul]))
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, "table name must be UTF-8, NUL-terminated and NUL-padded", at + 8);
        }
        string name = Encoding.UTF8.GetString(nameBytes[..nul]);
        var f = new TableFeatures(table, name, e.ReadU64("metadata_match"), e.ReadU64("metadata_write"), e.ReadU32("config"), e.ReadU32("max_entries"), EquatableArray<TableFeatureProperty>.Empty);
        var props = new List<TableFeatureProperty>();
        while (!e.End) props.Add(TableFeatureProperty.Read(ref e));
        return f with { Properties = props };
    }
}

/// <summary>
/// OFPMP_TABLE_FEATURES request: empty to ask for the tables' features, or the features the
/// controller wants the tables to have (OVS refuses to change them).
/// </summary>
public sealed record TableFeaturesRequest(EquatableArray<TableFeatures> Tables) : MultipartRequest
{
    public static TableFeaturesRequest Query(uint xid = 0) => new(EquatableArray<TableFeatures>.Empty) { Xid = xid };

    public override MultipartType MultipartType => MultipartType.TableFeatures;

    internal override int PartLength
    {
        get
        {
            int n = 0;
            foreach (var t in Tables) n += t.WireLength;
            return n;
        }
    }

    internal override void WritePart(ref OfpWriter w)
    {
        foreach (var t in Tables) t.Write(ref w);
    }

    internal static TableFeaturesRequest Read(ref OfpReader r)
    {
        var list = new List<TableFeatures>();
        while (!r.End) list.Add(TableFeatures.Read(ref r));
        return new TableFeaturesRequest(list);
    }

    /// <summary>Printed as OVS prints a reply (ofp_print_table_features_reply serves both).</summary>
    public override void FormatPart(StringBuilder s) => Text.TableFeaturesText.Format(s, this, Tables);
}

/// <summary>OFPMP_TABLE_FEATURES reply: every table's features, usually split over many parts.</summary>
public sealed record TableFeaturesReply : MultipartListReply<TableFeatures>
{
    public override MultipartType MultipartType => MultipartType.TableFeatures;
    internal override int EntryLength(TableFeatures entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, TableFeatures entry) => entry.Write(ref w);

    internal static TableFeaturesReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, TableFeatures.Read) };

    public override void FormatPart(StringBuilder s) => Text.TableFeaturesText.Format(s, this, Entries);
}
