using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Groups;

/// <summary>
/// One bucket of a group (OpenFlow 1.3.5 §7.3.4.2), shared by GROUP_MOD and the GROUP_DESC multipart
/// reply. A select group's load balancing is the bucket list: one bucket per backend, each with its
/// weight and the actions that steer the packet to that backend.
/// <code>
/// struct ofp_bucket {
///     uint16_t len;          /* this header + actions, a multiple of 8 */
///     uint16_t weight;       /* select groups only; 0 elsewhere */
///     uint32_t watch_port;   /* fast failover liveness; OFPP_ANY if none */
///     uint32_t watch_group;  /* fast failover liveness; OFPG_ANY if none */
///     uint8_t  pad[4];
///     struct ofp_action_header actions[0];
/// };                         /* 16 bytes before the actions */
/// </code>
/// </summary>
public sealed record Bucket(ushort Weight, uint WatchPort, uint WatchGroup, EquatableArray<OfpAction> Actions)
{
    public const int HeaderLength = 16;

    /// <summary>The error OVS reports for a bucket whose length is wrong (ofputil_pull_ofp11_buckets).</summary>
    private const string BadBucket = "OFPGMFC_BAD_BUCKET";

    /// <summary>A bucket with no liveness watch (OFPP_ANY / OFPG_ANY).</summary>
    public Bucket(ushort weight, EquatableArray<OfpAction> actions)
        : this(weight, OfctlFormat.Ports.Any, GroupId.Any, actions) { }

    /// <summary>A select-group bucket: <paramref name="weight"/> and its actions, no watch.</summary>
    public static Bucket Weighted(ushort weight, params OfpAction[] actions) => new(weight, actions);

    /// <summary>A bucket for all/indirect groups (weight 0, no watch).</summary>
    public static Bucket Of(params OfpAction[] actions) => new(0, actions);

    /// <summary>A fast-failover bucket live while <paramref name="watchPort"/> is up.</summary>
    public static Bucket WatchingPort(uint watchPort, params OfpAction[] actions) => new(0, watchPort, GroupId.Any, actions);

    /// <summary>A fast-failover bucket live while group <paramref name="watchGroup"/> is live.</summary>
    public static Bucket WatchingGroup(uint watchGroup, params OfpAction[] actions) => new(0, OfctlFormat.Ports.Any, watchGroup, actions);

    public int WireLength => HeaderLength + OfpAction.ListLength(Actions);

    /// <summary>Total encoded length of a bucket list.</summary>
    public static int ListLength(EquatableArray<Bucket> buckets)
    {
        int n = 0;
        foreach (var b in buckets) n += b.WireLength;
        return n;
    }

    internal void Write(ref OfpWriter w)
    {
        int len = WireLength;
        if (len > ushort.MaxValue)
        {
            throw new InvalidOperationException($"bucket of {len} bytes exceeds the 16-bit length field");
        }
        w.WriteU16((ushort)len);
        w.WriteU16(Weight);
        w.WriteU32(WatchPort);
        w.WriteU32(WatchGroup);
        w.WriteZeros(4);
        OfpAction.WriteList(ref w, Actions);
    }

    internal static void WriteList(ref OfpWriter w, EquatableArray<Bucket> buckets)
    {
        foreach (var b in buckets) b.Write(ref w);
    }

    /// <summary>Reads one bucket; its <c>len</c> must cover the 16-byte header and lie inside the reader.</summary>
    internal static Bucket Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"buckets end with {r.Remaining} leftover bytes, less than a bucket header", at, BadBucket);
        }
        ushort len = r.PeekU16("bucket length");
        if (len < HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"bucket length {len} is below the {HeaderLength}-byte bucket header", at, BadBucket);
        }
        if (len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"bucket length {len} overruns the {r.Remaining} bytes left for buckets", at, BadBucket);
        }
        var b = r.ReadSub(len, "bucket");
        b.Skip(2);
        ushort weight = b.ReadU16("bucket weight");
        uint watchPort = b.ReadU32("bucket watch_port");
        uint watchGroup = b.ReadU32("bucket watch_group");
        b.Skip(4, "bucket padding");
        var actions = ActionCodec.ReadList(ref b, b.Remaining);
        return new Bucket(weight, watchPort, watchGroup, actions);
    }

    /// <summary>Reads buckets until the reader is exhausted.</summary>
    internal static EquatableArray<Bucket> ReadList(ref OfpReader r)
    {
        if (r.End) return EquatableArray<Bucket>.Empty;
        var list = new List<Bucket>();
        while (!r.End) list.Add(Read(ref r));
        return new EquatableArray<Bucket>(list.ToArray());
    }

    /// <summary>
    /// One <c>bucket=...</c> item as ofp_print_group prints it for OpenFlow 1.1-1.4 (no bucket_id):
    /// weight only when it differs from the type's default (1 for select, 0 otherwise), watch_port
    /// unless OFPP_ANY, watch_group unless OFPG_ANY, then <c>actions=</c>.
    /// </summary>
    public void Format(StringBuilder s, GroupType type)
    {
        s.Append("bucket=");
        if (Weight != (type == GroupType.Select ? 1 : 0)) s.Append("weight:").Append(Weight).Append(',');
        if (WatchPort != OfctlFormat.Ports.Any) s.Append("watch_port:").Append(OfctlFormat.Port(WatchPort)).Append(',');
        if (WatchGroup != GroupId.Any) s.Append("watch_group:").Append(WatchGroup).Append(',');
        s.Append("actions=");
        OfpAction.FormatList(s, Actions);
    }
}
