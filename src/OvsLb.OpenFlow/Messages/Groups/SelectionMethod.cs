using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// One field a <c>selection_method=hash</c> group hashes on: an OXM header without the mask bit whose
/// value is the mask applied before hashing (all ones: the whole field, printed as its bare name).
/// </summary>
public sealed record HashField(FieldInfo Field, UInt128 Mask)
{
    /// <summary>The whole field (mask all ones over its width).</summary>
    public static HashField Of(MfId id)
    {
        var f = FieldTable.Get(id);
        return new HashField(f, WidthMask(f));
    }

    private bool IsExperimenter => Field.PreferredHeader.Class == 0xffff;

    /// <summary>OXM header + (experimenter id) + value bytes.</summary>
    public int WireLength => 4 + (IsExperimenter ? 4 : 0) + Field.Width;

    internal static UInt128 WidthMask(FieldInfo f) => f.Width >= 16 ? UInt128.MaxValue : (UInt128.One << (f.Width * 8)) - 1;

    internal void Write(ref OfpWriter w)
    {
        if (Field.Width > 16) throw new InvalidOperationException($"hash field {Field.Name} is {Field.Width} bytes, wider than its 128-bit mask");
        var (cls, field, experimenter) = Field.PreferredHeader;
        int payload = Field.Width + (IsExperimenter ? 4 : 0);
        w.WriteU32(((uint)cls << 16) | ((uint)field << 9) | (uint)payload);
        if (IsExperimenter) w.WriteU32(experimenter);
        if (Field.Width > 8)
        {
            w.WriteUIntN((ulong)(Mask >> 64), Field.Width - 8);
            w.WriteU64((ulong)Mask);
        }
        else
        {
            w.WriteUIntN((ulong)Mask, Field.Width);
        }
    }

    /// <summary>field_array_format: the bare name for a whole field, else <c>name=mask</c>.</summary>
    internal void Format(StringBuilder s)
    {
        s.Append(Field.Name);
        if (Mask != WidthMask(Field)) s.Append('=').Append(OfctlFormat.FieldValue(Field, Mask, null));
    }

    /// <summary>OVS's field id (enum mf_field_id), the order in which OVS encodes and prints field arrays.</summary>
    internal int OvsOrder
    {
        get
        {
            var (cls, fieldNo, experimenter) = Field.PreferredHeader;
            return OvsFieldOrder.ByHeader(cls, fieldNo, experimenter, false, Field.Width + (IsExperimenter ? 4 : 0)) ?? int.MaxValue;
        }
    }
}

/// <summary>
/// OVS's Netronome group property (include/openflow/netronome-ext.h; lib/ofp-group.c
/// ofputil_put_group_prop_ntr_selection_method / parse_group_prop_ntr_selection_method): how a select
/// group picks its bucket. <c>dp_hash</c> hashes in the datapath (<see cref="Param"/> &gt;&gt; 32 is the
/// algorithm, 0 = the L4 5-tuple including UDP ports; the low 32 bits the basis) and takes no fields;
/// <c>hash</c> hashes the listed <see cref="Fields"/> in ovs-vswitchd. Only OpenFlow 1.5 (and OVS's
/// OpenFlow 1.0 group mod) carry it: an OpenFlow 1.3 group always gets OVS's default method.
/// <code>
/// struct ntr_group_prop_selection_method {
///     ovs_be16 type;                      /* OFPGPT15_EXPERIMENTER (0xffff) */
///     ovs_be16 length;                    /* 40 + fields, before padding to 8 */
///     ovs_be32 experimenter;              /* NTR_VENDOR_ID 0x0000154d (0x00001540 accepted) */
///     ovs_be32 exp_type;                  /* NTRT_SELECTION_METHOD (1) */
///     ovs_be32 pad;
///     char selection_method[16];          /* NUL-terminated: "hash" or "dp_hash" */
///     ovs_be64 selection_method_param;
///     /* followed by OXM headers + values (the masks) of the hashed fields, then zeros to 8 */
/// };
/// </code>
/// </summary>
public sealed record SelectionMethod(string Name, ulong Param, EquatableArray<HashField> Fields)
{
    public const uint NtrVendorId = 0x0000154d;
    public const uint NtrCompatVendorId = 0x00001540;
    public const uint SelectionMethodExpType = 1;
    public const int FixedLength = 40;
    public const int NameLength = 16;

    /// <summary><c>selection_method=dp_hash</c>; param 0 hashes the 5-tuple (UDP ports included).</summary>
    public static SelectionMethod DpHash(ulong param = 0) => new("dp_hash", param, EquatableArray<HashField>.Empty);

    /// <summary><c>selection_method=hash,fields(...)</c>, the fields in OVS's order so the bytes equal OVS's.</summary>
    public static SelectionMethod Hash(params MfId[] fields) =>
        new("hash", 0, fields.Select(HashField.Of).OrderBy(f => f.OvsOrder).ToArray());

    /// <summary>Property length before padding.</summary>
    public int Length
    {
        get
        {
            int n = FixedLength;
            foreach (var f in Fields) n += f.WireLength;
            return n;
        }
    }

    public int PaddedLength => Pad.To8(Length);

    internal void Write(ref OfpWriter w)
    {
        if (Length > ushort.MaxValue) throw new InvalidOperationException($"selection method property of {Length} bytes exceeds its 16-bit length");
        if (Name.Length >= NameLength) throw new InvalidOperationException($"selection method '{Name}' does not fit its {NameLength}-byte NUL-terminated field");
        int start = w.Position;
        w.WriteU16(0xffff);
        w.WriteU16((ushort)Length);
        w.WriteU32(NtrVendorId);
        w.WriteU32(SelectionMethodExpType);
        w.WriteZeros(4);
        w.WriteFixedString(Name, NameLength);
        w.WriteU64(Param);
        foreach (var f in Fields) f.Write(ref w);
        w.PadTo8(start);
    }

