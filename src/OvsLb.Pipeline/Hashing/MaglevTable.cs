using System.Text;

namespace OvsLb.Pipeline.Hashing;

/// <summary>One backend as the lookup table sees it: a stable identity and a relative weight.</summary>
/// <param name="Key">Stable identity (e.g. the backend's IP, or IP and port). Only this string is hashed,
/// so the backend keeps its slot preferences across restarts, hosts and reconfigurations.</param>
/// <param name="Weight">Relative weight; 0 means "drained" (owns no slot).</param>
public readonly record struct MaglevBackend(string Key, uint Weight);

/// <summary>
/// A Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
/// Balancer", NSDI 2016, §3.4) of power-of-two size: slot → backend index.
/// <para>
/// <b>Why it exists.</b> Open vSwitch (OF1.3 select groups, "dp_hash" method, ofproto-dpif.c
/// group_setup_dp_hash_table) maps a packet's <c>dp_hash &amp; (n_hash-1)</c> to a bucket through a
/// table filled by Webster's method in bucket order, so adding or removing one bucket moves most
/// hash slots (like modulo hashing). The pipeline instead gives every service's group a fixed
/// number M of weight-1 buckets (M a power of two ≤ 256, so OVS uses exactly n_hash = M and hash
/// slot i lands in bucket i), and this table decides which backend each bucket serves. Because the
/// table changes little when the backend set changes, only the buckets whose owner changed are
/// rewritten and only their flows move (about 1/N).
/// </para>
/// <para>
/// <b>Population (a deviation from the paper, measured).</b> Maglev fills a prime-sized table by
/// round-robin turns over per-backend permutations <c>(offset + j·skip) mod M</c>; at M = 256 and
/// N up to 16 (M/N = 16, far below the paper's M ≥ 100·N) that loop moved up to 0.19 of the slots
/// when one of 7 backends was added (bound 1.25/N = 0.179). A power-of-two M itself is no obstacle
/// (any odd skip is coprime with 2^n, so the permutations stay complete), but the extra churn is.
/// The table is therefore filled from a keyed score per (backend, slot) pair — rendezvous hashing:
/// every pair is ranked by <c>Mix(h(backend) ⊕ Mix(slot))</c> and taken greedily, highest score
/// first, each backend up to its exact weighted quota (largest-remainder method). Every slot is
/// filled (quotas sum to M) and balance is exact (⌊M·w/Σw⌋ or one more). Two tables built from
/// scratch for neighbouring backend sets differ in about 1.5–1.9/N of the slots at M = 256, which is
/// why the controller never does that: it calls <see cref="Update"/> with the installed table, which
/// moves only the slots the new quotas force (measured on real OVS for N = 2..16: at most 1/N of
/// 10,000 flows, DisruptionOvsTests; figures in README.md).
/// </para>
/// <para>
/// <b>Weights.</b> Backend i's quota is its largest-remainder share of M by w_i/Σw, so its slot count
/// is within one slot of w_i/Σw·M; weight 0 means no slot.
/// </para>
/// <para>
/// <b>Determinism.</b> Backend identity is hashed with FNV-1a 64 over the UTF-8 key followed by a
/// SplitMix64 finaliser (never <see cref="string.GetHashCode()"/>, which is randomised per process),
/// and ties are broken in order of that hash, so the table depends only on the set of
/// (key, weight) pairs, M and the seed — not on the order the backends are listed in.
/// </para>
/// </summary>
public static class MaglevTable
{
    /// <summary>Smallest table size accepted.</summary>
    public const int MinSize = 16;

    /// <summary>Largest table size accepted (the table is an int per slot).</summary>
    public const int MaxSize = 1 << 16;


    /// <summary>
    /// Builds the table: element s is the index (into <paramref name="backends"/>) of the backend
    /// owning slot s. Every slot is owned by a backend of non-zero weight.
    /// </summary>
    /// <exception cref="ArgumentException">M not a power of two in [16, 2^16]; no backend with
    /// non-zero weight; duplicate keys.</exception>
    public static int[] Build(IReadOnlyList<MaglevBackend> backends, int size, ulong seed = 0) =>
        Update(null, backends, size, seed);

