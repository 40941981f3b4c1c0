using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>Multipart message kinds (OpenFlow 1.3.5 §7.3.5, enum ofp_multipart_type).</summary>
public enum MultipartType : ushort
{
    Desc = 0, Flow = 1, Aggregate = 2, Table = 3, PortStats = 4, Queue = 5, Group = 6, GroupDesc = 7,
    GroupFeatures = 8, Meter = 9, MeterConfig = 10, MeterFeatures = 11, TableFeatures = 12, PortDesc = 13,
    Experimenter = 0xffff,
}

/// <summary>
/// Multipart flags (enum ofp_multipart_request_flags / ofp_multipart_reply_flags): MORE means another
/// part of the same request or reply follows with the same xid.
/// </summary>
[Flags]
public enum MultipartFlags : ushort { None = 0, More = 1 }

/// <summary>
/// OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (OpenFlow 1.3.5 §7.3.5): statistics and
/// descriptions (flows, ports, groups, meters, tables). A reply too large for one message is split
/// into parts sharing an xid, all but the last flagged MORE; <see cref="MultipartReply.Combine"/>
/// joins them.
/// <code>
/// struct ofp_multipart_request {     /* and struct ofp_multipart_reply, same layout */
///     struct ofp_header header;
///     uint16_t type;                 /* enum ofp_multipart_type */
///     uint16_t flags;                /* OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE */
///     uint8_t pad[4];
///     uint8_t body[0];
/// };
/// </code>
/// </summary>
public abstract record MultipartMessage : OfpMessage
{
    public const int PartHeaderLength = 8;

    public abstract MultipartType MultipartType { get; }

    public MultipartFlags Flags { get; init; }

    /// <summary>Another part follows (OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE).</summary>
    public bool More => (Flags & MultipartFlags.More) != 0;

    public abstract bool IsReply { get; }

    public sealed override OfpType Type => IsReply ? OfpType.MultipartReply : OfpType.MultipartRequest;

    /// <summary>Bytes of the body after the 8-byte multipart header.</summary>
    internal abstract int PartLength { get; }

    internal abstract void WritePart(ref OfpWriter w);

    /// <summary>Appends what ofp-print prints for the body, after the <c>flags=</c> part.</summary>
    public abstract void FormatPart(StringBuilder s);

    public sealed override int BodyLength => PartHeaderLength + PartLength;

    internal sealed override void WriteBody(ref OfpWriter w)
    {
        w.WriteU16((ushort)MultipartType);
        w.WriteU16((ushort)Flags);
        w.WriteZeros(4);
        WritePart(ref w);
    }

    /// <summary>The ofpraw name: <c>OFPST_FLOW request</c>, <c>OFPST_PORT_DESC reply</c>.</summary>
    public override string OvsName => KindName(MultipartType) + (IsReply ? " reply" : " request");

    /// <summary>ofp_print_stats (the flags) then the body.</summary>
    public sealed override void FormatBody(StringBuilder s)
    {
        ushort flags = (ushort)Flags;
        if (flags != 0)
        {
            s.Append(" flags=");
            if ((flags & 1) != 0)
            {
                s.Append("[more]");
                flags &= unchecked((ushort)~1);
            }
            if (flags != 0) s.Append("[***unknown flags 0x").Append(flags.ToString("x4")).Append("***]");
        }
        FormatPart(s);
    }

    public static string KindName(MultipartType type) => type switch
    {
        MultipartType.Desc => "OFPST_DESC",
        MultipartType.Flow => "OFPST_FLOW",
        MultipartType.Aggregate => "OFPST_AGGREGATE",
        MultipartType.Table => "OFPST_TABLE",
        MultipartType.PortStats => "OFPST_PORT",
        MultipartType.Queue => "OFPST_QUEUE",
        MultipartType.Group => "OFPST_GROUP",
        MultipartType.GroupDesc => "OFPST_GROUP_DESC",
        MultipartType.GroupFeatures => "OFPST_GROUP_FEATURES",
        MultipartType.Meter => "OFPST_METER",
        MultipartType.MeterConfig => "OFPST_METER_CONFIG",
        MultipartType.MeterFeatures => "OFPST_METER_FEATURES",
        MultipartType.TableFeatures => "OFPST_TABLE_FEATURES",
        MultipartType.PortDesc => "OFPST_PORT_DESC",
        MultipartType.Experimenter => "OFPST_EXPERIMENTER",
        _ => $"OFPST_UNKNOWN({(ushort)type})",
    };
}

