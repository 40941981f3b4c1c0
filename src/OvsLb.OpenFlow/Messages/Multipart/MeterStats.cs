using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Multipart;

/// <summary>
/// Body of the OFPMP_METER and OFPMP_METER_CONFIG requests (OpenFlow 1.3.5 §7.3.5.12/13).
/// <code>
/// struct ofp_meter_multipart_request { uint32_t meter_id; /* OFPM_ALL for all */ uint8_t pad[4]; };
/// </code>
/// </summary>
public abstract record MeterRequestBase : MultipartRequest
{
    public uint MeterId { get; init; } = Messages.MeterId.All;

    internal sealed override int PartLength => 8;

    internal sealed override void WritePart(ref OfpWriter w)
    {
        w.WriteU32(MeterId);
        w.WriteZeros(4);
    }

    internal static uint ReadMeterId(ref OfpReader r)
    {
        uint id = r.ReadU32("meter_id");
        r.Skip(4);
        return id;
    }

    /// <summary>ofp_print_meter_stats_request: <c> meter=1</c> / <c> meter=all</c>.</summary>
    public sealed override void FormatPart(StringBuilder s)
    {
        s.Append(' ');
        Messages.MeterId.Format(s, MeterId, '=');
    }
}

/// <summary>OFPMP_METER request: meter counters.</summary>
public sealed record MeterStatsRequest : MeterRequestBase
{
    public override MultipartType MultipartType => MultipartType.Meter;
    internal static MeterStatsRequest Read(ref OfpReader r) => new() { MeterId = ReadMeterId(ref r) };
}

/// <summary>OFPMP_METER_CONFIG request: meter configurations.</summary>
public sealed record MeterConfigRequest : MeterRequestBase
{
    public override MultipartType MultipartType => MultipartType.MeterConfig;
    internal static MeterConfigRequest Read(ref OfpReader r) => new() { MeterId = ReadMeterId(ref r) };
}

/// <summary>
/// One meter in an OFPMP_METER_CONFIG reply (OpenFlow 1.3.5 §7.3.5.13).
/// <code>
/// struct ofp_meter_config {
///     uint16_t length;      /* this entry and its bands */
///     uint16_t flags;       /* OFPMF_* */
///     uint32_t meter_id;
///     struct ofp_meter_band_header bands[0];
/// };
/// </code>
/// </summary>
public sealed record MeterConfigEntry(MeterFlags Flags, uint MeterId, EquatableArray<MeterBand> Bands)
{
    public int WireLength => 8 + MeterBand.ListLength(Bands);

    internal void Write(ref OfpWriter w)
    {
        w.WriteU16(MultipartCodec.Length16(WireLength, GetType().Name));
        w.WriteU16((ushort)Flags);
        w.WriteU32(MeterId);
        MeterBand.WriteList(ref w, Bands);
    }

    internal static MeterConfigEntry Read(ref OfpReader r)
    {
        ushort len = r.PeekU16("meter config length");
        var e = MultipartCodec.Entry(ref r, len, 8, "meter config entry");
        e.Skip(2);
        var flags = (MeterFlags)e.ReadU16("meter flags");
        uint id = e.ReadU32("meter_id");
        return new MeterConfigEntry(flags, id, MeterBand.ReadList(ref e));
    }

    public void Format(StringBuilder s) => MeterBand.FormatConfig(s, MeterId, Flags, Bands);
}

/// <summary>OFPMP_METER_CONFIG reply.</summary>
public sealed record MeterConfigReply : MultipartListReply<MeterConfigEntry>
{
    public override MultipartType MultipartType => MultipartType.MeterConfig;
    internal override int EntryLength(MeterConfigEntry entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, MeterConfigEntry entry) => entry.Write(ref w);

    internal static MeterConfigReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, MeterConfigEntry.Read) };

    /// <summary>OFPMMFC_BAD_BAND when a meter has a band OVS does not know, else null.</summary>
    public string? CheckError()
    {
        foreach (var e in Entries)
        {
            if (MeterBand.ListError(e.Bands) is { } error) return error;
        }
        return null;
    }

    /// <summary>
    /// ofp_print_meter_config_reply: one line per meter; OVS stops at the first meter with a band it
    /// does not know (OFPMMFC_BAD_BAND), keeping the lines before it.
    /// </summary>
    public override void FormatPart(StringBuilder s)
    {
        int start = MultipartText.PartStart(s, this);
        foreach (var e in Entries)
        {
            if (MeterBand.ListError(e.Bands) is { } error)
            {
                Text.OfpPrinter.DecodeError(s, start, this, error);
                return;
            }
            s.Append('\n');
            e.Format(s);
        }
    }
}

/// <summary>
/// One meter in an OFPMP_METER reply (OpenFlow 1.3.5 §7.3.5.12).
/// <code>
/// struct ofp_meter_stats {
///     uint32_t meter_id;
///     uint16_t len;                  /* this entry and its band stats */
///     uint8_t pad[6];
///     uint32_t flow_count;
///     uint64_t packet_in_count, byte_in_count;
///     uint32_t duration_sec, duration_nsec;
///     struct ofp_meter_band_stats band_stats[0];   /* uint64_t packet_band_count, byte_band_count */
/// };                                 /* 40 bytes + 16 per band */
/// </code>
/// </summary>
public sealed record MeterStatsEntry
{
    public const int FixedLength = 40;

