using System.Buffers;
using System.Buffers.Binary;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// Splits a byte stream into OpenFlow messages, in the style of Kestrel's
/// <c>Http2FrameReader.TryReadFrame</c>: the 8-byte header is read first and its length checked
/// (8 ≤ length ≤ <see cref="MaxMessageLength"/>) before any wait for the body, and the message is
/// returned as a slice of the input sequence (no copy), whatever segments it spans.
/// </summary>
public sealed class OfpFramer
{
    public OfpFramer(int maxMessageLength = ushort.MaxValue)
    {
        if (maxMessageLength is < OfpMessage.HeaderLength or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessageLength), maxMessageLength, "must be between 8 and 65535");
        }
        MaxMessageLength = maxMessageLength;
    }

    public int MaxMessageLength { get; }

    /// <summary>
    /// Takes one message off the front of <paramref name="buffer"/> if it is complete. Returns false
    /// (buffer unchanged) when more bytes are needed; throws <see cref="OfpProtocolException"/> as soon
    /// as the header shows a length out of bounds, so a peer cannot make us wait for a bogus body.
    /// </summary>
    public bool TryReadMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < OfpMessage.HeaderLength) return false;
        Span<byte> header = stackalloc byte[OfpMessage.HeaderLength];
        buffer.Slice(0, OfpMessage.HeaderLength).CopyTo(header);
        int length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (length < OfpMessage.HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"header length {length} is below the 8-byte minimum (version 0x{header[0]:x2}, type {header[1]})", 2);
        }
        if (length > MaxMessageLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"header length {length} exceeds the configured maximum of {MaxMessageLength} bytes (version 0x{header[0]:x2}, type {header[1]})", 2);
        }
        if (buffer.Length < length) return false;
        message = buffer.Slice(0, length);
        buffer = buffer.Slice(length);
        return true;
    }

    /// <summary>Splits a whole byte array holding back-to-back messages (files, hex input).</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> bytes)
    {
        int pos = 0;
        while (pos < bytes.Length)
        {
            var seq = new ReadOnlySequence<byte>(bytes[pos..]);
            if (!TryReadMessage(ref seq, out var msg))
            {
                throw new OfpProtocolException(OfpErrorKind.Truncated, $"{bytes.Length - pos} trailing bytes do not hold a complete message", pos);
            }
            int len = (int)msg.Length;
            yield return bytes.Slice(pos, len);
            pos += len;
        }
    }
}
