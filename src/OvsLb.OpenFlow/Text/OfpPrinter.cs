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
        if (UnknownToOvs(m) is { } rawError)
        {
            // ofp_to_string could not even name the message: no header line.
            s.Append("***decode error: ").Append(rawError).Append("***\n");
            HexDump(s, OfpEncoder.ToArray(m));
            return s.ToString().TrimEnd('\n');
        }
        s.Append(m.OvsName).Append(VersionText(m.Version)).Append(" (xid=0x").Append(m.Xid.ToString("x")).Append("):");
        m.FormatBody(s);
        while (s.Length > 0 && (s[^1] == ' ' || s[^1] == '\n')) s.Length--;
        return s.ToString();
    }

    /// <summary>
    /// For the messages this codec keeps generically (an experimenter message or experimenter multipart
    /// it does not interpret): the error OVS's message identification (ofpraw_decode) gives when it
    /// does not know the experimenter id (OFPBRC_BAD_VENDOR) or its type (OFPBRC_BAD_SUBTYPE), else null.
    /// </summary>
    private static string? UnknownToOvs(OfpMessage m)
    {
        if (m is not (ExperimenterMessage or Messages.Multipart.RawMultipartRequest or Messages.Multipart.RawMultipartReply)) return null;
        return OfpRawNames.Lookup(OfpEncoder.ToArray(m), out var error) is null ? error : null;
    }

    /// <summary>ofp_print_version: nothing for OpenFlow 1.0, " (OF1.x)" for 1.1-1.5, " (OF 0x..)" otherwise.</summary>
    internal static string VersionText(byte v) => v switch
    {
        1 => "", 2 => " (OF1.1)", 3 => " (OF1.2)", 4 => " (OF1.3)", 5 => " (OF1.4)", 6 => " (OF1.5)",
        _ => $" (OF 0x{v:x2})",
    };

    private static void Header(StringBuilder s, string name, ReadOnlySpan<byte> msg) =>
        s.Append(name).Append(VersionText(msg[0])).Append(" (xid=0x").Append(BinaryPrimitives.ReadUInt32BigEndian(msg[4..]).ToString("x")).Append("):");

    /// <summary>The OVS error name ofp-print shows for a message this codec could not decode.</summary>
    public static string ErrorName(OfpProtocolException e)
    {
        if (e.ErrorName is { } name) return name;
        var (type, code) = e.OpenFlowError;
        return ErrorNames.Name(type, code);
    }

    /// <summary>
    /// What ofp_to_string prints when a message's body fails OVS's decoder after its header was recognized:
    /// " ***decode error: NAME***" and a hex dump of the whole message. Messages whose bytes this codec
    /// keeps but OVS rejects (a GROUP_MOD OVS's checks refuse, a bundle add with differing xids) call this
    /// from <see cref="OfpMessage.FormatBody"/> so their text still equals ofp-print's.
    /// </summary>
    internal static void DecodeError(StringBuilder s, OfpMessage m, string errorName)
    {
        s.Append(" ***decode error: ").Append(errorName).Append("***\n");
        HexDump(s, OfpEncoder.ToArray(m));
    }

    /// <summary>
    /// The decode error ofp_to_string prints when a body's formatter fails after it may already have
    /// printed part of the body (entries before the bad one): with nothing printed since
    /// <paramref name="bodyStart"/> it is <see cref="DecodeError(StringBuilder, OfpMessage, string)"/>;
    /// otherwise (even if only a space was printed) trailing spaces are dropped, the line is ended and
    /// <c>***decode error: NAME***</c> and the hex dump follow on their own lines.
    /// </summary>
    internal static void DecodeError(StringBuilder s, int bodyStart, OfpMessage m, string errorName)
    {
        if (s.Length <= bodyStart)
        {
            DecodeError(s, m, errorName);
            return;
        }
        while (s.Length > 0 && s[^1] == ' ') s.Length--;
        if (s.Length > 0 && s[^1] != '\n') s.Append('\n');
        s.Append("***decode error: ").Append(errorName).Append("***\n");
        HexDump(s, OfpEncoder.ToArray(m));
    }

    /// <summary>
    /// ofputil_port_from_ofp11's check: an OpenFlow 1.1+ port is either below OFPP_MAX (0xff00) or a
    /// reserved port (0xffffff00 and up); OVS rejects the numbers in between with OFPBAC_BAD_OUT_PORT.
    /// </summary>
    internal static bool IsOvsPort(uint port) => port < 0xff00 || port >= 0xffffff00;

    /// <summary>
    /// Prints raw bytes the way ofp_to_string (lib/ofp-print.c) does at <paramref name="verbosity"/>
    /// (ofperr_msg_format uses 1 for the request inside an OFPT_ERROR): the decoded message; for a
    /// truncated message its header line (when the headers identify it), a truncation notice and a hex
    /// dump; for an undecodable one the decode error and a hex dump. Ends with a newline.
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
            if (OfpRawNames.Lookup(span, out _) is { } partial)
            {
                Header(s, partial.Name, span);
                s.Append('\n');
            }
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
        var raw = OfpRawNames.Lookup(span, out var rawError);
        if (raw is { } r) rawError = OfpRawNames.CheckLength(r, span[0], span.Length);
        if (raw is not { } entry || rawError is not null)
        {
            s.Append("***decode error: ").Append(rawError).Append("***\n");
            HexDump(s, span);
            return s.ToString();
        }
        byte version = span[0], type = span[1];
        if (entry.Kind == RawKind.T && type is 2 or 3)
        {
            // ofp_print_echo, any version: the payload is dumped only above verbosity 1.
            Header(s, entry.Name, span);
            s.Append(' ').Append(span.Length - 8).Append(" bytes of payload\n");
            if (verbosity > 1) HexDump(s, span[8..]);
            return s.ToString();
        }
        if (version != OfpMessage.Version13 && type is not 0 and not 1)
        {
            // Other versions: only messages without a body print the same whatever the version.
            Header(s, entry.Name, span);
            if (span.Length == 8 && IsBodyless(entry.Name)) return s.Append('\n').ToString();
            s.Append(" ***decode error: OFPBRC_BAD_VERSION***\n");
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
            Header(s, entry.Name, span);
            s.Append(" ***decode error: ").Append(ErrorName(e)).Append("***\n");
            HexDump(s, span);
        }
        return s.ToString();
    }

    private static bool IsBodyless(string name) => name is "OFPT_FEATURES_REQUEST" or "OFPT_GET_CONFIG_REQUEST"
        or "OFPT_BARRIER_REQUEST" or "OFPT_BARRIER_REPLY" or "OFPT_GET_ASYNC_REQUEST";

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
