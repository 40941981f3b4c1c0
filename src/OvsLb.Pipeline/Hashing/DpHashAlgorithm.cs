namespace OvsLb.Pipeline.Hashing;

/// <summary>The hash a select group asks the datapath for (OVS's <c>enum ovs_hash_alg</c>).</summary>
public enum DpHashAlgorithm
{
    /// <summary><c>OVS_HASH_ALG_L4</c>: the packet's RSS hash (userspace datapath: a software 5-tuple hash
    /// when the NIC gave none), mixed with the basis. Used when a group names <c>selection_method=dp_hash</c>
    /// with algorithm 0.</summary>
    L4 = 0,
    /// <summary><c>OVS_HASH_ALG_SYM_L4</c>: a symmetric hash of the addresses, protocol and (TCP/SCTP only)
    /// ports. OVS 3.1 uses it for every select group that names no selection method, which is what
    /// <see cref="Groups.BackendSelectGroup"/> builds.</summary>
    SymmetricL4 = 1,
}
