using System.Buffers.Binary;
using System.Text;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// ovs-ofctl ofp-print for this codec: the message header line
/// (<c>OFPT_FLOW_MOD (OF1.3) (xid=0x1):</c>) followed by the body text (ofp_to_string in lib/ofp-print.c).
/// </summary>
public static class OfpPrinter
{
    /// <summary>The text ofp-print shows for a decoded message, without a trailing newline.</summary>
    public static string Print(OfpMessage m)
    {
        var s = new StringBuilder();
        s.Append(m.OvsName).Append(VersionText(m.Version)).Append(" (xid=0x").Append(m.Xid.ToString("x")).Append("):");
        m.FormatBody(s);
        while (s.Length > 0 && (s[^1] == ' ' || s[^1] == '\n')) s.Length--;
        return s.ToString();
    }

    private static string VersionText(byte v) => v switch
    {
        1 => " (OF1.0)", 2 => " (OF1.1)", 3 => " (OF1.2)", 4 => " (OF1.3)", 5 => " (OF1.4)", 6 => " (OF1.5)",
        _ => $" (OF 0x{v:x2})",
    };

    /// <summary>
    /// Decodes and prints raw bytes the way ofp_to_string does: a message, a truncation notice with a
    /// hex dump, or the decode error with a hex dump. Ends with a newline.
    /// </summary>
    public static string PrintBytes(ReadOnlyMemory<byte> bytes, int verbosity = 1)
    {
        var s = new StringBuilder();
        var span = bytes.Span;
        if (span.Length == 0) return "OpenFlow message is empty\n";
        if (span.Length < 8)
        {
            s.Append("OpenFlow packet too short (only ").Append(span.Length).Append(" bytes):\n");
            HexDump(s, span);
            return s.ToString();
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        if (length > span.Length)
        {
            s.Append("(***truncated to ").Append(span.Length).Append(" bytes from ").Append(length).Append("***)\n");
            HexDump(s, span);
            return s.ToString();
        }
        if (length < span.Length)
        {
            s.Append("(***only uses ").Append(length).Append(" bytes out of ").Append(span.Length).Append("***)\n");
            HexDump(s, span);
            return s.ToString();
        }
        try
        {
            s.Append(Print(OfpDecoder.Decode(bytes))).Append('\n');
            if (verbosity >= 5) HexDump(s, span);
        }
        catch (OfpProtocolException e)
        {
            s.Append("***decode error: ").Append(e.Message).Append("***\n");
            HexDump(s, span);
        }
        return s.ToString();
    }

    /// <summary>ds_put_hex_dump with ASCII column, 16 bytes a line.</summary>
    public static void HexDump(StringBuilder s, ReadOnlySpan<byte> buf)
    {
        for (int ofs = 0; ofs < buf.Length; ofs += 16)
        {
            int n = Math.Min(16, buf.Length - ofs);
            s.Append(ofs.ToString("x8")).Append("  ");
            for (int i = 0; i < n; i++) s.Append(buf[ofs + i].ToString("x2")).Append(i == 7 ? '-' : ' ');
            for (int i = n; i < 16; i++) s.Append("   ");
            s.Append('|');
            for (int i = 0; i < n; i++) s.Append(buf[ofs + i] is >= 32 and < 127 ? (char)buf[ofs + i] : '.');
            for (int i = n; i < 16; i++) s.Append(' ');
            s.Append("|\n");
        }
    }
}
