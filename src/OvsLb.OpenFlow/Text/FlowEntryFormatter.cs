using System.Text;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// One flow as <c>ovs-ofctl --no-stats dump-flows</c> prints it (ofputil_flow_stats_format with
/// show_stats=false): <c>cookie=0x5, table=1, idle_timeout=10, priority=10,ip actions=...</c>.
/// The desired-state dumps in flows/ and the golden files are written in this form.
/// </summary>
public static class FlowEntryFormatter
{
    public static string Format(FlowMod f) =>
        Format(f.Cookie, f.TableId, f.IdleTimeout, f.HardTimeout, f.Flags, f.Priority, f.Match, f.Instructions);

    public static string Format(ulong cookie, byte tableId, ushort idle, ushort hard, FlowModFlags flags, ushort priority, OfpMatch match, EquatableArray<OfpInstruction> instructions)
    {
        var s = new StringBuilder();
        Format(s, cookie, tableId, idle, hard, flags, priority, match, instructions, stats: null);
        return s.ToString();
    }

    /// <summary>Flow statistics printed between the table and the timeouts when shown.</summary>
    public readonly record struct Stats(uint DurationSec, uint DurationNsec, ulong Packets, ulong Bytes);

    /// <summary>
    /// ofputil_flow_stats_format: with <paramref name="stats"/> the full dump-flows line (cookie and
    /// table always shown), without it the <c>--no-stats</c> line (cookie and table only when non-zero).
    /// </summary>
    public static void Format(StringBuilder s, ulong cookie, byte tableId, ushort idle, ushort hard, FlowModFlags flags, ushort priority, OfpMatch match, EquatableArray<OfpInstruction> instructions, Stats? stats)
    {
        if (stats is not null || cookie != 0) s.Append("cookie=0x").Append(cookie.ToString("x")).Append(", ");
        if (stats is { } st)
        {
            s.Append("duration=");
            StatsFormat.Duration(s, st.DurationSec, st.DurationNsec);
            s.Append(", ");
        }
        if (stats is not null || tableId != 0) s.Append("table=").Append(OfctlFormat.Table(tableId)).Append(", ");
        if (stats is { } c)
        {
            s.Append("n_packets=").Append(StatsFormat.Counter(c.Packets)).Append(", ");
            s.Append("n_bytes=").Append(StatsFormat.Counter(c.Bytes)).Append(", ");
        }
        if (idle != 0) s.Append("idle_timeout=").Append(idle).Append(", ");
        if (hard != 0) s.Append("hard_timeout=").Append(hard).Append(", ");
        FlowMod.FormatFlags(s, flags);
        int len = s.Length;
        MatchFormatter.Format(s, match, priority);
        if (s.Length != len) s.Append(' ');
        s.Append("actions=");
        OfpInstruction.FormatList(s, instructions);
    }
}
