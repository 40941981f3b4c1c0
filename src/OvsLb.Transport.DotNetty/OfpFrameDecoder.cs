using System.Buffers;
using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Transport.DotNetty;

/// <summary>
/// The first handler of a switch channel: splits the byte stream into OpenFlow frames (a retained slice of
/// the input each, no copy). The length at offset 2 is checked as soon as the 8-byte header is in, by the
/// project's <see cref="OfpFramer"/> (same bounds, same messages as the pipelines transport), so a peer
/// announcing a length below 8 or above the maximum is refused before any wait for its body; and a first
/// message whose type byte is not OFPT_HELLO is refused as soon as that byte arrives.
/// </summary>
public sealed class OfpFrameDecoder(int maxMessageLength) : ByteToMessageDecoder
{
    private readonly OfpFramer _framer = new(maxMessageLength);
    private readonly byte[] _header = new byte[OfpMessage.HeaderLength];
    private bool _first = true, _failed;

    /// <summary>Bytes of an incomplete message left when the peer closed (0 when it closed between messages).</summary>
    public int PendingAtClose { get; private set; }

    protected override void Decode(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        if (_failed)
        {
            input.SkipBytes(input.ReadableBytes);
            return;
        }
        if (_first && input.ReadableBytes >= 2)
        {
            // OpenFlow 1.3.5 §6.3.1: both sides start with OFPT_HELLO; see SwitchConnection.ReceiveLoopAsync.
            byte type = input.GetByte(input.ReaderIndex + 1);
            if (type != (byte)OfpType.Hello)
            {
                _failed = true;
                var head = new byte[Math.Min(8, input.ReadableBytes)];
                input.GetBytes(input.ReaderIndex, head);
                throw new NotOpenFlowPeerException($"not an OpenFlow peer: first message type {type} is not OFPT_HELLO (first bytes {Convert.ToHexString(head).ToLowerInvariant()})");
            }
            _first = false;
        }
        while (input.ReadableBytes >= OfpMessage.HeaderLength)
        {
            input.GetBytes(input.ReaderIndex, _header);
            var header = new ReadOnlySequence<byte>(_header);
            try
            {
                _framer.TryReadMessage(ref header, out _); // throws for a length out of bounds
            }
            catch (OfpProtocolException)
            {
                _failed = true;
                throw;
            }
            int length = input.GetUnsignedShort(input.ReaderIndex + 2);
            if (input.ReadableBytes < length) return;
            output.Add(input.ReadRetainedSlice(length));
        }
    }

    protected override void DecodeLast(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        PendingAtClose = input.ReadableBytes;
        base.DecodeLast(context, input, output);
    }
}

/// <summary>The peer's first bytes are not an OFPT_HELLO.</summary>
public sealed class NotOpenFlowPeerException(string message) : Exception(message);
