using System.Buffers;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>Encodes messages straight into caller-provided memory; no intermediate arrays.</summary>
public static class OfpEncoder
{
    /// <summary>Writes the message into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int Write(OfpMessage message, Span<byte> destination)
    {
        int len = message.WireLength;
        if (len > ushort.MaxValue)
        {
            throw new InvalidOperationException($"{message.OvsName} would be {len} bytes, over the 65535-byte OpenFlow limit");
        }
        if (destination.Length < len)
        {
            throw new ArgumentException($"destination has {destination.Length} bytes, {message.OvsName} needs {len}", nameof(destination));
        }
        var w = new OfpWriter(destination[..len]);
        w.WriteU8(message.Version);
        w.WriteU8((byte)message.Type);
        w.WriteU16((ushort)len);
        w.WriteU32(message.Xid);
        message.WriteBody(ref w);
        if (w.Position != len)
        {
            throw new InvalidOperationException($"{message.OvsName} wrote {w.Position} bytes but declared {len} (length computation bug)");
        }
        return len;
    }

    /// <summary>Writes the message into a buffer writer (a pipe, an ArrayBufferWriter) and advances it.</summary>
    public static int Write(OfpMessage message, IBufferWriter<byte> output)
    {
        int len = message.WireLength;
        int written = Write(message, output.GetSpan(len));
        output.Advance(written);
        return written;
    }

    /// <summary>Convenience: the message as a new array.</summary>
    public static byte[] ToArray(OfpMessage message)
    {
        var bytes = new byte[message.WireLength];
        Write(message, bytes);
        return bytes;
    }
}
