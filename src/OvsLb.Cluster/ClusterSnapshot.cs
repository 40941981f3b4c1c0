using System.Globalization;
using System.Text;

namespace OvsLb.Cluster;

/// <summary>One bridge in <see cref="ClusterSnapshot"/>: its leader (master), generation id, the leader lease's time left, and every candidate, leader first.</summary>
public sealed record BridgeMastership(ulong DatapathId, ElectionCandidate Leader, long LeaseSecondsLeft, IReadOnlyList<ElectionCandidate> Candidates);

/// <summary>
/// The cluster as etcd holds it, read once (<c>ovslb cluster status</c>): the registered instances and, per bridge, its
/// election. An instance is a candidate for a bridge only while the bridge is connected to it, so the candidates are
/// also the instances holding a connection to the bridge.
/// </summary>
public sealed record ClusterSnapshot(long Revision, IReadOnlyList<string> Instances, IReadOnlyList<BridgeMastership> Bridges)
{
    /// <summary>Reads the instances and elections under the connection's prefix, and the time left on each leader's lease.</summary>
    public static async Task<ClusterSnapshot> ReadAsync(EtcdConnection etcd, CancellationToken ct = default)
    {
        string prefix = etcd.Options.KeyPrefix;
        await etcd.ConnectAsync(ct).ConfigureAwait(false);
        var elect = await etcd.GetPrefixAsync(prefix + "/elect/", ct).ConfigureAwait(false);
        var inst = await etcd.GetPrefixAsync(prefix + "/instances/", ct).ConfigureAwait(false);
        var view = new ElectionView(prefix + "/elect/");
        view.Reset(elect.Kvs.Select(kv => new ElectionKeyEvent(false, kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Lease)), elect.Header.Revision);
        var ttl = new Dictionary<long, long>();
        var bridges = new List<BridgeMastership>();
        foreach (var dpid in view.Bridges.Order())
        {
            var leader = view.Leader(dpid)!;
            if (!ttl.TryGetValue(leader.Lease, out long left)) ttl[leader.Lease] = left = await etcd.LeaseTimeToLiveAsync(leader.Lease, ct).ConfigureAwait(false);
            bridges.Add(new BridgeMastership(dpid, leader, left, view.Candidates(dpid)));
        }
        var instances = inst.Kvs.Select(kv => kv.Key.ToStringUtf8()[(prefix.Length + "/instances/".Length)..]).Order(StringComparer.Ordinal).ToList();
        return new ClusterSnapshot(elect.Header.Revision, instances, bridges);
    }

    /// <summary>The snapshot as a table: one line per bridge, after a header naming the instances.</summary>
    public string Format(string endpoints, string prefix)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# cluster at {endpoints}, prefix {prefix}, etcd revision {Revision}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# instances ({Instances.Count}): {(Instances.Count == 0 ? "none" : string.Join(", ", Instances))}\n");
        if (Bridges.Count == 0)
        {
            sb.Append("# no bridge has an election yet (no bridge is connected to any instance)\n");
            return sb.ToString();
        }
        var rows = new List<string[]> { new[] { "DATAPATH", "MASTER", "GENERATION", "LEASE_LEFT", "CONNECTED (candidates, in order)" } };
        rows.AddRange(Bridges.Select(b => new[]
        {
            b.DatapathId.ToString("x16", CultureInfo.InvariantCulture), b.Leader.Instance, b.Leader.GenerationId.ToString(CultureInfo.InvariantCulture),
            b.LeaseSecondsLeft < 0 ? "expired" : $"{b.LeaseSecondsLeft} s", string.Join(", ", b.Candidates.Select(c => c.Instance)),
        }));
        var widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
        {
            sb.Append(string.Join("  ", r.Take(4).Select((v, c) => v.PadRight(widths[c])))).Append("  ").Append(r[4]).Append('\n');
        }
        return sb.ToString();
    }
}