    /// <summary>ofp_print_group: <c>,selection_method=M[,selection_method_param=P][,fields=F|,fields(F,G)]</c>.</summary>
    internal void Format(StringBuilder s)
    {
        s.Append(",selection_method=").Append(Name);
        if (Param != 0) s.Append(",selection_method_param=").Append(Param);
        if (Fields.Count == 0) return;
        s.Append(Fields.Count == 1 ? ",fields=" : ",fields(");
        bool first = true;
        foreach (var f in Fields.OrderBy(f => f.OvsOrder))
        {
            if (!first) s.Append(',');
            first = false;
            f.Format(s);
        }
        if (Fields.Count > 1) s.Append(')');
    }
}

/// <summary>Decoding of <see cref="SelectionMethod"/> (parse_group_prop_ntr_selection_method, oxm_pull_field_array).</summary>
internal static class SelectionMethodReader
{
    private const string Owner = "OFPT_GROUP_MOD (OF1.5) selection method";
    private const string BadValue = "OFPBPC_BAD_VALUE";

    /// <summary>
    /// Reads the property payload after the experimenter id and exp_type (<paramref name="body"/> ends
    /// where the property's length says). <paramref name="at"/> is the property's offset for errors.
    /// </summary>
    public static SelectionMethod Read(ref OfpReader body, GroupType type, GroupModCommand command, int at)
    {
        if (type != GroupType.Select)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue,
                $"{Owner}: only select groups may carry it (group type {(byte)type})", at, type > GroupType.FastFailover ? "OFPGMFC_BAD_TYPE" : BadValue);
        }
        if (command is not (GroupModCommand.Add or GroupModCommand.Modify or GroupModCommand.AddOrModify))
        {
            bool known = command is GroupModCommand.Delete or GroupModCommand.InsertBucket or GroupModCommand.RemoveBucket;
            throw new OfpProtocolException(OfpErrorKind.BadValue,
                $"{Owner}: only add and modify may carry it (command {(ushort)command})", at, known ? BadValue : "OFPGMFC_BAD_COMMAND");
        }
        if (body.Remaining < SelectionMethod.FixedLength - 12)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"{Owner}: property length {body.Remaining + 12} is below its {SelectionMethod.FixedLength} bytes", at, "OFPBPC_BAD_LEN");
        }
        if (body.ReadU32("selection method padding") != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: padding is not zero", at);
        }
        var nameBytes = body.ReadMemory(SelectionMethod.NameLength, "selection_method").Span;
        int nul = nameBytes.IndexOf((byte)0);
        if (nul < 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: selection_method is not NUL-terminated", at + 16, BadValue);
        }
        if (nameBytes[nul..].ContainsAnyExcept((byte)0))
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: selection_method has bytes after its NUL", at + 16);
        }
        string name = Encoding.ASCII.GetString(nameBytes[..nul]);
        if (name is not ("hash" or "dp_hash"))
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: selection_method '{name}' is not supported (hash, dp_hash)", at + 16, BadValue);
        }
        ulong param = body.ReadU64("selection_method_param");
        if (!body.End && name != "hash")
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: selection_method {name} does not support fields", body.AbsolutePosition, BadValue);
        }
        var fields = new List<HashField>();
        while (!body.End) fields.Add(ReadField(ref body, fields));
        return new SelectionMethod(name, param, fields.ToArray());
    }

    private static HashField ReadField(ref OfpReader r, List<HashField> seen)
    {
        int at = r.AbsolutePosition;
        uint header = r.ReadU32("selection method field header");
        ushort cls = (ushort)(header >> 16);
        byte fieldNo = (byte)((header >> 9) & 0x7f);
        bool hasMask = (header & 0x100) != 0;
        int len = (int)(header & 0xff);
        uint experimenter = cls == 0xffff ? r.ReadU32("selection method field experimenter") : 0;
        if (hasMask)
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{Owner}: field header 0x{header:x8} has the mask bit (the value is the mask)", at, "OFPBMC_BAD_MASK");
        }
        var field = FieldTable.ByHeader(cls, fieldNo, experimenter)
            ?? throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{Owner}: field header 0x{header:x8} names no field OVS knows", at, "OFPBMC_BAD_FIELD");
        if (field.PreferredHeader != (cls, fieldNo, experimenter))
        {
            // OVS also accepts e.g. an NXM header for a field that has an OXM one, but writes the OXM
            // header: such a field array could not be re-encoded unchanged.
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{Owner}: field {field.Name} is named by header 0x{header:x8}, not the one OVS writes", at, "OFPBMC_BAD_FIELD");
        }
        if (field.Width > 16)
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{Owner}: field {field.Name} ({field.Width} bytes) is wider than this codec hashes (16)", at, "OFPBMC_BAD_FIELD");
        }
        int width = len - (cls == 0xffff ? 4 : 0);
        if (width != field.Width)
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{Owner}: field {field.Name} has length {len}, {field.Width} expected", at, "OFPBMC_BAD_LEN");
        }
        if (seen.Exists(f => f.Field.Id == field.Id))
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, $"{Owner}: field {field.Name} is given twice", at, "OFPBMC_DUP_FIELD");
        }
        var value = r.ReadMemory(width, field.Name).Span;
        UInt128 mask = 0;
        foreach (byte b in value) mask = (mask << 8) | b;
        return new HashField(field, mask);
    }
}
