using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Wire;

/// <summary>
/// Big-endian cursor over a destination span sized in advance from the message's computed
/// length, so encoding never allocates. Writing past the end is a bug in a length computation
/// and throws <see cref="InvalidOperationException"/>.
/// </summary>
public ref struct OfpWriter
{
    private readonly Span<byte> _dst;
    private int _pos;

    public OfpWriter(Span<byte> destination)
    {
        _dst = destination;
        _pos = 0;
    }

    public readonly int Position => _pos;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private readonly Span<byte> Take(int n)
    {
        if ((uint)(_pos + n) > (uint)_dst.Length) Overrun(n, _pos, _dst.Length);
        return _dst.Slice(_pos, n);
    }

    // Kept out of line so Take stays small enough to inline into every Write*.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Overrun(int n, int pos, int length) =>
        throw new InvalidOperationException($"OpenFlow encoder overran its buffer: {n} bytes at {pos} of {length} (length computation bug)");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void WriteU8(byte v) { Take(1)[0] = v; _pos += 1; }
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void WriteU16(ushort v) { BinaryPrimitives.WriteUInt16BigEndian(Take(2), v); _pos += 2; }
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void WriteU32(uint v) { BinaryPrimitives.WriteUInt32BigEndian(Take(4), v); _pos += 4; }
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void WriteU64(ulong v) { BinaryPrimitives.WriteUInt64BigEndian(Take(8), v); _pos += 8; }

    /// <summary>Writes the low <paramref name="len"/> bytes (1..8) of <paramref name="v"/>, big-endian.</summary>
    public void WriteUIntN(ulong v, int len)
    {
        var dst = Take(len);
        for (int i = len - 1; i >= 0; i--)
        {
            dst[i] = (byte)v;
            v >>= 8;
        }
        _pos += len;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) { bytes.CopyTo(Take(bytes.Length)); _pos += bytes.Length; }

    public void WriteZeros(int n) { Take(n).Clear(); _pos += n; }

    /// <summary>Writes zeros up to the next multiple of 8 from <paramref name="start"/>.</summary>
    public void PadTo8(int start)
    {
        int len = _pos - start;
        int pad = (len + 7) / 8 * 8 - len;
        if (pad > 0) WriteZeros(pad);
    }

    /// <summary>Writes an ASCII string into a fixed-size NUL-padded field.</summary>
    public void WriteFixedString(string s, int n)
    {
        var span = Take(n);
        span.Clear();
        int len = Math.Min(s.Length, n - 1);
        for (int i = 0; i < len; i++) span[i] = (byte)s[i];
        _pos += n;
    }

    public readonly Span<byte> Written => _dst[.._pos];
}

/// <summary>Small helpers for OpenFlow padding arithmetic.</summary>
public static class Pad
{
    /// <summary>Rounds <paramref name="n"/> up to a multiple of 8.</summary>
    public static int To8(int n) => (n + 7) & ~7;
}
