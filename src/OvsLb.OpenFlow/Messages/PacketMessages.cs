using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

public enum PacketInReason : byte { NoMatch = 0, Action = 1, InvalidTtl = 2 }

/// <summary>
/// OFPT_PACKET_IN (OpenFlow 1.3.5 §7.4.1). <see cref="Data"/> is a slice of the received bytes, not
/// a copy: handle the packet (or <see cref="Bytes.Copy"/> it) before the receive buffer is released.
/// <code>
/// struct ofp_packet_in {
///     struct ofp_header header;
///     uint32_t buffer_id; uint16_t total_len; uint8_t reason; uint8_t table_id;
///     uint64_t cookie;
///     struct ofp_match match;     /* padded to 8 */
///     uint8_t pad[2];
///     uint8_t data[];             /* Ethernet frame */
/// };
/// </code>
/// </summary>
public sealed record PacketIn : OfpMessage
{
    public uint BufferId { get; init; } = FlowMod.NoBuffer;
    public ushort TotalLength { get; init; }
    public PacketInReason Reason { get; init; }
    public byte TableId { get; init; }
    public ulong Cookie { get; init; }
    public OfpMatch Match { get; init; } = OfpMatch.Any;
    public Bytes Data { get; init; }

    public override OfpType Type => OfpType.PacketIn;
    public override string OvsName => "OFPT_PACKET_IN";
    public override int BodyLength => 16 + Match.WireLength + 2 + Data.Length;

    /// <summary>The ingress port from the match (OXM_OF_IN_PORT), or 0 when absent.</summary>
    public uint InPort => Match.Find(MfId.InPortOxm) is { } e ? (uint)e.Value : 0;

    /// <summary>The frame's headers (allocation-free; never throws on short or garbled data).</summary>
    public ParsedPacket ParsePacket() => ParsedPacket.Parse(Data.Span);

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(BufferId);
        w.WriteU16(TotalLength);
        w.WriteU8((byte)Reason);
        w.WriteU8(TableId);
        w.WriteU64(Cookie);
        Match.Write(ref w);
        w.WriteZeros(2);
        w.WriteBytes(Data.Span);
    }

    internal static PacketIn Read(ref OfpReader r)
    {
        uint bufferId = r.ReadU32("buffer_id");
        ushort totalLength = r.ReadU16("total_len");
        var reason = (PacketInReason)r.ReadU8("reason");
        byte tableId = r.ReadU8("table_id");
        ulong cookie = r.ReadU64("cookie");
        var match = OfpMatch.Read(ref r);
        r.Skip(2, "packet-in padding");
        return new PacketIn
        {
            BufferId = bufferId,
            TotalLength = totalLength,
            Reason = reason,
            TableId = tableId,
            Cookie = cookie,
            Match = match,
            Data = new Bytes(r.ReadMemory(r.Remaining)),
        };
    }

    public override void FormatBody(StringBuilder s) => PacketText.FormatPacketIn(s, this);
}

/// <summary>
/// OFPT_PACKET_OUT (OpenFlow 1.3.5 §7.3.7): inject a packet (e.g. the controller's ARP probes for
/// gateways) and run actions on it.
/// <code>
/// struct ofp_packet_out {
///     struct ofp_header header;
///     uint32_t buffer_id; uint32_t in_port; uint16_t actions_len; uint8_t pad[6];
///     struct ofp_action_header actions[];
///     uint8_t data[];
/// };
/// </code>
/// </summary>
public sealed record PacketOut : OfpMessage
{
    public uint BufferId { get; init; } = FlowMod.NoBuffer;
    public uint InPort { get; init; } = OfctlFormat.Ports.Controller;
    public EquatableArray<OfpAction> Actions { get; init; } = EquatableArray<OfpAction>.Empty;
    public Bytes Data { get; init; }

    public override OfpType Type => OfpType.PacketOut;
    public override string OvsName => "OFPT_PACKET_OUT";
    public override int BodyLength => 16 + OfpAction.ListLength(Actions) + Data.Length;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(BufferId);
        w.WriteU32(InPort);
        w.WriteU16((ushort)OfpAction.ListLength(Actions));
        w.WriteZeros(6);
        OfpAction.WriteList(ref w, Actions);
        w.WriteBytes(Data.Span);
    }

    internal static PacketOut Read(ref OfpReader r)
    {
        uint buffer = r.ReadU32("buffer_id");
        uint inPort = r.ReadU32("in_port");
        int at = r.AbsolutePosition;
        ushort actionsLen = r.ReadU16("actions_len");
        r.Skip(6);
        if (actionsLen > r.Remaining) throw new OfpProtocolException(OfpErrorKind.BadLength, $"packet-out actions_len {actionsLen} overruns the message", at);
        var actions = ActionCodec.ReadList(ref r, actionsLen);
        return new PacketOut { BufferId = buffer, InPort = inPort, Actions = actions, Data = new Bytes(r.ReadMemory(r.Remaining)) };
    }

    /// <summary>The error ofputil_decode_packet_out answers for this PACKET_OUT, or null.</summary>
    public string? CheckError() =>
        !OfpPrinter.IsOvsPort(InPort) ? "OFPBAC_BAD_OUT_PORT"
        : ActionChecks.DecodeError(Actions)
        ?? (InPort >= 0xff00 && InPort is not (OfctlFormat.Ports.Local or OfctlFormat.Ports.Any or OfctlFormat.Ports.Controller) ? "OFPBRC_BAD_PORT" : null);

    /// <summary>
    /// ofputil_packet_out_format; a PACKET_OUT whose actions OVS refuses to decode
    /// (ofputil_decode_packet_out: in_port, the actions (see <see cref="ActionChecks"/>), then an in_port
    /// other than a physical port, LOCAL, CONTROLLER or ANY) prints
    /// as ofp-print's decode error.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (CheckError() is { } error)
        {
            OfpPrinter.DecodeError(s, this, error);
            return;
        }
        PacketText.FormatPacketOut(s, this);
    }
}
