using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Hashing;
using OvsLb.State;

namespace OvsLb.Pipeline.Groups;

/// <summary>
/// Builds a service's select group with a fixed number of buckets, one per slot of a
/// <see cref="MaglevTable"/>.
/// <para>
/// <b>Why the group exists.</b> A service's traffic is spread over its backends by hashing each
/// flow, so one connection always reaches the same backend. OVS in OpenFlow 1.3 hashes a select group
/// with its dp_hash method: <c>dp_hash &amp; (n_hash-1)</c> indexes a table of n_hash =
/// max(16, 2^⌈log₂(Σw/w_min)⌉) entries filled in bucket order (ofproto-dpif.c,
/// group_setup_dp_hash_table; at most 256 for the default method). With one bucket per backend that
/// table is rebuilt from scratch on every bucket add/remove, so most flows change backend, and with
/// N not a power of two some backends get twice the slots of others. Giving the group exactly M
/// weight-1 buckets (M a power of two, 16 ≤ M ≤ 256) makes n_hash = M and maps hash slot i to bucket
/// i; bucket i then carries the actions of the backend that owns slot i in the Maglev table, so a
/// backend change rewrites only the buckets whose owner changed and only their flows move. Buckets
/// carry <c>watch_port</c> for backends on local ports: OVS then skips a dead bucket by walking to
/// the next live slot in the datapath (ofproto-dpif-xlate.c pick_dp_hash_select_group).
/// </para>
/// </summary>
public static class BackendSelectGroup
{
    /// <summary>Largest bucket count for which OVS's default selection method still uses dp_hash.</summary>
    public const int MaxBuckets = 256;

    /// <summary>
    /// The select group <paramref name="groupId"/> with one weight-1 bucket per slot of
    /// <paramref name="slots"/> (in slot order); bucket i = <c>backends[slots[i]]</c>.
    /// </summary>
    public static GroupEntry Build(uint groupId, IReadOnlyList<int> slots, IReadOnlyList<BackendBucket> backends)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(backends);
        int m = slots.Count;
        if (m < MaglevTable.MinSize || m > MaxBuckets || (m & (m - 1)) != 0)
        {
            throw new ArgumentException($"slot count {m} must be a power of two in [{MaglevTable.MinSize}, {MaxBuckets}] for OVS's dp_hash select", nameof(slots));
        }
        var buckets = new Bucket[m];
        var made = new Bucket?[backends.Count]; // one (immutable) bucket per backend, shared by its slots
        for (int i = 0; i < m; i++)
        {
            int b = slots[i];
            if ((uint)b >= (uint)backends.Count)
            {
                throw new ArgumentException($"slots[{i}] = {b} is not a backend index (0..{backends.Count - 1})", nameof(slots));
            }
            var bb = backends[b];
            buckets[i] = made[b] ??= new Bucket(1, bb.WatchPort ?? OfctlFormat.Ports.Any, GroupId.Any, bb.Actions);
        }
        return new GroupEntry(groupId, GroupType.Select, buckets);
    }
}
