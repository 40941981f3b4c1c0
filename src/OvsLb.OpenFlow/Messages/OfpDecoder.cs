using System.Buffers;
using System.Buffers.Binary;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// Decodes one complete OpenFlow 1.3 message into its immutable value. Every failure is an
/// <see cref="OfpProtocolException"/> naming what was wrong and where; nothing is allocated in
/// proportion to a length field before that length has been checked against the bytes present.
/// </summary>
public static class OfpDecoder
{
    /// <summary>Decodes exactly one message; its header length must equal the buffer length.</summary>
    public static OfpMessage Decode(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        if (span.Length < OfpMessage.HeaderLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"message of {span.Length} bytes is shorter than the 8-byte header", 0);
        }
        byte version = span[0];
        var type = (OfpType)span[1];
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        uint xid = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        if (length != span.Length)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"header length {length} does not match the {span.Length} bytes of the message", 2);
        }
        if (version != OfpMessage.Version13 && type != OfpType.Hello && type != OfpType.Error)
        {
            throw new OfpProtocolException(OfpErrorKind.BadVersion, $"version 0x{version:x2} is not OpenFlow 1.3 (0x04)", 0);
        }
        var r = new OfpReader(message[OfpMessage.HeaderLength..], OfpMessage.HeaderLength);
        OfpMessage m = type switch
        {
            OfpType.Hello => HelloMessage.Read(version, ref r),
            OfpType.Error => ErrorMessage.Read(ref r) with { HeaderVersion = version },
            OfpType.EchoRequest => new EchoMessage(false, new Bytes(r.ReadMemory(r.Remaining))),
            OfpType.EchoReply => new EchoMessage(true, new Bytes(r.ReadMemory(r.Remaining))),
            OfpType.Experimenter => ExperimenterCodec.Read(ref r),
            OfpType.FeaturesRequest or OfpType.GetConfigRequest or OfpType.BarrierRequest or OfpType.BarrierReply
                or OfpType.GetAsyncRequest => new EmptyMessage(type),
            OfpType.FeaturesReply => FeaturesReply.Read(ref r),
            OfpType.GetConfigReply => SwitchConfig.Read(true, ref r),
            OfpType.SetConfig => SwitchConfig.Read(false, ref r),
            OfpType.PacketIn => PacketIn.Read(ref r),
            OfpType.PacketOut => PacketOut.Read(ref r),
            OfpType.FlowMod => FlowMod.Read(ref r),
            OfpType.GroupMod => Groups.GroupMod.Read(ref r),
            _ => ReadMore(type, ref r),
        };
        if (!r.End)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{type}: {r.Remaining} bytes left over after the body", r.AbsolutePosition);
        }
        m.SetDecodedXid(xid);
        return m;
    }

    /// <summary>Decodes a message held in a sequence; copies only when it spans several segments.</summary>
    public static OfpMessage Decode(in ReadOnlySequence<byte> message) =>
        Decode(message.IsSingleSegment ? message.First : message.ToArray());

    private static OfpMessage ReadMore(OfpType type, ref OfpReader r) => type switch
    {
        OfpType.FlowRemoved => FlowRemoved.Read(ref r),
        OfpType.PortStatus => PortStatus.Read(ref r),
        OfpType.PortMod => PortMod.Read(ref r),
        OfpType.TableMod => TableMod.Read(ref r),
        OfpType.MultipartRequest => Multipart.MultipartCodec.ReadRequest(ref r),
        OfpType.MultipartReply => Multipart.MultipartCodec.ReadReply(ref r),
        OfpType.RoleRequest or OfpType.RoleReply => RoleMessage.Read(type == OfpType.RoleReply, ref r),
        OfpType.GetAsyncReply or OfpType.SetAsync => AsyncConfig.Read(type == OfpType.GetAsyncReply, ref r),
        OfpType.MeterMod => MeterMod.Read(ref r),
        OfpType.QueueGetConfigRequest => QueueGetConfigRequest.Read(ref r),
        OfpType.QueueGetConfigReply => QueueGetConfigReply.Read(ref r),
        _ => throw new OfpProtocolException(OfpErrorKind.BadType, $"message type {(byte)type} is not an OpenFlow 1.3 message this controller handles", 1),
    };
}

/// <summary>Dispatch of OFPT_EXPERIMENTER messages by experimenter id and type.</summary>
internal static class ExperimenterCodec
{
    public static OfpMessage Read(ref OfpReader r)
    {
        uint experimenter = r.ReadU32("experimenter");
        uint expType = r.ReadU32("exp_type");
        if (experimenter == Actions.ActionCodec.NiciraVendor && expType is NxPacketIn2.PacketIn2Subtype or NxPacketIn2.ResumeSubtype) return NxPacketIn2.Read(expType, ref r);
        if (experimenter == Bundles.Bundle.OnfExperimenter && expType == Bundles.Bundle.ControlExpType) return Bundles.BundleControl.Read(ref r);
        if (experimenter == Bundles.Bundle.OnfExperimenter && expType == Bundles.Bundle.AddMessageExpType) return Bundles.BundleAdd.Read(ref r);
        if (experimenter == Actions.ActionCodec.NiciraVendor && Nicira.NiciraCodec.TryRead(expType, ref r) is { } nx) return nx;
        if (experimenter == Actions.ActionCodec.OnfVendor && Multipart.FlowMonitor.TryReadMessage(expType, ref r) is { } fm) return fm;
        return new ExperimenterMessage(experimenter, expType, new Bytes(r.ReadMemory(r.Remaining)));
    }
}
