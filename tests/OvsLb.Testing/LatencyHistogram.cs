using System.Diagnostics;

namespace OvsLb.Testing;

/// <summary>
/// A log-linear latency histogram in microseconds (HdrHistogram-style: exact below 128 µs, then 64
/// linear sub-buckets per power of two, so a percentile is within 1/64 ≈ 1.6% of the true value) with O(1) recording and
/// no allocation. Not thread-safe: keep one per recording thread and <see cref="Add"/> them.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 7;
    private const int Sub = 1 << SubBits;
    private readonly long[] _counts = new long[(64 - SubBits + 1) * Sub];

    public long Count { get; private set; }
    public long MaxMicros { get; private set; }

    public void RecordTicks(long stopwatchTicks) => RecordMicros(stopwatchTicks * 1_000_000 / Stopwatch.Frequency);

    public void RecordMicros(long us)
    {
        if (us < 0) us = 0;
        _counts[Index(us)]++;
        Count++;
        if (us > MaxMicros) MaxMicros = us;
    }

    private static int Index(long v)
    {
        if (v < Sub) return (int)v;
        int exp = 63 - (int)long.LeadingZeroCount(v) - SubBits + 1;   // v >> exp is in [Sub/2, Sub)
        return exp * Sub + (int)(v >> exp);
    }

    /// <summary>Upper bound (µs) of the values counted in bucket <paramref name="i"/>.</summary>
    private static long UpperBound(int i)
    {
        if (i < Sub) return i;
        int exp = i / Sub;
        long mantissa = i % Sub;
        return ((mantissa + 1) << exp) - 1;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>The value (µs) below or at which <paramref name="percentile"/> percent of the samples lie.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(Count * percentile / 100.0));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(UpperBound(i), MaxMicros);
        }
        return MaxMicros;
    }
}