/// <summary>A multipart request (controller to switch).</summary>
public abstract record MultipartRequest : MultipartMessage
{
    public sealed override bool IsReply => false;
}

/// <summary>A multipart reply (switch to controller), possibly one part of several.</summary>
public abstract record MultipartReply : MultipartMessage
{
    public sealed override bool IsReply => true;

    /// <summary>This part followed by <paramref name="next"/> (same kind), as one reply.</summary>
    internal virtual MultipartReply AppendPart(MultipartReply next) =>
        throw new InvalidOperationException($"{OvsName} is a single-part reply and cannot be combined");

    /// <summary>
    /// Joins the parts of a reply split with the MORE flag (in arrival order) into one reply with all
    /// the entries, the first part's xid and no flags. All parts must be of the same multipart type.
    /// </summary>
    public static MultipartReply Combine(IReadOnlyList<MultipartReply> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("no parts to combine", nameof(parts));
        var acc = parts[0];
        for (int i = 1; i < parts.Count; i++)
        {
            if (parts[i].MultipartType != acc.MultipartType)
            {
                throw new ArgumentException($"cannot combine {parts[i].OvsName} with {acc.OvsName}", nameof(parts));
            }
            acc = acc.AppendPart(parts[i]);
        }
        return acc with { Flags = MultipartFlags.None };
    }
}

/// <summary>Reads an entry of a multipart body.</summary>
internal delegate T EntryReader<T>(ref OfpReader r);

/// <summary>
/// A reply whose body is an array of entries (flows, ports, groups, meters, ...). Parts of a split
/// reply concatenate their entries.
/// </summary>
public abstract record MultipartListReply<T> : MultipartReply
{
    public EquatableArray<T> Entries { get; init; } = EquatableArray<T>.Empty;

    internal abstract int EntryLength(T entry);

    internal abstract void WriteEntry(ref OfpWriter w, T entry);

    /// <summary>
    /// Bytes every part carries before its entries: none for the standard replies, the experimenter id
    /// and type for an OFPMP_EXPERIMENTER reply (ONFST_FLOW_MONITOR).
    /// </summary>
    internal virtual int EntriesPrefixLength => 0;

    internal virtual void WriteEntriesPrefix(ref OfpWriter w) { }

    internal sealed override int PartLength
    {
        get
        {
            int n = EntriesPrefixLength;
            foreach (var e in Entries) n += EntryLength(e);
            return n;
        }
    }

    internal sealed override void WritePart(ref OfpWriter w)
    {
        WriteEntriesPrefix(ref w);
        foreach (var e in Entries) WriteEntry(ref w, e);
    }

    /// <summary>
    /// Concatenates the entries. Parts of the same multipart type may still differ (OFPMP_EXPERIMENTER
    /// replies of different experimenters), so a part of another kind is refused, not cast.
    /// </summary>
    internal sealed override MultipartReply AppendPart(MultipartReply next) =>
        next is MultipartListReply<T> more
            ? this with { Entries = new EquatableArray<T>([.. Entries, .. more.Entries]) }
            : throw new InvalidOperationException($"cannot combine {OvsName} with {next.OvsName}");

    /// <summary>Reads entries until the body is exhausted.</summary>
    internal static EquatableArray<T> ReadEntries(ref OfpReader r, EntryReader<T> read) => MultipartCodec.ReadAll(ref r, read);

