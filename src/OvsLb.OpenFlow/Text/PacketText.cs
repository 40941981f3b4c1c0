using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// Text of PACKET_IN / PACKET_OUT as ofp-print prints them at its default verbosity
/// (ofputil_packet_in_private_format and ofputil_packet_out_format in lib/ofp-packet.c): the
/// message fields on the first line, then the frame's flow and checksum (<see cref="PacketFlowText"/>).
/// </summary>
internal static class PacketText
{
    public static void FormatPacketIn(StringBuilder s, PacketIn p)
    {
        FormatPacketInLine(s, p.TableId, p.Cookie, p.TotalLength, p.Match, (byte)p.Reason, p.Data.Length, p.BufferId);
        PacketFlowText.Format(s, p.Data.Span);
    }

    /// <summary>
    /// The first line of ofputil_packet_in_private_format, shared by OFPT_PACKET_IN and NXT_PACKET_IN2:
    /// table, cookie, total_len, the metadata match, reason, data length and buffer; ends with a newline.
    /// </summary>
    public static void FormatPacketInLine(StringBuilder s, byte tableId, ulong cookie, uint totalLength, Match.OfpMatch metadata, byte reason, int dataLength, uint bufferId)
    {
        if (tableId != 0) s.Append(" table_id=").Append(tableId.ToString(CultureInfo.InvariantCulture));
        if (cookie != ulong.MaxValue) s.Append(" cookie=0x").Append(cookie.ToString("x", CultureInfo.InvariantCulture));
        s.Append(" total_len=").Append(totalLength).Append(' ');
        MatchFormatter.Format(s, metadata, MatchFormatter.DefaultPriority);
        s.Append(" (via ").Append(ReasonText(reason)).Append(')');
        s.Append(" data_len=").Append(dataLength);
        if (bufferId == FlowMod.NoBuffer)
        {
            s.Append(" (unbuffered)");
            if (totalLength != dataLength) s.Append(" (***total_len != data_len***)");
        }
        else
        {
            s.Append(" buffer=0x").Append(bufferId.ToString("x8", CultureInfo.InvariantCulture));
            if (totalLength < dataLength) s.Append(" (***total_len < data_len***)");
        }
        s.Append('\n');
    }

    /// <summary>ofputil_packet_in_reason_to_string; OVS's internal miss reasons 6 and 7 print as nothing.</summary>
    private static string ReasonText(byte reason) => reason switch
    {
        0 => "no_match",
        1 => "action",
        2 => "invalid_ttl",
        3 => "action_set",
        4 => "group",
        5 => "packet_out",
        6 or 7 => "",
        _ => reason.ToString(CultureInfo.InvariantCulture),
    };

    public static void FormatPacketOut(StringBuilder s, PacketOut p)
    {
        s.Append(" in_port=").Append(OfctlFormat.Port(p.InPort));
        s.Append(" actions=");
        OfpAction.FormatList(s, p.Actions);
        if (p.BufferId == FlowMod.NoBuffer)
        {
            s.Append(" data_len=").Append(p.Data.Length);
            if (p.Data.Length > 0)
            {
                s.Append('\n');
                PacketFlowText.Format(s, p.Data.Span);
            }
        }
        else
        {
            s.Append(" buffer=0x").Append(p.BufferId.ToString("x8", CultureInfo.InvariantCulture));
        }
    }
}
