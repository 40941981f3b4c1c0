namespace OvsLb.Cluster;

/// <summary>
/// Which instance should lead a bridge when several could: the rendezvous-hash (highest random weight) winner of
/// the live instances for the bridge's datapath id. Every instance computes the same answer from the same list, with
/// no exchange; the preferred one campaigns at once and the others a little later, so at a cold start the masters
/// spread over the instances instead of all going to the one that heard of the bridges first. When an instance
/// leaves, only its bridges change their preferred instance. Pure.
/// </summary>
public static class MastershipSpread
{
    /// <summary>The preferred instance among <paramref name="instances"/> for <paramref name="datapathId"/>; null when the list is empty.</summary>
    public static string? Preferred(ulong datapathId, IEnumerable<string> instances)
    {
        string? best = null;
        ulong bestWeight = 0;
        foreach (var name in instances)
        {
            ulong w = Weight(datapathId, name);
            // Ties (practically never) go to the ordinally smaller name, so every instance still agrees.
            if (best is null || w > bestWeight || (w == bestWeight && string.CompareOrdinal(name, best) < 0))
            {
                best = name;
                bestWeight = w;
            }
        }
        return best;
    }

    /// <summary>The weight of an instance for a bridge: FNV-1a of the name, mixed with the datapath id by the splitmix64 finalizer.</summary>
    public static ulong Weight(ulong datapathId, string instance)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in instance)
        {
            h = (h ^ (byte)c) * 1099511628211UL;
            h = (h ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        ulong z = h ^ (datapathId * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
