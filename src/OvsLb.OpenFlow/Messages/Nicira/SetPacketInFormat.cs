using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Nicira;

/// <summary>Packet-in formats (enum ofputil_packet_in_format, the values NXT_SET_PACKET_IN_FORMAT carries).</summary>
public enum PacketInFormat : uint
{
    /// <summary>OFPT_PACKET_IN of the connection's OpenFlow version (the default).</summary>
    Standard = 0,
    /// <summary>NXT_PACKET_IN (Nicira, NXM match).</summary>
    NxtPacketIn = 1,
    /// <summary>NXT_PACKET_IN2 (property based; carries userdata and continuations).</summary>
    NxtPacketIn2 = 2,
}

/// <summary>
/// NXT_SET_PACKET_IN_FORMAT (Nicira subtype 16): chooses the packet-in message format the switch
/// sends on this connection. A controller that uses <c>controller(userdata=..)</c> or <c>pause</c>
/// must ask for <see cref="PacketInFormat.NxtPacketIn2"/>; OVS drops both from standard packet-ins.
/// <code>
/// struct nx_set_packet_in_format {
///     struct nicira_header nxh;  /* subtype 16 */
///     uint32_t format;           /* enum ofputil_packet_in_format */
/// };                             /* 20 bytes */
/// </code>
/// </summary>
public sealed record SetPacketInFormat(PacketInFormat Format) : NiciraMessage
{
    public override uint Subtype => NiciraCodec.SetPacketInFormat;
    public override string OvsName => "NXT_SET_PACKET_IN_FORMAT";
    internal override int PayloadLength => 4;
    internal override void WritePayload(ref OfpWriter w) => w.WriteU32((uint)Format);

    /// <summary>Reads the 4-byte format; a value OVS does not know is kept (and printed as OVS's decode error).</summary>
    internal static SetPacketInFormat Read(ref OfpReader r) => new((PacketInFormat)r.ReadU32("packet-in format"));

    /// <summary>ofp_print_nxt_set_packet_in_format: <c> format=nxt_packet_in2</c>; OFPBRC_EPERM for an unknown format.</summary>
    public override void FormatBody(StringBuilder s)
    {
        string? name = Format switch
        {
            PacketInFormat.Standard => "standard",
            PacketInFormat.NxtPacketIn => "nxt_packet_in",
            PacketInFormat.NxtPacketIn2 => "nxt_packet_in2",
            _ => null,
        };
        if (name is null) OfpPrinter.DecodeError(s, this, "OFPBRC_EPERM");
        else s.Append(" format=").Append(name);
    }
}