    /// <summary>
    /// Rebuilds the table from the one installed before (<paramref name="previousOwners"/>: slot →
    /// backend key, null for an unknown slot), moving as few slots as the new quotas allow: a slot
    /// keeps its backend while that backend is still live and under its new quota (when it must give
    /// slots up, it keeps its highest-scoring ones), and only the freed slots are dealt out again,
    /// highest rendezvous score first, to backends below quota. Adding one of N+1 equal backends
    /// therefore moves about M/(N+1) slots, removing one of N moves about M/N, and an unchanged set
    /// moves none. Without a previous table (first install, or a different size) this is
    /// <see cref="Build"/>.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Build"/>.</exception>
    public static int[] Update(IReadOnlyList<string?>? previousOwners, IReadOnlyList<MaglevBackend> backends, int size, ulong seed = 0)
    {
        Validate(backends, size);

        // Live backends in a canonical order (by key hash, then key): input order never matters.
        var live = new List<(int Index, ulong Hash)>();
        for (int i = 0; i < backends.Count; i++)
        {
            if (backends[i].Weight > 0) live.Add((i, KeyHash(backends[i].Key, seed)));
        }
        live.Sort((a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : string.CompareOrdinal(backends[a.Index].Key, backends[b.Index].Key));
        int[] quota = Quotas(live.Select(l => (ulong)backends[l.Index].Weight).ToArray(), size);

        // Rendezvous score of (live backend b, slot s): each slot ranks the backends by it.
        var slotHash = new ulong[size];
        for (int s = 0; s < size; s++) slotHash[s] = Mix((ulong)s * 0x9e3779b97f4a7c15UL + seed);
        ulong Score(int b, int s) => Mix(live[b].Hash ^ slotHash[s]);

        var table = new int[size];
        Array.Fill(table, -1);
        if (previousOwners is not null && previousOwners.Count == size)
        {
            // Keep: each live backend keeps up to its quota of its previous slots, best-scoring first.
            var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int b = 0; b < live.Count; b++) byKey[backends[live[b].Index].Key] = b;
            var previous = new List<(ulong Score, int Backend, int Slot)>();
            for (int s = 0; s < size; s++)
            {
                if (previousOwners[s] is { } key && byKey.TryGetValue(key, out int b)) previous.Add((Score(b, s), b, s));
            }
            previous.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Slot.CompareTo(y.Slot));
            foreach (var (_, b, s) in previous)
            {
                if (quota[b] == 0) continue;
                table[s] = live[b].Index;
                quota[b]--;
            }
        }

        // Deal the free slots (all of them for a fresh build) to backends below quota: pairs are
        // taken greedily, highest score first, each backend up to its quota (its exact weighted
        // share), so balance is exact and the table is a pure function of the backend set.
        var free = new List<(ulong Score, int Backend, int Slot)>();
        for (int s = 0; s < size; s++)
        {
            if (table[s] >= 0) continue;
            for (int b = 0; b < live.Count; b++)
            {
                if (quota[b] > 0) free.Add((Score(b, s), b, s));
            }
        }
        free.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score)
            : x.Backend != y.Backend ? x.Backend.CompareTo(y.Backend) : x.Slot.CompareTo(y.Slot));
        foreach (var (_, b, s) in free)
        {
            if (table[s] >= 0 || quota[b] == 0) continue;
            table[s] = live[b].Index;
            quota[b]--;
        }
        return table;
    }

    /// <summary>Throws unless M is a power of two in [MinSize, MaxSize] and the keys are non-null,
    /// distinct, and at least one weight is non-zero.</summary>
    private static void Validate(IReadOnlyList<MaglevBackend> backends, int size)
    {
        ArgumentNullException.ThrowIfNull(backends);
        if (size < MinSize || size > MaxSize || (size & (size - 1)) != 0)
        {
            throw new ArgumentException($"table size {size} must be a power of two in [{MinSize}, {MaxSize}]", nameof(size));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool anyLive = false;
        for (int i = 0; i < backends.Count; i++)
        {
            var b = backends[i];
            if (b.Key is null) throw new ArgumentException($"backends[{i}].Key is null", nameof(backends));
            if (!seen.Add(b.Key)) throw new ArgumentException($"backends[{i}].Key '{b.Key}' is a duplicate", nameof(backends));
            anyLive |= b.Weight > 0;
        }
        if (!anyLive) throw new ArgumentException("no backend with a non-zero weight", nameof(backends));
    }

    /// <summary>
    /// Slots per backend by the largest-remainder (Hamilton) method: ⌊w_i·M/Σw⌋, then one more slot to
    /// the largest remainders (ties to the earlier backend in canonical order). Sums to M exactly.
    /// </summary>
    internal static int[] Quotas(ulong[] weights, int size)
    {
        ulong total = 0;
        foreach (ulong w in weights) total += w;
        var q = new int[weights.Length];
        var rem = new ulong[weights.Length];
        int given = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            UInt128 x = (UInt128)weights[i] * (ulong)size;
            q[i] = (int)(x / total);
            rem[i] = (ulong)(x % total);
            given += q[i];
        }
        foreach (int i in Enumerable.Range(0, weights.Length).OrderByDescending(i => rem[i]).ThenBy(i => i).Take(size - given)) q[i]++;
        return q;
    }

    /// <summary>Slots owned per backend index (length = number of backends).</summary>
    public static int[] Counts(int[] table, int backendCount)
    {
        var c = new int[backendCount];
        foreach (int b in table) c[b]++;
        return c;
    }

    /// <summary>FNV-1a 64 of the UTF-8 key, mixed with the seed through SplitMix64's finaliser.</summary>
    public static ulong KeyHash(string key, ulong seed)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (byte c in Encoding.UTF8.GetBytes(key))
        {
            h ^= c;
            h *= 0x100000001b3UL;
        }
        return Mix(h ^ Mix(seed + 0x9e3779b97f4a7c15UL));
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
