using System.Globalization;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>One bucket of a select group as <c>ovs-ofctl dump-groups</c> prints it: what OVS holds, not what we sent.</summary>
/// <param name="WatchPort">Its <c>watch_port</c>, if any.</param>
/// <param name="EthDst">The MAC its <c>set_field:…->eth_dst</c> writes (the backend's identity).</param>
/// <param name="Text">The bucket's text, for comparisons and messages.</param>
public sealed partial record OvsBucket(uint? WatchPort, string? EthDst, string Text)
{
    [GeneratedRegex(@"watch_port:(\d+)")]
    private static partial Regex WatchPortText();

    [GeneratedRegex(@"set_field:([0-9a-f:]{17})->eth_dst")]
    private static partial Regex EthDstText();

    [GeneratedRegex(@"(?:load|set_field):(0x[0-9a-f]+)->(?:NXM_NX_REG1\[\]|reg1)")]
    private static partial Regex TagText();

    [GeneratedRegex(@"table=24,.*reg1=(0x[0-9a-f]+)\b.*set_field:([0-9a-f:]{17})->eth_dst")]
    private static partial Regex PickMacText();

    /// <summary>
    /// Splits a <c>group_id=…,type=select,bucket=…,bucket=…</c> line into its buckets. A bucket that names its
    /// backend by a tag in reg1 (persistence, the default) gets the MAC that table 24 (pick)'s flow for the tag
    /// writes, when <paramref name="flows"/> (a dump of the bridge's flows) is given.
    /// </summary>
    public static IReadOnlyList<OvsBucket> Parse(string groupLine, IEnumerable<string>? flows = null)
    {
        var macOfTag = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in flows ?? [])
        {
            if (PickMacText().Match(f) is { Success: true } m) macOfTag[m.Groups[1].Value] = m.Groups[2].Value;
        }
        return groupLine.Split(",bucket=").Skip(1).Select(b => new OvsBucket(
            WatchPortText().Match(b) is { Success: true } w ? uint.Parse(w.Groups[1].Value, CultureInfo.InvariantCulture) : null,
            EthDstText().Match(b) is { Success: true } m ? m.Groups[1].Value
                : TagText().Match(b) is { Success: true } t && macOfTag.TryGetValue(t.Groups[1].Value, out var mac) ? mac : null,
            b)).ToList();
    }

    /// <summary>
    /// The buckets of <paramref name="bridge"/>'s group <paramref name="groupId"/> as OVS holds them now, in bucket order,
    /// each with the MAC it stands for; without an id the bridge must have exactly one group.
    /// </summary>
    public static IReadOnlyList<OvsBucket> Dump(OvsSandbox ovs, string bridge, string? groupId = null)
    {
        var groups = ovs.DumpGroups(bridge);
        return Parse(groupId is null ? groups.Single() : groups.Single(l => l.StartsWith($"group_id={groupId},", StringComparison.Ordinal)),
            ovs.DumpFlows(bridge));
    }

    /// <summary>The indices whose bucket differs between two dumps of one group (which slots a change moved); both must have as many buckets.</summary>
    public static IReadOnlyList<int> Changed(IReadOnlyList<OvsBucket> before, IReadOnlyList<OvsBucket> after) =>
        before.Count == after.Count ? Enumerable.Range(0, before.Count).Where(i => before[i].Text != after[i].Text).ToList()
            : throw new ArgumentException($"the group went from {before.Count} to {after.Count} buckets", nameof(after));
}
