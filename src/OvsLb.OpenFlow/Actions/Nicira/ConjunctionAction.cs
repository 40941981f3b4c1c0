using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_CONJUNCTION (34): marks the flow as clause <c>Clause + 1</c> of <see cref="NClauses"/> of the
/// conjunctive match <see cref="Id"/>; a packet matching one flow of every clause then matches the flow
/// with <c>conj_id=Id</c>. This expresses "A and B" over sets (e.g. many sources times many ports)
/// with |A| + |B| flows instead of |A| x |B|. Prints <c>conjunction(7,1/2)</c> (clause numbered from 1).
/// <code>
/// struct nx_action_conjunction {
///     ovs_be16 type, len;    /* 0xffff, 16 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 34 */
///     uint8_t clause;        /* 0-based, less than n_clauses */
///     uint8_t n_clauses;     /* 2..64 */
///     ovs_be32 id;
/// };
/// </code>
/// </summary>
public sealed record ConjunctionAction(uint Id, byte Clause, byte NClauses) : OfpAction
{
    /// <summary>Clause <paramref name="clause"/> (1-based, as ovs-ofctl writes it) of <paramref name="nClauses"/>.</summary>
    public static ConjunctionAction Create(uint id, int clause, int nClauses)
    {
        if (nClauses is < 2 or > 64) throw new ArgumentOutOfRangeException(nameof(nClauses), nClauses, "a conjunction has 2 to 64 clauses");
        if (clause < 1 || clause > nClauses) throw new ArgumentOutOfRangeException(nameof(clause), clause, $"clause must be 1..{nClauses}");
        return new ConjunctionAction(id, (byte)(clause - 1), (byte)nClauses);
    }

    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.Conjunction);
        w.WriteU8(Clause);
        w.WriteU8(NClauses);
        w.WriteU32(Id);
    }

    /// <summary>decode_NXAST_RAW_CONJUNCTION (lib/ofp-actions.c): OVS answers NXBAC_BAD_CONJUNCTION.</summary>
    internal static ConjunctionAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "conjunction", at);
        byte clause = r.ReadU8("conjunction clause");
        byte n = r.ReadU8("conjunction n_clauses");
        uint id = r.ReadU32("conjunction id");
        if (n is < 2 or > 64 || clause >= n)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"conjunction: clause {clause} of {n} (n_clauses must be 2..64 and clause below it)", at, "NXBAC_BAD_CONJUNCTION");
        }
        return new ConjunctionAction(id, clause, n);
    }

    public override void Format(StringBuilder s) =>
        s.Append("conjunction(").Append(Id).Append(',').Append(Clause + 1).Append('/').Append(NClauses).Append(')');
}
