using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

public enum MeterModCommand : ushort { Add = 0, Modify = 1, Delete = 2 }

/// <summary>Meter configuration flags (OpenFlow 1.3.5 §7.3.4.4, enum ofp_meter_flags).</summary>
[Flags]
public enum MeterFlags : ushort { None = 0, Kbps = 1, Pktps = 2, Burst = 4, Stats = 8 }

public enum MeterBandType : ushort { Drop = 1, DscpRemark = 2, Experimenter = 0xffff }

/// <summary>Reserved meter ids (enum ofp_meter).</summary>
public static class MeterId
{
    public const uint Max = 0xffff0000;
    public const uint Slowpath = 0xfffffffd;
    public const uint Controller = 0xfffffffe;
    public const uint All = 0xffffffff;

    /// <summary>ofputil_format_meter_id: <c>meter=5</c>, <c>meter=all</c> (separator '=' or ':').</summary>
    public static void Format(StringBuilder s, uint meterId, char separator)
    {
        s.Append("meter").Append(separator);
        if (meterId <= Max) s.Append(meterId);
        else s.Append(meterId switch { Slowpath => "slowpath", Controller => "controller", All => "all", _ => "unknown" });
    }
}

/// <summary>
/// A meter band (OpenFlow 1.3.5 §7.3.4.4): above <see cref="Rate"/> (kbps or packets/s, per the
/// meter's flags) packets are dropped or DSCP-remarked. Bands of other types (experimenter) are kept as
/// <see cref="Raw"/> bytes and re-encoded unchanged.
/// <code>
/// struct ofp_meter_band_header { uint16_t type; uint16_t len; uint32_t rate; uint32_t burst_size; };
/// struct ofp_meter_band_drop { header; uint8_t pad[4]; };                       /* 16 bytes */
/// struct ofp_meter_band_dscp_remark { header; uint8_t prec_level; uint8_t pad[3]; }; /* 16 bytes */
/// </code>
/// </summary>
public sealed record MeterBand(MeterBandType BandType, uint Rate, uint BurstSize, byte PrecLevel = 0)
{
    /// <summary>Whole band as received when its type is neither drop nor dscp_remark; empty otherwise.</summary>
    public Bytes Raw { get; init; }

    public static MeterBand Drop(uint rate, uint burstSize = 0) => new(MeterBandType.Drop, rate, burstSize);
    public static MeterBand DscpRemark(uint rate, byte precLevel, uint burstSize = 0) => new(MeterBandType.DscpRemark, rate, burstSize, precLevel);

    public int WireLength => Raw.IsEmpty ? 16 : Raw.Length;

    internal void Write(ref OfpWriter w)
    {
        if (!Raw.IsEmpty)
        {
            w.WriteBytes(Raw.Span);
            return;
        }
        w.WriteU16((ushort)BandType);
        w.WriteU16(16);
        w.WriteU32(Rate);
        w.WriteU32(BurstSize);
        w.WriteU8(BandType == MeterBandType.DscpRemark ? PrecLevel : (byte)0);
        w.WriteZeros(3);
    }

