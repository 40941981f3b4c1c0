using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// One bucket of an OpenFlow 1.5 group (OpenFlow 1.5.1 §7.3.4.2): a bucket id, its actions, then weight
/// and liveness as properties. Written as OVS writes it (lib/ofp-group.c ofputil_put_ofp15_bucket): the
/// weight property for a select group or a nonzero weight, watch_port unless OFPP_ANY, watch_group unless
/// OFPG_ANY; read with OVS's defaults for absent properties (weight 1 in a select group, else 0).
/// <code>
/// struct ofp_bucket {
///     uint16_t len;               /* header + actions + properties, a multiple of 8 */
///     uint16_t action_array_len;  /* bytes of actions */
///     uint32_t bucket_id;         /* 0..OFPG_BUCKET_MAX (0xffffff00) */
///     struct ofp_action_header actions[0];
///     struct ofp_group_bucket_prop_header properties[0];
/// };                              /* 8 bytes before the actions */
/// struct ofp_group_bucket_prop_weight {       /* OFPGBPT_WEIGHT = 0 */
///     uint16_t type; uint16_t length;         /* 8 */
///     uint16_t weight; uint8_t pad[2];
/// };
/// struct ofp_group_bucket_prop_watch {        /* OFPGBPT_WATCH_PORT = 1, OFPGBPT_WATCH_GROUP = 2 */
///     uint16_t type; uint16_t length;         /* 8 */
///     uint32_t watch;                         /* port or group */
/// };
/// </code>
/// </summary>
public sealed record Bucket15(uint BucketId, ushort Weight, uint WatchPort, uint WatchGroup, EquatableArray<OfpAction> Actions)
{
    public const int HeaderLength = 8;
    public const ushort WeightProp = 0, WatchPortProp = 1, WatchGroupProp = 2;

    /// <summary>OFPG_BUCKET_MAX: the last bucket id a bucket may carry.</summary>
    public const uint MaxBucketId = 0xffffff00;

    private const string BadBucket = "OFPGMFC_BAD_BUCKET";
    private const string Owner = "OFPT_GROUP_MOD (OF1.5) bucket";

    /// <summary>A select-group bucket with a weight, alive while <paramref name="watchPort"/> is up.</summary>
    public static Bucket15 Select(uint bucketId, ushort weight, uint watchPort, params OfpAction[] actions) =>
        new(bucketId, weight, watchPort, GroupId.Any, actions);

    /// <summary>The same bucket in OpenFlow 1.1-1.4 form (no bucket id).</summary>
    public Bucket ToBucket() => new(Weight, WatchPort, WatchGroup, Actions);

    /// <summary>Whether OVS writes the weight property (select group or nonzero weight).</summary>
    private bool HasWeight(GroupType type) => type == GroupType.Select || Weight != 0;

    public int WireLength(GroupType type) =>
        HeaderLength + OfpAction.ListLength(Actions)
        + (HasWeight(type) ? 8 : 0)
        + (WatchPort != OfctlFormat.Ports.Any ? 8 : 0)
        + (WatchGroup != GroupId.Any ? 8 : 0);

    public static int ListLength(EquatableArray<Bucket15> buckets, GroupType type)
    {
        int n = 0;
        foreach (var b in buckets) n += b.WireLength(type);
        return n;
    }

    internal void Write(ref OfpWriter w, GroupType type)
    {
        int len = WireLength(type);
        if (len > ushort.MaxValue) throw new InvalidOperationException($"bucket of {len} bytes exceeds the 16-bit length field");
        w.WriteU16((ushort)len);
        w.WriteU16((ushort)OfpAction.ListLength(Actions));
        w.WriteU32(BucketId);
        OfpAction.WriteList(ref w, Actions);
        if (HasWeight(type))
        {
            w.WriteU16(WeightProp);
            w.WriteU16(8);
            w.WriteU16(Weight);
            w.WriteZeros(2);
        }
        if (WatchPort != OfctlFormat.Ports.Any) WriteWatch(ref w, WatchPortProp, WatchPort);
        if (WatchGroup != GroupId.Any) WriteWatch(ref w, WatchGroupProp, WatchGroup);
    }

    private static void WriteWatch(ref OfpWriter w, ushort prop, uint value)
    {
        w.WriteU16(prop);
        w.WriteU16(8);
        w.WriteU32(value);
    }

