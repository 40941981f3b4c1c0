using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.OpenFlow.Text;

/// <summary>Text of PACKET_IN / PACKET_OUT as ofp-print prints them (lib/ofp-packet.c).</summary>
internal static class PacketText
{
    public static void FormatPacketIn(StringBuilder s, PacketIn p)
    {
        s.Append(" table_id=").Append(p.TableId);
        s.Append(" cookie=0x").Append(p.Cookie.ToString("x"));
        s.Append(" total_len=").Append(p.TotalLength).Append(' ');
        MatchFormatter.Format(s, p.Match, MatchFormatter.DefaultPriority);
        s.Append(" (via ").Append(p.Reason switch
        {
            PacketInReason.NoMatch => "no_match",
            PacketInReason.Action => "action",
            PacketInReason.InvalidTtl => "invalid_ttl",
            _ => ((byte)p.Reason).ToString(),
        }).Append(')');
        s.Append(" data_len=").Append(p.Data.Length);
        if (p.BufferId == FlowMod.NoBuffer) s.Append(" (unbuffered)");
        else s.Append(" buffer=0x").Append(p.BufferId.ToString("x8"));
        s.Append('\n');
    }

    public static void FormatPacketOut(StringBuilder s, PacketOut p)
    {
        s.Append(" in_port=").Append(OfctlFormat.Port(p.InPort));
        s.Append(" actions=");
        OfpAction.FormatList(s, p.Actions);
        if (p.BufferId == FlowMod.NoBuffer)
        {
            s.Append(" data_len=").Append(p.Data.Length);
        }
        else
        {
            s.Append(" buffer=0x").Append(p.BufferId.ToString("x8"));
        }
    }
}
