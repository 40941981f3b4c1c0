using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>Normalises ovs-ofctl flow and group dumps so they can be compared as text.</summary>
public static partial class FlowText
{
    [GeneratedRegex(@"\b(duration|n_packets|n_bytes|idle_age|hard_age|packet_count|byte_count|ref_count)=[^,\s]*,?\s*")]
    private static partial Regex Stats();

    /// <summary>Flow lines only (no reply header), stats removed, leading space trimmed, sorted ordinally.</summary>
    public static IReadOnlyList<string> NormaliseFlows(string dump) =>
        dump.Split('\n')
            .Where(l => l.StartsWith(' ') || (l.Contains("actions=") && !l.StartsWith("OFPST", StringComparison.Ordinal)))
            .Select(l => Stats().Replace(l, "").Trim().TrimEnd(','))
            .Where(l => l.Length > 0)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Group lines only, stats removed, sorted.</summary>
    public static IReadOnlyList<string> NormaliseGroups(string dump) =>
        dump.Split('\n')
            .Where(l => l.Contains("group_id=", StringComparison.Ordinal))
            .Select(l => Stats().Replace(l, "").Trim().TrimEnd(','))
            .Order(StringComparer.Ordinal)
            .ToList();

    [GeneratedRegex(@"\bn_packets=(\d+)")]
    private static partial Regex PacketsField();

    /// <summary>The sum of <c>n_packets</c> over the flows of a dump with stats.</summary>
    public static long PacketCount(string dump) =>
        PacketsField().Matches(dump).Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"(?:^|[ ,])table=(\d+)")]
    private static partial Regex TableField();

    [GeneratedRegex(@"(?:^|[ ,])priority=(\d+)")]
    private static partial Regex PriorityField();

    /// <summary>
    /// Flow lines in pipeline order, as a reader follows them: by table, then priority from high to low,
    /// then text (OVS omits <c>table=0</c> and the default priority 32768 in <c>--no-stats</c> dumps).
    /// </summary>
    public static IReadOnlyList<string> ByTable(IEnumerable<string> lines) =>
        lines.OrderBy(l => TableField().Match(Head(l)) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0)
            .ThenByDescending(l => PriorityField().Match(Head(l)) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 32768)
            .ThenBy(l => l, StringComparer.Ordinal)
            .ToList();

    private static string Head(string line) => line.IndexOf("actions=", StringComparison.Ordinal) is int i and >= 0 ? line[..i] : line;
}
