using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Wire;

/// <summary>
/// Big-endian cursor over one message's bytes. Every read checks the remaining length first and
/// throws <see cref="OfpProtocolException"/> (never <see cref="ArgumentOutOfRangeException"/>);
/// <see cref="ReadMemory"/> slices without copying, so decoded values may alias the input.
/// </summary>
public struct OfpReader
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly int _base;
    private int _pos;

    public OfpReader(ReadOnlyMemory<byte> buffer, int baseOffset = 0)
    {
        _buffer = buffer;
        _base = baseOffset;
        _pos = 0;
    }

    public readonly int Position => _pos;
    public readonly int Remaining => _buffer.Length - _pos;
    public readonly bool End => _pos >= _buffer.Length;

    /// <summary>Offset of the cursor from the start of the enclosing message (for error reports).</summary>
    public readonly int AbsolutePosition => _base + _pos;

    public readonly ReadOnlySpan<byte> Rest => _buffer.Span[_pos..];
    public readonly ReadOnlyMemory<byte> RestMemory => _buffer[_pos..];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private readonly void Need(int n, string what)
    {
        if ((uint)n > (uint)Remaining) Truncated(n, what, Remaining, AbsolutePosition);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Truncated(int n, string what, int remaining, int at) =>
        throw new OfpProtocolException(OfpErrorKind.Truncated, $"{what}: needs {n} bytes, {remaining} left", at);

    public byte ReadU8(string what = "u8")
    {
        Need(1, what);
        return _buffer.Span[_pos++];
    }

    public ushort ReadU16(string what = "u16")
    {
        Need(2, what);
        var v = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Span[_pos..]);
        _pos += 2;
        return v;
    }

    public uint ReadU32(string what = "u32")
    {
        Need(4, what);
        var v = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Span[_pos..]);
        _pos += 4;
        return v;
    }

    public ulong ReadU64(string what = "u64")
    {
        Need(8, what);
        var v = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Span[_pos..]);
        _pos += 8;
        return v;
    }

    public readonly ushort PeekU16(string what = "u16")
    {
        Need(2, what);
        return BinaryPrimitives.ReadUInt16BigEndian(_buffer.Span[_pos..]);
    }

    public readonly ushort PeekU16At(int offset, string what = "u16")
    {
        Need(offset + 2, what);
        return BinaryPrimitives.ReadUInt16BigEndian(_buffer.Span[(_pos + offset)..]);
    }

    public readonly uint PeekU32At(int offset, string what = "u32")
    {
        Need(offset + 4, what);
        return BinaryPrimitives.ReadUInt32BigEndian(_buffer.Span[(_pos + offset)..]);
    }

    public void Skip(int n, string what = "padding")
    {
        Need(n, what);
        _pos += n;
    }

    /// <summary>Returns the next <paramref name="n"/> bytes as a slice of the input (no copy).</summary>
    public ReadOnlyMemory<byte> ReadMemory(int n, string what = "bytes")
    {
        Need(n, what);
        var m = _buffer.Slice(_pos, n);
        _pos += n;
        return m;
    }

    /// <summary>Returns a reader over the next <paramref name="n"/> bytes and moves past them.</summary>
    public OfpReader ReadSub(int n, string what)
    {
        Need(n, what);
        var sub = new OfpReader(_buffer.Slice(_pos, n), AbsolutePosition);
        _pos += n;
        return sub;
    }

    /// <summary>Reads a NUL-padded fixed-size ASCII string (port names, descriptions).</summary>
    public string ReadFixedString(int n, string what)
    {
        var span = ReadMemory(n, what).Span;
        int len = span.IndexOf((byte)0);
        if (len < 0) len = span.Length;
        return System.Text.Encoding.ASCII.GetString(span[..len]);
    }

    public readonly OfpProtocolException Error(OfpErrorKind kind, string message) => new(kind, message, AbsolutePosition);
}
