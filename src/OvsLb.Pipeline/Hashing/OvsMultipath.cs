namespace OvsLb.Pipeline.Hashing;

/// <summary>
/// The slot the Nicira <c>multipath</c> action of a UDP service (<see cref="Flows.SlotFlows.Multipath"/>) writes into
/// reg2, re-implemented from Open vSwitch 3.1 so <c>ovslb which</c> can name a UDP flow's backend without a switch.
/// <para>
/// lib/multipath.c <c>multipath_execute</c>: <c>hash = flow_hash_fields(flow, NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP, basis)</c>
/// = <c>flow_hash_symmetric_l3l4(flow, basis, true)</c> (lib/flow.c: addresses, protocol and, for unfragmented UDP too,
/// the XOR of the ports; <see cref="OvsDpHash.SymmetricL3L4"/>), then <c>multipath_algorithm</c>: <c>hrw</c> with at
/// most 64 links is the argmax over link i of <c>hash_2words(hash, i)</c> (the first on a tie); above 64 links OVS
/// runs <c>iter_hash</c> with arg 0 instead: <c>hash = hash_2words(hash, i++)</c> until <c>hash % 2^⌈log₂ n⌉ &lt; n</c>.
/// Same generic-build caveat as <see cref="OvsDpHash"/> (murmur <c>hash_add</c>; an SSE 4.2 build hashes otherwise).
/// This runs in translation (an upcall), once per new UDP flow; the datapath then keeps an exact-5-tuple megaflow.
/// </para>
/// </summary>
public static class OvsMultipath
{
    /// <summary>The multipath hash of <paramref name="t"/> (<c>symmetric_l3l4+udp</c>, <paramref name="basis"/>).</summary>
    public static uint Hash(FiveTuple t, ushort basis = 0) => OvsDpHash.SymmetricL3L4(t, basis, includeUdpPorts: true);

    /// <summary>The link <c>hrw</c> picks among <paramref name="links"/> for <paramref name="hash"/>, as OVS 3.1 computes it.</summary>
    public static int Hrw(uint hash, int links)
    {
        if (links < 1 || links > 65536) throw new ArgumentOutOfRangeException(nameof(links), links, "n_links must be 1..65536");
        if (links > 64) return IterHash(hash, links, 0);
        int best = 0;
        uint bestWeight = OvsDpHash.HashInt(hash, 0);
        for (int link = 1; link < links; link++)
        {
            uint w = OvsDpHash.HashInt(hash, (uint)link);
            if (w > bestWeight) (best, bestWeight) = (link, w);
        }
        return best;
    }

    /// <summary>lib/multipath.c <c>algorithm_iter_hash</c>.</summary>
    public static int IterHash(uint hash, int links, uint modulo)
    {
        if (modulo < links || modulo / 2 > links) modulo = RoundUpPow2((uint)links);
        uint i = 0;
        uint link;
        do
        {
            hash = OvsDpHash.HashInt(hash, i++);
            link = hash % modulo;
        } while (link >= links);
        return (int)link;
    }

    private static uint RoundUpPow2(uint n) => n <= 1 ? 1 : 1u << (32 - System.Numerics.BitOperations.LeadingZeroCount(n - 1));
}
