using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using OvsLb.OpenFlow.Match;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// Value formatting exactly as Open vSwitch 3.1 prints it (lib/meta-flow.c mf_format,
/// lib/packets.c ip/eth/ipv6 formatting, lib/dynamic-string.c ds_put_hex, lib/ofp-port.c port names).
/// </summary>
public static class OfctlFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Reserved OpenFlow 1.3 port numbers (OpenFlow 1.3.5 §7.2.1, enum ofp_port_no).</summary>
    public static class Ports
    {
        public const uint Max = 0xffffff00;
        public const uint InPort = 0xfffffff8;
        public const uint Table = 0xfffffff9;
        public const uint Normal = 0xfffffffa;
        public const uint Flood = 0xfffffffb;
        public const uint All = 0xfffffffc;
        public const uint Controller = 0xfffffffd;
        public const uint Local = 0xfffffffe;
        public const uint Any = 0xffffffff;
    }

    /// <summary>Name or number of an OpenFlow 1.1+ 32-bit port, as ovs-ofctl prints it.</summary>
    public static string Port(uint port) => port switch
    {
        Ports.InPort => "IN_PORT",
        Ports.Table => "TABLE",
        Ports.Normal => "NORMAL",
        Ports.Flood => "FLOOD",
        Ports.All => "ALL",
        Ports.Controller => "CONTROLLER",
        Ports.Local => "LOCAL",
        Ports.Any => "ANY",
        0xfffffff7 => "UNSET",
        >= 0xffffff00 => (port - 0xffff0000).ToString(Inv),
        _ => port.ToString(Inv),
    };

    /// <summary>A 16-bit (OpenFlow 1.0 / NXM) port number.</summary>
    public static string Port16(ushort port) => port >= 0xff00 ? Port(port + 0xffff0000u) : port.ToString(Inv);

    /// <summary>
    /// ofputil_format_table: a table number (no table names are configured, so 255 prints as "255",
    /// e.g. <c>DEL table:255</c> for a delete in all tables).
    /// </summary>
    public static string Table(byte table) => table.ToString(Inv);

    public static string Mac(UInt128 v) => Mac((ulong)v);

    public static string Mac(ulong v) => string.Create(17, v, static (span, x) =>
    {
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(x >> ((5 - i) * 8));
            span[i * 3] = hex[b >> 4];
            span[i * 3 + 1] = hex[b & 15];
            if (i < 5) span[i * 3 + 2] = ':';
        }
    });

    public static string IPv4(uint v) => $"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}";

    public static string IPv6(UInt128 v)
    {
        Span<byte> b = stackalloc byte[16];
        for (int i = 0; i < 16; i++) b[i] = (byte)(v >> ((15 - i) * 8));
        return new IPAddress(b).ToString();
    }

    /// <summary>True when the mask is a run of leading ones (a CIDR prefix).</summary>
    public static bool IsCidr(UInt128 mask, int bits)
    {
        UInt128 full = bits >= 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
        var inv = ~mask & full;
        return (inv & (inv + 1)) == 0;
    }

    public static int CidrBits(UInt128 mask, int bits)
    {
        int n = 0;
        for (int i = bits - 1; i >= 0 && ((mask >> i) & 1) == 1; i--) n++;
        return n;
    }

    public static string IPv4Masked(uint v, uint mask) =>
        mask == uint.MaxValue ? IPv4(v) : IsCidr(mask, 32) ? $"{IPv4(v)}/{CidrBits(mask, 32)}" : $"{IPv4(v)}/{IPv4(mask)}";

    public static string IPv6Masked(UInt128 v, UInt128 mask) =>
        mask == UInt128.MaxValue ? IPv6(v) : IsCidr(mask, 128) ? $"{IPv6(v)}/{CidrBits(mask, 128)}" : $"{IPv6(v)}/{IPv6(mask)}";

    public static string MacMasked(UInt128 v, UInt128 mask) =>
        mask == 0xffffffffffff ? Mac(v) : $"{Mac(v)}/{Mac(mask)}";

    /// <summary>ds_put_hex: "0x" and the value's bytes without leading zero bytes, or "0" for zero.</summary>
    public static string Hex(UInt128 v, int width)
    {
        Span<byte> b = stackalloc byte[width];
        for (int i = 0; i < width; i++) b[i] = (byte)(v >> ((width - 1 - i) * 8));
        return HexBytes(b);
    }

    /// <summary>C's "%#x": "0" for zero, else "0x" + lowercase hex.</summary>
    public static string AltHex(ulong v) => v == 0 ? "0" : "0x" + v.ToString("x", Inv);

    internal static readonly string[] CtStateNames = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"];
    private static readonly string[] TcpFlagNames = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]"];

    /// <summary>format_flags / format_flags_masked from lib/flow.c.</summary>
    public static string Flags(uint flags, uint mask, uint maxMask, string[] names, char del = '|')
    {
        var sb = new StringBuilder();
        if (mask == maxMask)
        {
            if (flags == 0) return "0";
            uint bad = 0;
            while (flags != 0)
            {
                uint bit = flags & (~flags + 1);
                int idx = BitOperations.TrailingZeroCount(bit);
                if (idx < names.Length) sb.Append(names[idx]).Append(del); else bad |= bit;
                flags &= ~bit;
            }
            if (bad != 0) sb.Append("0x").Append(bad.ToString("x", Inv)).Append(del);
            sb.Length--;
            return sb.ToString();
        }
        if (mask == 0) return "0/0";
        while (mask != 0)
        {
            uint bit = mask & (~mask + 1);
            int idx = BitOperations.TrailingZeroCount(bit);
            sb.Append((flags & bit) != 0 ? '+' : '-').Append(idx < names.Length ? names[idx] : "[Unknown]");
            mask &= ~bit;
        }
        return sb.ToString();
    }

    public static string CtState(uint v, uint mask) => Flags(v, mask, 0xffff, CtStateNames);
    public static string CtStateExact(uint v) => Flags(v, 0xffff, 0xffff, CtStateNames);
    public static string TcpFlags(uint v, uint mask) => Flags(v, mask & 0x0fff, 0x0fff, TcpFlagNames);

    /// <summary>mf_format: a field value (and optional mask) the way set_field and learn print it.</summary>
    public static string FieldValue(FieldInfo f, UInt128 value, UInt128? mask)
    {
        UInt128 widthMask = f.Width >= 16 ? UInt128.MaxValue : (UInt128.One << (f.Width * 8)) - 1;
        if (mask is { } m)
        {
            if (m == 0) return "ANY";
            if (m == widthMask) mask = null;
        }
        switch (f.Format)
        {
            case ValueFormat.Port when mask is null:
                return f.Width == 4 ? Port((uint)value) : Port16((ushort)value);
            case ValueFormat.Port:
            case ValueFormat.Decimal:
            case ValueFormat.Hex:
                {
                    string s = f.Format == ValueFormat.Hex ? Hex(value, f.Width) : ((ulong)value).ToString(Inv);
                    return mask is { } mm ? $"{s}/{Hex(mm, f.Width)}" : s;
                }
            case ValueFormat.CtState: return CtState((uint)value, mask is { } cm ? (uint)cm : uint.MaxValue);
            case ValueFormat.Ethernet: return MacMasked(value, mask ?? 0xffffffffffff);
            case ValueFormat.IPv4: return IPv4Masked((uint)value, mask is { } im ? (uint)im : uint.MaxValue);
            case ValueFormat.IPv6: return IPv6Masked(value, mask ?? UInt128.MaxValue);
            case ValueFormat.TcpFlags: return TcpFlags((uint)value, mask is { } tm ? (uint)tm : 0xffff);
            case ValueFormat.Frag: return Frag((byte)value, mask is { } fm ? (byte)fm : (byte)0xff);
            default: return Hex(value, f.Width) + (mask is { } xm ? "/" + Hex(xm, f.Width) : "");
        }
    }

    /// <summary>ip_frag names (lib/meta-flow.c all_frags).</summary>
    public static string Frag(byte value, byte mask)
    {
        mask &= 3;
        value &= mask;
        return (value, mask) switch
        {
            (0, 3) => "no",
            (1, 3) => "first",
            (3, 3) => "later",
            (0, 1) => "no",
            (1, 1) => "yes",
            (0, 2) => "not_later",
            (2, 2) => "later",
            _ => "<error>",
        };
    }

    /// <summary>mf_format_subfield: <c>NXM_OF_ETH_DST[]</c>, <c>NXM_NX_REG0[5]</c>, <c>NXM_NX_REG0[0..15]</c>.</summary>
    public static string Subfield(FieldInfo? f, int ofs, int nBits)
    {
        string name = f?.RefName ?? "<unknown>";
        if (f is not null && ofs == 0 && nBits == f.NBits) return name + "[]";
        if (nBits == 1) return $"{name}[{ofs}]";
        return $"{name}[{ofs}..{ofs + nBits - 1}]";
    }

    /// <summary>
    /// ds_put_hex (lib/dynamic-string.c): the bytes as one big-endian number, "0x" and hex without
    /// leading zeros, "0" when all are zero (mf_subvalue_format).
    /// </summary>
    public static string HexBytes(ReadOnlySpan<byte> data)
    {
        int first = data.IndexOfAnyExcept((byte)0);
        if (first < 0) return "0";
        var sb = new StringBuilder(2 + 2 * (data.Length - first));
        sb.Append("0x").Append(data[first].ToString("x", Inv));
        for (int i = first + 1; i < data.Length; i++) sb.Append(data[i].ToString("x2", Inv));
        return sb.ToString();
    }

    /// <summary>format_hex_arg: bytes as "01.02.03".</summary>
    public static string HexArg(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(data.Length * 3);
        for (int i = 0; i < data.Length; i++)
        {
            if (i > 0) sb.Append('.');
            sb.Append(data[i].ToString("x2", Inv));
        }
        return sb.ToString();
    }
}
