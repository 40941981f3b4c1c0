using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// One NXPINT_* property of <see cref="NxPacketIn2"/> (include/openflow/nicira-ext.h,
/// enum nx_packet_in2_prop_type). Every property is an ofp_prop_header TLV padded to 8 bytes:
/// <code>
/// struct ofp_prop_header {
///     ovs_be16 type;     /* NXPINT_* */
///     ovs_be16 len;      /* 4 + payload, excluding the zero padding to a multiple of 8 */
/// };
/// </code>
/// Properties are kept in wire order so a decoded message re-encodes byte for byte; unknown ones are
/// kept as <see cref="PacketIn2UnknownProperty"/>.
/// </summary>
public abstract record PacketIn2Property : OfpProperty;

/// <summary>NXPINT_PACKET (0): the packet (or its first bytes when truncated). Aliases the received bytes.</summary>
public sealed record PacketIn2Packet(Bytes Data) : PacketIn2Property
{
    public override ushort Type => 0;
    public override int Length => 4 + Data.Length;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Data.Span);
}

/// <summary>NXPINT_FULL_LEN (1, u32): the packet's full length when <see cref="PacketIn2Packet"/> holds only part of it.</summary>
public sealed record PacketIn2FullLength(uint Value) : PacketIn2Property
{
    public override ushort Type => 1;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU32(Value);
}

/// <summary>NXPINT_BUFFER_ID (2, u32): the switch buffer holding the packet (OVS 3.1 never buffers).</summary>
public sealed record PacketIn2BufferId(uint Value) : PacketIn2Property
{
    public override ushort Type => 2;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU32(Value);
}

/// <summary>NXPINT_TABLE_ID (3, u8): the table of the flow that sent the packet.</summary>
public sealed record PacketIn2TableId(byte Value) : PacketIn2Property
{
    public override ushort Type => 3;
    public override int Length => 5;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU8(Value);
}

/// <summary>NXPINT_COOKIE (4, be64 after 4 zero bytes, as ofpprop_put_be64 aligns it): the flow's cookie.</summary>
public sealed record PacketIn2Cookie(ulong Value) : PacketIn2Property
{
    public override ushort Type => 4;
    public override int Length => 16;
    internal override void WriteValue(ref OfpWriter w)
    {
        w.WriteU32(0);
        w.WriteU64(Value);
    }
}

/// <summary>NXPINT_REASON (5, u8): OFPR_* (0 no_match, 1 action, 2 invalid_ttl, 3 action_set, 4 group, 5 packet_out).</summary>
public sealed record PacketIn2Reason(byte Value) : PacketIn2Property
{
    public override ushort Type => 5;
    public override int Length => 5;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU8(Value);
}

/// <summary>
/// NXPINT_METADATA (6): the packet's metadata (in_port, registers, metadata, tunnel, conntrack) as OXM
/// entries without an ofp_match header.
/// </summary>
public sealed record PacketIn2Metadata(OfpMatch Match) : PacketIn2Property
{
    public override ushort Type => 6;
    public override int Length => Match.UnpaddedLength;
    internal override void WriteValue(ref OfpWriter w)
    {
        foreach (var e in Match.Fields) e.Write(ref w);
    }
}

/// <summary>NXPINT_USERDATA (7): the userdata of the controller(...) action that sent the packet.</summary>
public sealed record PacketIn2Userdata(Bytes Data) : PacketIn2Property
{
    public override ushort Type => 7;
    public override int Length => 4 + Data.Length;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Data.Span);
}

/// <summary>
/// NXPINT_CONTINUATION (8): the state of a pipeline paused by <c>controller(pause)</c>, to be sent back
/// unchanged in NXT_RESUME. Nested properties (NXCPT_*) after 4 zero bytes (ofpprop_start_nested).
/// The format is private to ovs-vswitchd; it is decoded here only to print it as ofp-print does.
/// </summary>
public sealed record PacketIn2Continuation(EquatableArray<ContinuationProperty> Properties) : PacketIn2Property
{
    public override ushort Type => 8;
    public override int Length => 8 + OfpProperty.ListLength(Properties);