    public uint MeterId { get; init; }
    public uint FlowCount { get; init; }
    public ulong PacketInCount { get; init; }
    public ulong ByteInCount { get; init; }
    public uint DurationSec { get; init; }
    public uint DurationNsec { get; init; }
    public EquatableArray<BucketCounter> BandStats { get; init; } = EquatableArray<BucketCounter>.Empty;

    public int WireLength => FixedLength + 16 * BandStats.Count;

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(MeterId);
        w.WriteU16(MultipartCodec.Length16(WireLength, GetType().Name));
        w.WriteZeros(6);
        w.WriteU32(FlowCount);
        w.WriteU64(PacketInCount);
        w.WriteU64(ByteInCount);
        w.WriteU32(DurationSec);
        w.WriteU32(DurationNsec);
        foreach (var b in BandStats)
        {
            w.WriteU64(b.PacketCount);
            w.WriteU64(b.ByteCount);
        }
    }

    internal static MeterStatsEntry Read(ref OfpReader r)
    {
        ushort len = r.PeekU16At(4, "meter stats length");
        var e = MultipartCodec.Entry(ref r, len, FixedLength, "meter stats entry");
        if ((len - FixedLength) % 16 != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"meter stats entry length {len} is not 40 plus whole 16-byte band counters", e.AbsolutePosition);
        }
        uint id = e.ReadU32("meter_id");
        e.Skip(8);
        var m = new MeterStatsEntry
        {
            MeterId = id,
            FlowCount = e.ReadU32("flow_count"),
            PacketInCount = e.ReadU64("packet_in_count"),
            ByteInCount = e.ReadU64("byte_in_count"),
            DurationSec = e.ReadU32("duration_sec"),
            DurationNsec = e.ReadU32("duration_nsec"),
        };
        var bands = new BucketCounter[e.Remaining / 16];
        for (int i = 0; i < bands.Length; i++) bands[i] = new BucketCounter(e.ReadU64("packet_band_count"), e.ReadU64("byte_band_count"));
        return m with { BandStats = bands };
    }

    /// <summary>ofputil_format_meter_stats: <c>meter:1 flow_count:1 ... bands:\n0: packet_count:0 byte_count:0\n</c>.</summary>
    public void Format(StringBuilder s)
    {
        Messages.MeterId.Format(s, MeterId, ':');
        s.Append(" flow_count:").Append(FlowCount);
        s.Append(" packet_in_count:").Append(PacketInCount);
        s.Append(" byte_in_count:").Append(ByteInCount);
        s.Append(" duration:");
        StatsFormat.Duration(s, DurationSec, DurationNsec);
        s.Append(" bands:\n");
        for (int i = 0; i < BandStats.Count; i++)
        {
            s.Append(i).Append(": packet_count:").Append(BandStats[i].PacketCount).Append(" byte_count:").Append(BandStats[i].ByteCount).Append('\n');
        }
    }
}

/// <summary>OFPMP_METER reply.</summary>
public sealed record MeterStatsReply : MultipartListReply<MeterStatsEntry>
{
    public override MultipartType MultipartType => MultipartType.Meter;
    internal override int EntryLength(MeterStatsEntry entry) => entry.WireLength;
    internal override void WriteEntry(ref OfpWriter w, MeterStatsEntry entry) => entry.Write(ref w);

    internal static MeterStatsReply Read(ref OfpReader r) => new() { Entries = ReadEntries(ref r, MeterStatsEntry.Read) };

    public override void FormatPart(StringBuilder s) => FormatEntries(s, "\n", static (e, s) => e.Format(s));
}

/// <summary>
/// OFPMP_METER_FEATURES reply (OpenFlow 1.3.5 §7.3.5.14).
/// <code>
/// struct ofp_meter_features {
///     uint32_t max_meter;
///     uint32_t band_types;      /* bitmap of 1 &lt;&lt; OFPMBT_* */
///     uint32_t capabilities;    /* bitmap of OFPMF_* */
///     uint8_t max_bands, max_color;
///     uint8_t pad[2];
/// };
/// </code>
/// </summary>
public sealed record MeterFeaturesReply(uint MaxMeter, uint BandTypes, uint Capabilities, byte MaxBands, byte MaxColor) : MultipartReply
{
    public override MultipartType MultipartType => MultipartType.MeterFeatures;
    internal override int PartLength => 16;

    internal override void WritePart(ref OfpWriter w)
    {
        w.WriteU32(MaxMeter);
        w.WriteU32(BandTypes);
        w.WriteU32(Capabilities);
        w.WriteU8(MaxBands);
        w.WriteU8(MaxColor);
        w.WriteZeros(2);
    }

    internal static MeterFeaturesReply Read(ref OfpReader r)
    {
        var m = new MeterFeaturesReply(r.ReadU32("max_meter"), r.ReadU32("band_types"), r.ReadU32("capabilities"), r.ReadU8("max_bands"), r.ReadU8("max_color"));
        r.Skip(2);
        return m;
    }

    /// <summary>ofputil_format_meter_features.</summary>
    public override void FormatPart(StringBuilder s)
    {
        s.Append("\nmax_meter:").Append(MaxMeter).Append(" max_bands:").Append(MaxBands).Append(" max_color:").Append(MaxColor).Append('\n');
        s.Append("band_types: ");
        StatsFormat.BitNames(s, BandTypes, i => i switch { 1 => "drop", 2 => "dscp_remark", _ => null });
        s.Append('\n');
        s.Append("capabilities: ");
        StatsFormat.BitNames(s, Capabilities, i => i switch { 0 => "kbps", 1 => "pktps", 2 => "burst", 3 => "stats", _ => null });
        s.Append('\n');
    }
}
