using System.Buffers.Binary;
using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// OFPT_GROUP_MOD in OpenFlow 1.5 (OpenFlow 1.5.1 §7.3.4.2), the only form that carries OVS's
/// selection-method group property (<see cref="SelectionMethod"/>): the service select group sent with
/// <c>selection_method=dp_hash</c> so UDP flows spread by 5-tuple. Always a full ADD or MODIFY of the
/// bucket list (OVS 3.1's insert/remove-bucket leaves a dp_hash group's hash map stale). The header
/// version is 0x06, so it travels only on a connection negotiated at OpenFlow 1.5; the OpenFlow 1.3
/// <see cref="OfpDecoder"/> does not accept it: decode with <see cref="Decode"/>.
/// <code>
/// struct ofp_group_mod {
///     struct ofp_header header;        /* version 0x06, type 15 */
///     uint16_t command;                /* OFPGC_* */
///     uint8_t  type;                   /* OFPGT_* */
///     uint8_t  pad;
///     uint32_t group_id;
///     uint16_t bucket_array_len;       /* bytes of buckets */
///     uint8_t  pad[2];
///     uint32_t command_bucket_id;      /* OFPG_BUCKET_ALL (0xffffffff) except insert/remove bucket */
///     struct ofp_bucket buckets[0];    /* bucket_array_len bytes */
///     struct ofp_group_prop_header properties[0]; /* to the end of the message */
/// };                                   /* 24 bytes with the header */
/// </code>
/// </summary>
public sealed record GroupMod15(
    GroupModCommand Command, GroupType GroupType, uint GroupId, EquatableArray<Bucket15> Buckets,
    SelectionMethod? Method = null, uint CommandBucketId = GroupMod15.BucketAll) : OfpMessage
{
    public const byte Version15 = 0x06;
    /// <summary>OFPG_BUCKET_FIRST / LAST / ALL (enum ofp_group_bucket).</summary>
    public const uint BucketFirst = 0xfffffffd, BucketLast = 0xfffffffe, BucketAll = 0xffffffff;
    private const int FixedBody = 16;

    /// <summary>Adds a select group with the given selection method (null: OVS's default).</summary>
    public static GroupMod15 AddSelect(uint groupId, SelectionMethod? method, IEnumerable<Bucket15> buckets, uint xid = 0) =>
        new(GroupModCommand.Add, GroupType.Select, groupId, buckets.ToArray(), method) { Xid = xid };

    /// <summary>Replaces a select group's whole bucket list and selection method.</summary>
    public static GroupMod15 ModifySelect(uint groupId, SelectionMethod? method, IEnumerable<Bucket15> buckets, uint xid = 0) =>
        new(GroupModCommand.Modify, GroupType.Select, groupId, buckets.ToArray(), method) { Xid = xid };

    public override byte Version => Version15;
    public override OfpType Type => OfpType.GroupMod;
    public override string OvsName => "OFPT_GROUP_MOD";
    public override int BodyLength => FixedBody + Bucket15.ListLength(Buckets, GroupType) + (Method?.PaddedLength ?? 0);

    internal override void WriteBody(ref OfpWriter w)
    {
        int bucketsLen = Bucket15.ListLength(Buckets, GroupType);
        if (bucketsLen > ushort.MaxValue) throw new InvalidOperationException($"buckets of {bucketsLen} bytes exceed bucket_array_len");
        w.WriteU16((ushort)Command);
        w.WriteU8((byte)GroupType);
        w.WriteZeros(1);
        w.WriteU32(GroupId);
        w.WriteU16((ushort)bucketsLen);
        w.WriteZeros(2);
        w.WriteU32(CommandBucketId);
        foreach (var b in Buckets) b.Write(ref w, GroupType);
        Method?.Write(ref w);
    }

    /// <summary>
    /// Decodes one whole OpenFlow 1.5 GROUP_MOD (header included) as ofputil_pull_ofp15_group_mod does.
    /// Every fault is an <see cref="OfpProtocolException"/> naming the field and its byte offset.
    /// </summary>
    public static GroupMod15 Decode(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        if (span.Length < HeaderLength + FixedBody)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"OF1.5 group_mod of {span.Length} bytes is shorter than its {HeaderLength + FixedBody}-byte fixed part", 0);
        }
        if (span[0] != Version15)
        {
            throw new OfpProtocolException(OfpErrorKind.BadVersion, $"version 0x{span[0]:x2} is not OpenFlow 1.5 (0x06)", 0);
        }
        if (span[1] != (byte)OfpType.GroupMod)
        {
            throw new OfpProtocolException(OfpErrorKind.BadType, $"message type {span[1]} is not OFPT_GROUP_MOD (15)", 1);
        }
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        if (length != span.Length)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"header length {length} does not match the {span.Length} bytes of the message", 2);
        }
        uint xid = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        var r = new OfpReader(message[HeaderLength..], HeaderLength);
        var m = Read(ref r);
        m.SetDecodedXid(xid);
        return m;
    }

    private static GroupMod15 Read(ref OfpReader r)
    {
        var command = (GroupModCommand)r.ReadU16("group_mod command");
        var type = (GroupType)r.ReadU8("group_mod type");
        if (r.ReadU8("group_mod pad") != 0) throw r.Error(OfpErrorKind.BadValue, "group_mod pad is not zero");
        uint groupId = r.ReadU32("group_id");
        int lenAt = r.AbsolutePosition;
        ushort bucketsLen = r.ReadU16("bucket_array_len");
        if (r.ReadU16("group_mod pad") != 0) throw r.Error(OfpErrorKind.BadValue, "group_mod pad is not zero");
        int idAt = r.AbsolutePosition;
        uint commandBucketId = r.ReadU32("command_bucket_id");
        if (!CommandBucketIdValid(command, commandBucketId))
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"command_bucket_id 0x{commandBucketId:x8} is out of range for command {(ushort)command}", idAt, "OFPGMFC_BAD_BUCKET");
        }
        if (bucketsLen > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"bucket_array_len {bucketsLen} overruns the {r.Remaining} bytes after the group_mod header", lenAt, "OFPBRC_BAD_LEN");
        }
        var br = r.ReadSub(bucketsLen, "buckets");
        var buckets = new List<Bucket15>();
        while (!br.End) buckets.Add(Bucket15.Read(ref br, type));
        SelectionMethod? method = null;
        while (!r.End)
        {
            var body = OfpPropertyReader.Next(ref r, "OFPT_GROUP_MOD (OF1.5)", OfpErrorKind.BadLength, out ushort prop, out int at);
            uint experimenter = prop == 0xffff ? body.ReadU32("group property experimenter") : 0;
            uint expType = prop == 0xffff ? body.ReadU32("group property exp_type") : 0;
            bool ntr = prop == 0xffff && expType == SelectionMethod.SelectionMethodExpType
                && experimenter is SelectionMethod.NtrVendorId or SelectionMethod.NtrCompatVendorId;
            if (!ntr)
            {
                throw new OfpProtocolException(OfpErrorKind.BadValue,
                    $"OFPT_GROUP_MOD (OF1.5): unknown group property type {prop} (experimenter 0x{experimenter:x8}, exp_type {expType})", at,
                    prop == 0xffff ? "OFPBPC_BAD_EXPERIMENTER" : "OFPBPC_BAD_TYPE");
            }
            if (method is not null)
            {
                throw new OfpProtocolException(OfpErrorKind.BadValue, "OFPT_GROUP_MOD (OF1.5): selection method property given twice", at, "OFPBPC_DUP_TYPE");
            }
            if (experimenter != SelectionMethod.NtrVendorId)
            {
                // OVS accepts the compat id but writes NTR_VENDOR_ID: keeping it would not re-encode unchanged.
                throw new OfpProtocolException(OfpErrorKind.BadValue, $"OFPT_GROUP_MOD (OF1.5): selection method under the compat vendor id 0x{experimenter:x8}", at);
            }
            method = SelectionMethodReader.Read(ref body, type, command, at);
        }
        return new GroupMod15(command, type, groupId, buckets.ToArray(), method, commandBucketId);
    }

    /// <summary>ofputil_pull_ofp15_group_mod's command_bucket_id check.</summary>
    private static bool CommandBucketIdValid(GroupModCommand command, uint id) => command switch
    {
        GroupModCommand.RemoveBucket => id == BucketAll || id <= Bucket15.MaxBucketId || id is BucketFirst or BucketLast,
        GroupModCommand.InsertBucket => id <= Bucket15.MaxBucketId || id is BucketFirst or BucketLast,
        _ => id == BucketAll,
    };

    /// <summary>ofputil_group_mod_format__ for OpenFlow 1.5: <c>\n ADD group_id=1,type=select,selection_method=dp_hash,bucket=bucket_id:0,...</c>.</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append("\n ").Append(GroupText.CommandName(Command)).Append(' ');
        bool bucketCommand = Command is GroupModCommand.InsertBucket or GroupModCommand.RemoveBucket;
        if (bucketCommand)
        {
            s.Append("command_bucket_id:").Append(CommandBucketId switch
            {
                BucketFirst => "first",
                BucketLast => "last",
                BucketAll => "all",
                _ => CommandBucketId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).Append(',');
        }
        FormatGroup(s, suppressType: bucketCommand);
    }

    /// <summary>The group as <c>ovs-ofctl -O OpenFlow15 dump-groups</c> lists it once installed.</summary>
    public string DumpText()
    {
        var s = new StringBuilder();
        FormatGroup(s, suppressType: false);
        return s.ToString();
    }

    /// <summary>ofp_print_group (lib/ofp-group.c) at OpenFlow 1.5: type, selection method, buckets with their ids.</summary>
    private void FormatGroup(StringBuilder s, bool suppressType)
    {
        s.Append("group_id=").Append(GroupId);
        if (!suppressType) s.Append(",type=").Append(GroupText.TypeName(GroupType));
        Method?.Format(s);
        foreach (var b in Buckets)
        {
            s.Append(',');
            b.Format(s, GroupType);
        }
    }
}