    internal static MeterBand Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        var raw = r.RestMemory;
        ushort type = r.PeekU16("meter band type");
        ushort len = r.PeekU16At(2, "meter band length");
        if (len < 16 || len % 8 != 0 || len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"meter band type {type} has bad length {len} ({r.Remaining} bytes left)", at);
        }
        var b = r.ReadSub(len, "meter band");
        b.Skip(4);
        uint rate = b.ReadU32("band rate");
        uint burst = b.ReadU32("band burst_size");
        if (type is not ((ushort)MeterBandType.Drop or (ushort)MeterBandType.DscpRemark))
        {
            return new MeterBand((MeterBandType)type, rate, burst) { Raw = new Bytes(raw[..len]) };
        }
        if (len != 16) throw new OfpProtocolException(OfpErrorKind.BadLength, $"meter band type {type} must be 16 bytes, got {len}", at);
        byte prec = b.ReadU8("prec_level");
        return new MeterBand((MeterBandType)type, rate, burst, type == (ushort)MeterBandType.DscpRemark ? prec : (byte)0);
    }

    /// <summary>ofputil_pull_bands: OFPMMFC_BAD_BAND for a band OVS does not know (only drop and dscp_remark), else null.</summary>
    internal static string? ListError(EquatableArray<MeterBand> bands)
    {
        foreach (var b in bands)
        {
            if (b.BandType is not (MeterBandType.Drop or MeterBandType.DscpRemark)) return "OFPMMFC_BAD_BAND";
        }
        return null;
    }

    public static int ListLength(EquatableArray<MeterBand> bands)
    {
        int n = 0;
        foreach (var b in bands) n += b.WireLength;
        return n;
    }

    internal static void WriteList(ref OfpWriter w, EquatableArray<MeterBand> bands)
    {
        foreach (var b in bands) b.Write(ref w);
    }

    /// <summary>Reads bands until <paramref name="r"/> is exhausted.</summary>
    internal static EquatableArray<MeterBand> ReadList(ref OfpReader r)
    {
        if (r.End) return EquatableArray<MeterBand>.Empty;
        var list = new List<MeterBand>();
        while (!r.End) list.Add(Read(ref r));
        return new EquatableArray<MeterBand>(list.ToArray());
    }

    /// <summary>ofputil_format_meter_band: <c>\ntype=drop rate=1000 burst_size=100</c>.</summary>
    public void Format(StringBuilder s, MeterFlags flags)
    {
        s.Append("\ntype=").Append(BandType switch
        {
            MeterBandType.Drop => "drop",
            MeterBandType.DscpRemark => "dscp_remark",
            _ => ((ushort)BandType).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        s.Append(" rate=").Append(Rate);
        if ((flags & MeterFlags.Burst) != 0) s.Append(" burst_size=").Append(BurstSize);
        if (BandType == MeterBandType.DscpRemark) s.Append(" prec_level=").Append(PrecLevel);
    }

    /// <summary>ofputil_format_meter_config: <c>meter=1 kbps burst stats bands=</c> and the bands, then a newline.</summary>
    internal static void FormatConfig(StringBuilder s, uint meterId, MeterFlags flags, EquatableArray<MeterBand> bands)
    {
        MeterId.Format(s, meterId, '=');
        s.Append(' ');
        if ((flags & MeterFlags.Kbps) != 0) s.Append("kbps ");
        if ((flags & MeterFlags.Pktps) != 0) s.Append("pktps ");
        if ((flags & MeterFlags.Burst) != 0) s.Append("burst ");
        if ((flags & MeterFlags.Stats) != 0) s.Append("stats ");
        int other = (ushort)flags & ~0xf;
        if (other != 0) s.Append("flags:0x").Append(other.ToString("x")).Append(' ');
        s.Append("bands=");
        foreach (var b in bands) b.Format(s, flags);
        s.Append('\n');
    }
}

/// <summary>
/// OFPT_METER_MOD (OpenFlow 1.3.5 §7.3.4.4): add, modify or delete a meter (rate limiter) that
/// flows reference with the meter instruction.
/// <code>
/// struct ofp_meter_mod {
///     struct ofp_header header;
///     uint16_t command;     /* enum ofp_meter_mod_command */
///     uint16_t flags;       /* enum ofp_meter_flags */
///     uint32_t meter_id;
///     struct ofp_meter_band_header bands[0];
/// };
/// </code>
/// </summary>
public sealed record MeterMod : OfpMessage
{
    public MeterModCommand Command { get; init; }
    public MeterFlags Flags { get; init; }
    public uint MeterId { get; init; }
    public EquatableArray<MeterBand> Bands { get; init; } = EquatableArray<MeterBand>.Empty;

    public override OfpType Type => OfpType.MeterMod;
    public override string OvsName => "OFPT_METER_MOD";
    public override int BodyLength => 8 + MeterBand.ListLength(Bands);

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU16((ushort)Command);
        w.WriteU16((ushort)Flags);
        w.WriteU32(MeterId);
        MeterBand.WriteList(ref w, Bands);
    }

    internal static MeterMod Read(ref OfpReader r)
    {
        var m = new MeterMod
        {
            Command = (MeterModCommand)r.ReadU16("meter command"),
            Flags = (MeterFlags)r.ReadU16("meter flags"),
            MeterId = r.ReadU32("meter_id"),
        };
        var bands = r.ReadSub(r.Remaining, "meter bands");
        return m with { Bands = MeterBand.ReadList(ref bands) };
    }

    /// <summary>
    /// The error ofputil_decode_meter_mod answers, or null: a command other than add/modify/delete
    /// (OFPMMFC_BAD_COMMAND); unless deleting, both kbps and pktps (OFPMMFC_BAD_FLAGS) or a band that
    /// is neither drop nor dscp_remark (OFPMMFC_BAD_BAND, experimenter bands included).
    /// </summary>
    public string? CheckError()
    {
        if (Command is not (MeterModCommand.Add or MeterModCommand.Modify or MeterModCommand.Delete)) return "OFPMMFC_BAD_COMMAND";
        if (Command == MeterModCommand.Delete) return null;
        if ((Flags & MeterFlags.Kbps) != 0 && (Flags & MeterFlags.Pktps) != 0) return "OFPMMFC_BAD_FLAGS";
        return MeterBand.ListError(Bands);
    }

    /// <summary>ofputil_format_meter_mod: <c> ADD meter=1 kbps bands=\ntype=drop rate=1000</c>. OVS ignores flags and bands of a DELETE.</summary>
    public override void FormatBody(StringBuilder s)
    {
        if (CheckError() is { } error)
        {
            OfpPrinter.DecodeError(s, this, error);
            return;
        }
        s.Append(Command switch
        {
            MeterModCommand.Add => " ADD ",
            MeterModCommand.Modify => " MOD ",
            MeterModCommand.Delete => " DEL ",
            _ => $" cmd:{(ushort)Command} ",
        });
        if (Command == MeterModCommand.Delete) MeterBand.FormatConfig(s, MeterId, MeterFlags.None, EquatableArray<MeterBand>.Empty);
        else MeterBand.FormatConfig(s, MeterId, Flags, Bands);
    }
}
