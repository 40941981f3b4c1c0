using System.Globalization;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>
/// What one <c>ovs-appctl ofproto/trace</c> said, reduced to the facts a measurement needs: which
/// select-group bucket OVS used, which dp_hash bits its decision depended on (the megaflow's
/// dp_hash mask), and the datapath actions.
/// </summary>
/// <param name="Text">The whole trace, for failure messages.</param>
public sealed partial record OvsTraceResult(string Text)
{
    /// <summary>The bucket of the last select group on the path (<c>-> using bucket N</c>), or null when none was used.</summary>
    public int? Bucket => UsingBucket().Matches(Text) is { Count: > 0 } m
        ? int.Parse(m[^1].Groups[1].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>The dp_hash bits the datapath flow matches (megaflow <c>dp_hash=V/MASK</c>; no mask printed = all 32 bits); 0 when dp_hash is not matched.</summary>
    public uint DpHashMask
    {
        get
        {
            var m = MegaflowDpHash().Match(Text);
            if (!m.Success) return 0;
            return m.Groups[2].Success ? uint.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : uint.MaxValue;
        }
    }

    /// <summary>The <c>Datapath actions:</c> line's value.</summary>
    public string DatapathActions => DatapathActionsLine().Match(Text) is { Success: true } m ? m.Groups[1].Value.Trim() : "";

    /// <summary>The destination MAC the datapath actions set (<c>set(eth(dst=…))</c>), or null.</summary>
    public string? SetEthDst => SetEthDstAction().Match(DatapathActions) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"-> using bucket (\d+)")]
    private static partial Regex UsingBucket();

    [GeneratedRegex(@"^Megaflow:.*?\bdp_hash=0x([0-9a-f]+)(?:/0x([0-9a-f]+))?", RegexOptions.Multiline)]
    private static partial Regex MegaflowDpHash();

    [GeneratedRegex(@"^Datapath actions: (.*)$", RegexOptions.Multiline)]
    private static partial Regex DatapathActionsLine();

    [GeneratedRegex(@"set\(eth\((?:src=[0-9a-f:]+,)?dst=([0-9a-f:]+)\)\)")]
    private static partial Regex SetEthDstAction();
}

/// <summary>Batched <c>ofproto/trace</c> over one <see cref="OvsUnixctl"/> connection.</summary>
public static class OvsTrace
{
    /// <summary>Traces each flow (ovs-ofctl flow syntax, e.g. <c>in_port=1,tcp,…,dp_hash=0x1ff</c>) through <paramref name="bridge"/>.</summary>
    public static IReadOnlyList<OvsTraceResult> Run(OvsUnixctl ctl, string bridge, IEnumerable<string> flows) =>
        ctl.CallMany("ofproto/trace", flows.Select(f => new[] { bridge, f }).ToList()).Select(t => new OvsTraceResult(t)).ToList();
}