    /// <summary>Reads one bucket as ofputil_pull_ofp15_buckets does; faults are OFPGMFC_BAD_BUCKET or the property's own.</summary>
    internal static Bucket15 Read(ref OfpReader r, GroupType type)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"{Owner}s end with {r.Remaining} leftover bytes, less than a bucket header", at, BadBucket);
        }
        ushort len = r.PeekU16("bucket len");
        ushort actionsLen = r.PeekU16At(2, "bucket action_array_len");
        if (len < HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{Owner} len {len} is below the {HeaderLength}-byte bucket header", at, BadBucket);
        }
        if (len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{Owner} len {len} overruns the {r.Remaining} bytes left in bucket_array_len", at, BadBucket);
        }
        if (actionsLen > len - HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{Owner} action_array_len {actionsLen} exceeds the {len - HeaderLength} bytes after its header", at + 2, BadBucket);
        }
        var b = r.ReadSub(len, "bucket");
        b.Skip(4);
        uint bucketId = b.ReadU32("bucket_id");
        if (bucketId > MaxBucketId)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner} bucket_id 0x{bucketId:x8} is above OFPG_BUCKET_MAX", at + 4, BadBucket);
        }
        var actionReader = b.ReadSub(actionsLen, "bucket actions");
        var actions = ActionCodec.ReadList(ref actionReader, actionsLen);
        ushort weight = (ushort)(type == GroupType.Select ? 1 : 0);
        uint watchPort = OfctlFormat.Ports.Any, watchGroup = GroupId.Any;
        bool sawWeight = false, sawPort = false, sawGroup = false;
        while (!b.End)
        {
            var body = OfpPropertyReader.Next(ref b, Owner, OfpErrorKind.BadLength, out ushort prop, out int propAt);
            switch (prop)
            {
                case WeightProp:
                    OfpPropertyReader.Fixed(body, 4, Owner, "weight", OfpErrorKind.BadLength, propAt);
                    weight = body.ReadU16("bucket weight");
                    if (body.ReadU16() != 0) throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner} weight property padding is not zero", propAt);
                    Once(ref sawWeight, "weight", propAt);
                    break;
                case WatchPortProp:
                    OfpPropertyReader.Fixed(body, 4, Owner, "watch_port", OfpErrorKind.BadLength, propAt);
                    watchPort = body.ReadU32("bucket watch_port");
                    Once(ref sawPort, "watch_port", propAt);
                    break;
                case WatchGroupProp:
                    OfpPropertyReader.Fixed(body, 4, Owner, "watch_group", OfpErrorKind.BadLength, propAt);
                    watchGroup = body.ReadU32("bucket watch_group");
                    Once(ref sawGroup, "watch_group", propAt);
                    break;
                default:
                    throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: unknown property type {prop}", propAt, prop == 0xffff ? "OFPBPC_BAD_EXPERIMENTER" : "OFPBPC_BAD_TYPE");
            }
        }
        var bucket = new Bucket15(bucketId, weight, watchPort, watchGroup, actions);
        // Re-encoding must give the same bytes: a property OVS would not write (weight 0 outside a
        // select group, a watch of ANY) cannot be kept.
        if (sawWeight != bucket.HasWeight(type) || (sawPort && watchPort == OfctlFormat.Ports.Any) || (sawGroup && watchGroup == GroupId.Any))
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner} {bucketId}: properties differ from the ones OVS writes for these values (weight {weight}, watch_port 0x{watchPort:x}, watch_group 0x{watchGroup:x})", at);
        }
        return bucket;
    }

    private static void Once(ref bool seen, string name, int at)
    {
        if (seen) throw new OfpProtocolException(OfpErrorKind.BadValue, $"{Owner}: {name} property given twice", at, "OFPBPC_DUP_TYPE");
        seen = true;
    }

    /// <summary>ofp_print_group for OpenFlow 1.5: <c>bucket=bucket_id:N,[weight:W,][watch_port:P,][watch_group:G,]actions=...</c>.</summary>
    public void Format(StringBuilder s, GroupType type)
    {
        s.Append("bucket=bucket_id:").Append(BucketId).Append(',');
        if (Weight != (type == GroupType.Select ? 1 : 0)) s.Append("weight:").Append(Weight).Append(',');
        if (WatchPort != OfctlFormat.Ports.Any) s.Append("watch_port:").Append(OfctlFormat.Port(WatchPort)).Append(',');
        if (WatchGroup != GroupId.Any) s.Append("watch_group:").Append(WatchGroup).Append(',');
        s.Append("actions=");
        OfpAction.FormatList(s, Actions);
    }
}