    /// <summary>ofp-print's per-entry loop: each entry after <paramref name="separator"/> (a new line, perhaps indented).</summary>
    protected void FormatEntries(StringBuilder s, string separator, Action<T, StringBuilder> format)
    {
        foreach (var e in Entries)
        {
            s.Append(separator);
            format(e, s);
        }
    }
}

/// <summary>
/// A request with an empty body: DESC, TABLE, GROUP_DESC, GROUP_FEATURES, PORT_DESC (OpenFlow 1.3
/// has no port selector) and METER_FEATURES.
/// </summary>
public sealed record EmptyMultipartRequest(MultipartType Kind) : MultipartRequest
{
    public static EmptyMultipartRequest Desc(uint xid = 0) => new(MultipartType.Desc) { Xid = xid };
    public static EmptyMultipartRequest Table(uint xid = 0) => new(MultipartType.Table) { Xid = xid };
    public static EmptyMultipartRequest GroupDesc(uint xid = 0) => new(MultipartType.GroupDesc) { Xid = xid };
    public static EmptyMultipartRequest GroupFeatures(uint xid = 0) => new(MultipartType.GroupFeatures) { Xid = xid };
    public static EmptyMultipartRequest PortDesc(uint xid = 0) => new(MultipartType.PortDesc) { Xid = xid };
    public static EmptyMultipartRequest MeterFeatures(uint xid = 0) => new(MultipartType.MeterFeatures) { Xid = xid };

    public override MultipartType MultipartType => Kind;
    internal override int PartLength => 0;
    internal override void WritePart(ref OfpWriter w) { }

    /// <summary>OVS shows the implied selector of GROUP_DESC (all groups) and PORT_DESC (any port).</summary>
    public override void FormatPart(StringBuilder s)
    {
        if (Kind == MultipartType.GroupDesc) s.Append(" group_id=ALL");
        else if (Kind == MultipartType.PortDesc) s.Append(" port=ANY");
    }
}

/// <summary>A request of a kind this codec does not interpret; the body is kept as sent.</summary>
public sealed record RawMultipartRequest(MultipartType Kind, Bytes Body) : MultipartRequest
{
    public override MultipartType MultipartType => Kind;
    internal override int PartLength => Body.Length;
    internal override void WritePart(ref OfpWriter w) => w.WriteBytes(Body.Span);
    public override void FormatPart(StringBuilder s) => s.Append(' ').Append(Body.Length).Append(" bytes of body\n");
}

/// <summary>A reply of a kind this codec does not interpret; the body is kept as sent (parts concatenate).</summary>
public sealed record RawMultipartReply(MultipartType Kind, Bytes Body) : MultipartReply
{
    public override MultipartType MultipartType => Kind;
    internal override int PartLength => Body.Length;
    internal override void WritePart(ref OfpWriter w) => w.WriteBytes(Body.Span);
    public override void FormatPart(StringBuilder s) => s.Append(' ').Append(Body.Length).Append(" bytes of body\n");

    internal override MultipartReply AppendPart(MultipartReply next)
    {
        byte[] joined = [.. Body.Span, .. ((RawMultipartReply)next).Body.Span];
        return this with { Body = joined };
    }
}

/// <summary>Decoding of multipart bodies by type.</summary>
internal static class MultipartCodec
{
    public static MultipartRequest ReadRequest(ref OfpReader r)
    {
        var (type, flags) = ReadHeader(ref r);
        MultipartRequest m = type switch
        {
            MultipartType.Desc or MultipartType.Table or MultipartType.GroupDesc or MultipartType.GroupFeatures
                or MultipartType.PortDesc or MultipartType.MeterFeatures => new EmptyMultipartRequest(type),
            MultipartType.Flow => FlowStatsRequest.Read(ref r),
            MultipartType.Aggregate => AggregateStatsRequest.Read(ref r),
            MultipartType.PortStats => PortStatsRequest.Read(ref r),
            MultipartType.Group => GroupStatsRequest.Read(ref r),
            MultipartType.Meter => MeterStatsRequest.Read(ref r),
            MultipartType.MeterConfig => MeterConfigRequest.Read(ref r),
            MultipartType.Queue => QueueStatsRequest.Read(ref r),
            MultipartType.Experimenter => FlowMonitor.ReadRequest(ref r),
            MultipartType.TableFeatures => TableFeaturesRequest.Read(ref r),
            _ => new RawMultipartRequest(type, new Bytes(r.ReadMemory(r.Remaining))),
        };
        return m with { Flags = flags };
    }

