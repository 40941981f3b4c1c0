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
        if (p.TableId != 0) s.Append(" table_id=").Append(p.TableId.ToString(CultureInfo.InvariantCulture));
        if (p.Cookie != ulong.MaxValue) s.Append(" cookie=0x").Append(p.Cookie.ToString("x", CultureInfo.InvariantCulture));
        s.Append(" total_len=").Append(p.TotalLength).Append(' ');
        MatchFormatter.Format(s, p.Match, MatchFormatter.DefaultPriority);
        s.Append(" (via ").Append(ReasonText((byte)p.Reason)).Append(')');
        s.Append(" data_len=").Append(p.Data.Length);
        if (p.BufferId == FlowMod.NoBuffer)
        {
            s.Append(" (unbuffered)");
            if (p.TotalLength != p.Data.Length) s.Append(" (***total_len != data_len***)");
        }
        else
        {
            s.Append(" buffer=0x").Append(p.BufferId.ToString("x8", CultureInfo.InvariantCulture));
            if (p.TotalLength < p.Data.Length) s.Append(" (***total_len < data_len***)");
        }
        s.Append('\n');
        PacketFlowText.Format(s, p.Data.Span);
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
