using System.Text;
using System.Text.RegularExpressions;
using OvsLb.Runtime.Session;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>A FLOW_MOD or GROUP_MOD as ovs-vswitchd logged it, with the bundle it arrived in (null: sent directly).</summary>
public sealed record OvsMod(string? BundleId, string Text)
{
    public bool IsFlowMod => Text.StartsWith("FLOW_MOD ", StringComparison.Ordinal);
    public bool IsGroupMod => Text.StartsWith("GROUP_MOD ", StringComparison.Ordinal);
    public override string ToString() => BundleId is null ? Text : $"[bundle {BundleId}] {Text}";
}

/// <summary>
/// The switch's own record of the OpenFlow messages it received, a witness independent of the
/// controller's counters: with the <c>vconn</c> module at debug level, ovs-vswitchd logs every
/// message it receives as <c>"tcp:127.0.0.1:PORT: received: TEXT"</c> (ofp-print text; a
/// BUNDLE_ADD is printed with its inner message). OVS rate-limits these lines (600 a minute); a
/// "due to excessive rate" line fails the read instead of silently under-counting.
/// </summary>
public sealed partial class OvsReceivedLog
{
    private readonly OvsSandbox _ovs;

    public OvsReceivedLog(OvsSandbox ovs)
    {
        _ovs = ovs;
        ovs.Appctl("vlog/set", "vconn:file:dbg");
    }

    private string LogPath => Path.Combine(_ovs.Dir, "ovs-vswitchd.log");

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT[^|]*\|\d+\|([\w-]+)\|(\w+)\|(.*)$")]
    private static partial Regex RecordStart();

    [GeneratedRegex(@"bundle_id=(\S+)")]
    private static partial Regex BundleIdText();

    /// <summary>Messages ovs-vswitchd received on the connection to <paramref name="target"/> ("tcp:127.0.0.1:PORT"), in order, each as its ofp-print text.</summary>
    public IReadOnlyList<string> Received(string target)
    {
        string text;
        using (var f = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var r = new StreamReader(f, Encoding.UTF8))
        {
            text = r.ReadToEnd();
        }
        var records = new List<(string Module, string Body)>();
        foreach (var line in text.Split('\n'))
        {
            var m = RecordStart().Match(line);
            if (m.Success) records.Add((m.Groups[1].Value, m.Groups[3].Value));
            else if (records.Count > 0) records[^1] = (records[^1].Module, records[^1].Body + "\n" + line);
        }
        if (records.Any(r => r.Module == "vconn" && r.Body.Contains("due to excessive rate", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("ovs-vswitchd rate-limited its vconn debug log: message counts from it would be incomplete");
        }
        string prefix = target + ": received: ";
        return records.Where(r => r.Module == "vconn" && r.Body.StartsWith(prefix, StringComparison.Ordinal))
            .Select(r => r.Body[prefix.Length..].TrimEnd()).ToList();
    }

    /// <summary>
    /// Sends a barrier on the session and waits until ovs-vswitchd has logged it, so everything the
    /// session sent before is in the log. Returns how many messages the switch has received from it so far.
    /// </summary>
    public async Task<int> SyncAsync(SwitchSession session, string target)
    {
        var reply = await session.RequestAsync(OvsLb.OpenFlow.Messages.EmptyMessage.BarrierRequest());
        string barrier = $"OFPT_BARRIER_REQUEST (OF1.3) (xid=0x{reply.Xid:x})";
        int count = -1;
        bool seen = ProcessRunner.WaitUntil(() =>
        {
            var got = Received(target);
            int i = got.ToList().FindIndex(m => m.StartsWith(barrier, StringComparison.Ordinal));
            count = i + 1;
            return i >= 0;
        }, TimeSpan.FromSeconds(10));
        Assert.That(seen, Is.True, $"ovs-vswitchd did not log the barrier {barrier} from {target}");
        return count;
    }

    /// <summary>The FLOW_MODs and GROUP_MODs among received messages, inner bundle messages included.</summary>
    public static IReadOnlyList<OvsMod> Mods(IEnumerable<string> received)
    {
        var mods = new List<OvsMod>();
        foreach (var msg in received)
        {
            var lines = msg.Split('\n');
            string? bundle = msg.StartsWith("ONFT_BUNDLE_ADD_MESSAGE", StringComparison.Ordinal) && BundleIdText().Match(msg) is { Success: true } b ? b.Groups[1].Value : null;
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith("OFPT_FLOW_MOD (OF1.3)", StringComparison.Ordinal))
                {
                    mods.Add(new OvsMod(bundle, "FLOW_MOD " + lines[i][(lines[i].IndexOf("): ", StringComparison.Ordinal) + 3)..].Trim()));
                }
                else if (lines[i].StartsWith("OFPT_GROUP_MOD (OF1.3)", StringComparison.Ordinal) && i + 1 < lines.Length)
                {
                    mods.Add(new OvsMod(bundle, "GROUP_MOD " + lines[i + 1].Trim()));
                }
            }
        }
        return mods;
    }

    /// <summary>The mods the switch received from <paramref name="target"/> after the first <paramref name="from"/> messages.</summary>
    public IReadOnlyList<OvsMod> ModsSince(string target, int from) => Mods(Received(target).Skip(from));

    /// <summary>How many bundle commits the switch received from <paramref name="target"/> after the first <paramref name="from"/> messages.</summary>
    public int CommitsSince(string target, int from) =>
        Received(target).Skip(from).Count(m => m.StartsWith("ONFT_BUNDLE_CONTROL", StringComparison.Ordinal) && m.Contains("type=COMMIT_REQUEST", StringComparison.Ordinal));
}