    public static MultipartReply ReadReply(ref OfpReader r)
    {
        var (type, flags) = ReadHeader(ref r);
        MultipartReply m = type switch
        {
            MultipartType.Desc => DescReply.Read(ref r),
            MultipartType.Flow => FlowStatsReply.Read(ref r),
            MultipartType.Aggregate => AggregateStatsReply.Read(ref r),
            MultipartType.Table => TableStatsReply.Read(ref r),
            MultipartType.PortStats => PortStatsReply.Read(ref r),
            MultipartType.Group => GroupStatsReply.Read(ref r),
            MultipartType.GroupDesc => GroupDescReply.Read(ref r),
            MultipartType.GroupFeatures => GroupFeaturesReply.Read(ref r),
            MultipartType.PortDesc => PortDescReply.Read(ref r),
            MultipartType.Meter => MeterStatsReply.Read(ref r),
            MultipartType.MeterConfig => MeterConfigReply.Read(ref r),
            MultipartType.MeterFeatures => MeterFeaturesReply.Read(ref r),
            MultipartType.Queue => QueueStatsReply.Read(ref r),
            MultipartType.Experimenter => FlowMonitor.ReadReply(ref r),
            MultipartType.TableFeatures => TableFeaturesReply.Read(ref r),
            _ => new RawMultipartReply(type, new Bytes(r.ReadMemory(r.Remaining))),
        };
        return m with { Flags = flags };
    }

    /// <summary>Reads entries until the body is exhausted.</summary>
    public static EquatableArray<T> ReadAll<T>(ref OfpReader r, EntryReader<T> read)
    {
        if (r.End) return EquatableArray<T>.Empty;
        var list = new List<T>();
        while (!r.End) list.Add(read(ref r));
        return new EquatableArray<T>(list.ToArray());
    }

    private static (MultipartType, MultipartFlags) ReadHeader(ref OfpReader r)
    {
        var type = (MultipartType)r.ReadU16("multipart type");
        var flags = (MultipartFlags)r.ReadU16("multipart flags");
        r.Skip(4, "multipart padding");
        return (type, flags);
    }

    /// <summary>A reader over one entry of <paramref name="len"/> bytes, checked against the minimum and the bytes left.</summary>
    public static OfpReader Entry(ref OfpReader r, int len, int min, string what)
    {
        if (len < min)
        {
            throw r.Error(OfpErrorKind.BadLength, $"{what} length {len} is below its {min}-byte minimum");
        }
        if (len > r.Remaining)
        {
            throw r.Error(OfpErrorKind.BadLength, $"{what} length {len} overruns the {r.Remaining} bytes left in the body");
        }
        return r.ReadSub(len, what);
    }

    /// <summary>An entry's 16-bit length field; an entry that cannot be described by one is an encoding bug.</summary>
    public static ushort Length16(int len, string what) => len <= ushort.MaxValue ? (ushort)len
        : throw new InvalidOperationException($"{what} of {len} bytes exceeds its 16-bit length field");

    /// <summary>Checks that a fixed-size entry is wholly present.</summary>
    public static void NeedFixed(ref OfpReader r, int size, string what)
    {
        if (r.Remaining < size)
        {
            throw r.Error(OfpErrorKind.Truncated, $"{what} needs {size} bytes, only {r.Remaining} left in the body");
        }
    }
}
