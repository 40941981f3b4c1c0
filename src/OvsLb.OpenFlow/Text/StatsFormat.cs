using System.Globalization;
using System.Text;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// Small formatting helpers the statistics and port texts share (lib/ofp-print.c ofp_print_duration
/// and ofp_print_bit_names, the multipart flags of ofp_print_stats).
/// </summary>
public static class StatsFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// ofp_print_duration: <c>5s</c>, <c>1.234s</c> when the nanoseconds are whole milliseconds,
    /// otherwise all nine digits with trailing zeros dropped (<c>1.0000005s</c>).
    /// </summary>
    public static void Duration(StringBuilder s, uint sec, uint nsec)
    {
        s.Append(sec.ToString(Inv));
        if (nsec > 0)
        {
            uint msec = nsec / 1_000_000;
            if (msec * 1_000_000 == nsec)
            {
                s.Append('.').Append(msec.ToString("000", Inv));
            }
            else
            {
                s.Append('.').Append(nsec.ToString("000000000", Inv).TrimEnd('0'));
            }
        }
        s.Append('s');
    }

    /// <summary>
    /// ofp_print_bit_names: the names of the set bits from least significant up, separated by
    /// <paramref name="separator"/>; bits without a name are gathered into one trailing <c>0x..</c>;
    /// <c>0</c> when no bit is set.
    /// </summary>
    public static void BitNames(StringBuilder s, uint bits, Func<int, string?> nameOfBit, char separator = ' ')
    {
        if (bits == 0)
        {
            s.Append('0');
            return;
        }
        int n = 0;
        for (int i = 0; i < 32; i++)
        {
            uint bit = 1u << i;
            if ((bits & bit) == 0) continue;
            string? name = nameOfBit(i);
            if (name is null) continue;
            if (n++ > 0) s.Append(separator);
            s.Append(name);
            bits &= ~bit;
        }
        if (bits != 0)
        {
            if (n > 0) s.Append(separator);
            s.Append("0x").Append(bits.ToString("x", Inv));
        }
    }

    /// <summary>A 64-bit counter as OVS prints it: the number, or <c>?</c> for all-ones ("unknown").</summary>
    public static string Counter(ulong v) => v == ulong.MaxValue ? "?" : v.ToString(Inv);
}