    internal override void WriteValue(ref OfpWriter w)
    {
        w.WriteU32(0);
        OfpProperty.WriteList(ref w, Properties);
    }
}

/// <summary>A property this codec does not interpret (its payload kept as received; experimenter properties included).</summary>
public sealed record PacketIn2UnknownProperty(ushort PropertyType, Bytes Payload) : PacketIn2Property
{
    public override ushort Type => PropertyType;
    public override int Length => 4 + Payload.Length;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Payload.Span);
}

/// <summary>One NXCPT_* property of a <see cref="PacketIn2Continuation"/> (lib/ofp-packet.c, enum nx_continuation_prop_type).</summary>
public abstract record ContinuationProperty : OfpProperty;

/// <summary>NXCPT_BRIDGE (0x8000): the bridge's UUID, 16 bytes in ovs-vswitchd's (host) byte order.</summary>
public sealed record ContinuationBridge(Bytes Uuid) : ContinuationProperty
{
    public override ushort Type => 0x8000;
    public override int Length => 20;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Uuid.Span);
}

/// <summary>NXCPT_STACK (0x8001): one value of the push/pop stack (at most 128 bytes); the first property is the top.</summary>
public sealed record ContinuationStack(Bytes Value) : ContinuationProperty
{
    public override ushort Type => 0x8001;
    public override int Length => 4 + Value.Length;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Value.Span);
}

/// <summary>NXCPT_MIRRORS (0x8002, u32): mirrors already output to.</summary>
public sealed record ContinuationMirrors(uint Value) : ContinuationProperty
{
    public override ushort Type => 0x8002;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU32(Value);
}

/// <summary>NXCPT_CONNTRACKED (0x8003, flag): the packet went through the connection tracker.</summary>
public sealed record ContinuationConntracked : ContinuationProperty
{
    public override ushort Type => 0x8003;
    public override int Length => 4;
    internal override void WriteValue(ref OfpWriter w) { }
}

/// <summary>NXCPT_TABLE_ID (0x8004, u8): table of the rule the following <see cref="ContinuationActions"/> came from.</summary>
public sealed record ContinuationTableId(byte Value) : ContinuationProperty
{
    public override ushort Type => 0x8004;
    public override int Length => 5;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU8(Value);
}

/// <summary>NXCPT_COOKIE (0x8005, be64 after 4 zero bytes): cookie of the rule the following actions came from.</summary>
public sealed record ContinuationCookie(ulong Value) : ContinuationProperty
{
    public override ushort Type => 0x8005;
    public override int Length => 16;
    internal override void WriteValue(ref OfpWriter w)
    {
        w.WriteU32(0);
        w.WriteU64(Value);
    }
}

/// <summary>
/// NXCPT_ACTIONS (0x8006) and NXCPT_ACTION_SET (0x8007): actions still to run after the pause (one
/// property per rule being executed) and the action set, after 4 zero bytes.
/// </summary>
public sealed record ContinuationActions(bool ActionSet, EquatableArray<OfpAction> Actions) : ContinuationProperty
{
    public override ushort Type => ActionSet ? (ushort)0x8007 : (ushort)0x8006;
    public override int Length => 8 + OfpAction.ListLength(Actions);
    internal override void WriteValue(ref OfpWriter w)
    {
        w.WriteU32(0);
        OfpAction.WriteList(ref w, Actions);
    }
}

/// <summary>NXCPT_ODP_PORT (0x8008, u32): the datapath port the packet arrived on.</summary>
public sealed record ContinuationOdpPort(uint Value) : ContinuationProperty
{
    public override ushort Type => 0x8008;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU32(Value);
}

/// <summary>A continuation property this codec does not interpret, kept as received.</summary>
public sealed record ContinuationUnknown(ushort PropertyType, Bytes Payload) : ContinuationProperty
{
    public override ushort Type => PropertyType;
    public override int Length => 4 + Payload.Length;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Payload.Span);
}
