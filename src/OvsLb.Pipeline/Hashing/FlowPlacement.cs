using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline.Hashing;

/// <summary>Where the pipeline sends one connection that reached a bridge's <c>service</c> table.</summary>
/// <param name="Tuple">The connection.</param>
/// <param name="Service">The service whose flow matched, or null.</param>
/// <param name="Group">Its select group, or null when no service flow matched.</param>
/// <param name="Algorithm">The hash the group asks the datapath for.</param>
/// <param name="DpHash">The datapath's dp_hash of the packet.</param>
/// <param name="Bucket">The bucket index: <c>dp_hash &amp; (buckets - 1)</c>; -1 without a group.</param>
/// <param name="Backend">The backend that owns that bucket (or the port-group master), or null.</param>
/// <param name="Verdict">One sentence saying what happens and why.</param>
/// <param name="Slots">UDP services: the number of multipath links (slots); then <paramref name="DpHash"/> is the
/// multipath hash and <paramref name="Bucket"/> the slot (<see cref="OvsMultipath"/>), and there is no group. 0 otherwise.</param>
public sealed record FlowPlacement(
    FiveTuple Tuple,
    ServicePlan? Service,
    GroupEntry? Group,
    DpHashAlgorithm Algorithm,
    uint DpHash,
    int Bucket,
    BackendConfig? Backend,
    string Verdict,
    int Slots = 0)
{
    /// <summary>The chosen bucket's entry in the group, or null.</summary>
    public Bucket? BucketEntry => Group is not null && Bucket >= 0 ? Group.Buckets[Bucket] : null;
}
