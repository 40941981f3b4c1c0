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

    /// <summary>Splits a <c>group_id=…,type=select,bucket=…,bucket=…</c> line into its buckets.</summary>
    public static IReadOnlyList<OvsBucket> Parse(string groupLine) =>
        groupLine.Split(",bucket=").Skip(1).Select(b => new OvsBucket(
            WatchPortText().Match(b) is { Success: true } w ? uint.Parse(w.Groups[1].Value, CultureInfo.InvariantCulture) : null,
            EthDstText().Match(b) is { Success: true } m ? m.Groups[1].Value : null,
            b)).ToList();

    /// <summary>
    /// The buckets of <paramref name="bridge"/>'s group <paramref name="groupId"/> as OVS holds them now, in bucket order;
    /// without an id the bridge must have exactly one group.
    /// </summary>
    public static IReadOnlyList<OvsBucket> Dump(OvsSandbox ovs, string bridge, string? groupId = null)
    {
        var groups = ovs.DumpGroups(bridge);
        return Parse(groupId is null ? groups.Single() : groups.Single(l => l.StartsWith($"group_id={groupId},", StringComparison.Ordinal)));
    }

    /// <summary>The indices whose bucket differs between two dumps of one group (which slots a change moved); both must have as many buckets.</summary>
    public static IReadOnlyList<int> Changed(IReadOnlyList<OvsBucket> before, IReadOnlyList<OvsBucket> after) =>
        before.Count == after.Count ? Enumerable.Range(0, before.Count).Where(i => before[i].Text != after[i].Text).ToList()
            : throw new ArgumentException($"the group went from {before.Count} to {after.Count} buckets", nameof(after));
}
