using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Transport.DotNetty;

/// <summary>One frame decoded (or refused by the codec), with the buffer it may alias; the consumer releases <see cref="Owner"/>.</summary>
public sealed record InboundFrame(OfpMessage? Message, OfpProtocolException? Error, ReadOnlyMemory<byte> Bytes, IByteBuffer? Owner);

/// <summary>
/// Decodes each frame of <see cref="OfpFrameDecoder"/> into our message types. A PACKET_IN is decoded in
/// place, from the pooled buffer's own array (its handler finishes before the buffer is released, see
/// <c>ISwitchEvents</c>); any other message may outlive its handler, and decoded values alias their input,
/// so those decode from a copy, exactly as the pipelines transport does.
/// </summary>
public sealed class OfpMessageDecoder : ChannelHandlerAdapter
{
    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        if (message is not IByteBuffer frame)
        {
            context.FireChannelRead(message);
            return;
        }
        ReadOnlyMemory<byte> bytes;
        IByteBuffer? owner = null;
        if (frame.HasArray && frame.GetByte(frame.ReaderIndex + 1) == (byte)OfpType.PacketIn)
        {
            bytes = new ReadOnlyMemory<byte>(frame.Array, frame.ArrayOffset + frame.ReaderIndex, frame.ReadableBytes);
            owner = frame;
        }
        else
        {
            var copy = new byte[frame.ReadableBytes];
            frame.GetBytes(frame.ReaderIndex, copy);
            frame.Release();
            bytes = copy;
        }
        try
        {
            context.FireChannelRead(new InboundFrame(OfpDecoder.Decode(bytes), null, bytes, owner));
        }
        catch (OfpProtocolException e)
        {
            context.FireChannelRead(new InboundFrame(null, e, bytes, owner));
        }
    }
}

/// <summary>Encodes our messages straight into the pooled buffer DotNetty allocates for the write.</summary>
public sealed class OfpMessageEncoder : MessageToByteEncoder<OfpMessage>
{
    protected override void Encode(IChannelHandlerContext context, OfpMessage message, IByteBuffer output)
    {
        int length = message.WireLength;
        output.EnsureWritable(length);
        if (output.HasArray)
        {
            int n = OfpEncoder.Write(message, output.Array.AsSpan(output.ArrayOffset + output.WriterIndex, length));
            output.SetWriterIndex(output.WriterIndex + n);
        }
        else
        {
            output.WriteBytes(OfpEncoder.ToArray(message));
        }
    }
}
