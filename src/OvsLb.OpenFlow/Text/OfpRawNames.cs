using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Text;

/// <summary>How a message kind is identified in its headers (OVS struct ofphdrs).</summary>
internal enum RawKind : byte
{
    /// <summary>Standard message: the header type.</summary>
    T,
    /// <summary>Standard multipart/stats message: type STATS_REQUEST/REPLY and the stats type.</summary>
    ST,
    /// <summary>Nicira experimenter message (vendor 0x2320, subtype).</summary>
    NXT,
    /// <summary>ONF experimenter message (vendor 0x4F4E4600, subtype).</summary>
    ONFT,
    /// <summary>Nicira experimenter multipart message (stats type 0xffff, vendor, subtype).</summary>
    NXST,
    /// <summary>ONF experimenter multipart message.</summary>
    ONFST,
}

/// <param name="MinVersion">First header version the entry applies to.</param>
/// <param name="MaxVersion">Last header version the entry applies to.</param>
/// <param name="Kind">Which headers identify the message.</param>
/// <param name="Number">Type, stats type or experimenter subtype, by <paramref name="Kind"/>.</param>
/// <param name="Name">The ofpraw name OVS prints, e.g. <c>OFPST_FLOW request</c>.</param>
/// <param name="MinLength">OpenFlow 1.3 only: the smallest whole-message length OVS accepts (0: unknown).</param>
/// <param name="Multiple">OpenFlow 1.3 only: 0 exact length, 1 any longer, n longer by multiples of n.</param>
internal readonly record struct RawEntry(byte MinVersion, byte MaxVersion, RawKind Kind, uint Number, string Name, ushort MinLength, ushort Multiple);

/// <summary>
/// The name OVS prints for a message from its headers alone, and the header-level errors OVS reports
/// before it looks at a body (ofphdrs_decode, ofpraw_from_ofphdrs and ofpraw_check_length in
/// lib/ofp-msgs.c). <see cref="OfpPrinter.PrintBytes"/> uses it so truncated and undecodable messages
/// (typically the request echoed inside an OFPT_ERROR) print exactly as ofp-print prints them.
/// </summary>
public static partial class OfpRawNames
{
    private const uint NxVendor = 0x00002320;
    private const uint OnfVendor = 0x4F4E4600;

    /// <summary>Built on first use, after <c>s_raws</c> (the generated half) is initialized.</summary>
    private static class Index
    {
        public static readonly Dictionary<(byte Version, RawKind Kind, byte Type, uint Number), RawEntry> ByHeaders = BuildIndex();
    }

    private static Dictionary<(byte, RawKind, byte, uint), RawEntry> BuildIndex()
    {
        var d = new Dictionary<(byte, RawKind, byte, uint), RawEntry>();
        foreach (var e in s_raws)
        {
            for (int v = e.MinVersion; v <= e.MaxVersion; v++)
            {
                byte type = e.Kind switch
                {
                    RawKind.T => (byte)e.Number,
                    RawKind.NXT or RawKind.ONFT => 4,
                    _ => StatsType((byte)v, e.Name.EndsWith(" reply", StringComparison.Ordinal)),
                };
                d[((byte)v, e.Kind, type, e.Kind == RawKind.T ? 0 : e.Number)] = e;
            }
        }
        return d;
    }

    private static byte StatsType(byte version, bool reply) => (byte)((version == 1 ? 16 : 18) + (reply ? 1 : 0));

    private static bool IsStats(byte version, byte type) => version == 1 ? type is 16 or 17 : type is 18 or 19;

    /// <summary>
    /// Identifies the message from its headers as ofpraw_decode_partial does. Returns the OVS name, or
    /// null with <paramref name="error"/> set to the OVS error name (OFPBRC_BAD_LEN, _BAD_VENDOR,
    /// _BAD_SUBTYPE, _BAD_STAT or _BAD_TYPE).
    /// </summary>
    public static string? Identify(ReadOnlySpan<byte> msg, out string? error) => Lookup(msg, out error)?.Name;

    internal static RawEntry? Lookup(ReadOnlySpan<byte> msg, out string? error)
    {
        error = "OFPBRC_BAD_LEN";
        if (msg.Length < 8) return null;
        byte version = msg[0], type = msg[1];
        RawKind kind = RawKind.T;
        uint number = 0;
        uint vendor = 0;
        if (type == 4)
        {
            if (msg.Length < 16) return null;
            vendor = BinaryPrimitives.ReadUInt32BigEndian(msg[8..]);
            if (vendor != NxVendor && vendor != OnfVendor)
            {
                error = "OFPBRC_BAD_VENDOR";
                return null;
            }
            kind = vendor == NxVendor ? RawKind.NXT : RawKind.ONFT;
            number = BinaryPrimitives.ReadUInt32BigEndian(msg[12..]);
        }
        else if (IsStats(version, type))
        {
            int statsHeader = version == 1 ? 12 : 16;
            if (msg.Length < statsHeader) return null;
            kind = RawKind.ST;
            number = BinaryPrimitives.ReadUInt16BigEndian(msg[8..]);
            if (number == 0xffff)
            {
                // OF1.0: struct ofp10_vendor_stats_msg (16 bytes) before nicira10_stats_msg (24);
                // OF1.1+: struct ofp11_vendor_stats_msg already holds the subtype (24 bytes).
                int vendorAt = statsHeader;
                if (msg.Length < (version == 1 ? 16 : 24)) return null;
                vendor = BinaryPrimitives.ReadUInt32BigEndian(msg[vendorAt..]);
                if (vendor != NxVendor && (version == 1 || vendor != OnfVendor))
                {
                    error = "OFPBRC_BAD_VENDOR";
                    return null;
                }
                if (msg.Length < 24) return null;
                kind = vendor == NxVendor ? RawKind.NXST : RawKind.ONFST;
                number = BinaryPrimitives.ReadUInt32BigEndian(msg[(version == 1 ? 16 : 20)..]);
            }
        }
        if (Index.ByHeaders.TryGetValue((version, kind, type, number), out var e))
        {
            error = null;
            return e;
        }
        error = vendor != 0 ? "OFPBRC_BAD_SUBTYPE" : IsStats(version, type) ? "OFPBRC_BAD_STAT" : "OFPBRC_BAD_TYPE";
        return null;
    }

    /// <summary>ofpraw_check_length for OpenFlow 1.3 messages: null when OVS accepts the length, else OFPBRC_BAD_LEN.</summary>
    internal static string? CheckLength(RawEntry e, byte version, int length)
    {
        if (version != 4 || e.MinLength == 0) return null;
        bool ok = e.Multiple switch
        {
            0 => length == e.MinLength,
            1 => length >= e.MinLength,
            _ => length >= e.MinLength && (length - e.MinLength) % e.Multiple == 0,
        };
        return ok ? null : "OFPBRC_BAD_LEN";
    }
}
