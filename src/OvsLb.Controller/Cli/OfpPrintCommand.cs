using System.Text;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Controller.Cli;

/// <summary>
/// <c>ovslb ofp-print</c>: the user's equivalent of <c>ovs-ofctl ofp-print</c>. Decodes one or more
/// back-to-back OpenFlow 1.3 messages from hex or a binary file and prints each one as ovs-ofctl does.
/// Exit code 1 when any message fails to decode (the error names what was wrong and where).
/// </summary>
public static class OfpPrintCommand
{
    /// <summary>The verbosity <c>ovs-ofctl ofp-print</c> uses when none is given.</summary>
    private const int OfctlVerbosity = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool hex = args.Contains("--hex");
        var rest = args.Where(a => a != "--hex").ToArray();
        if (rest.Length == 0)
        {
            stderr.WriteLine("ovslb ofp-print: expected hex bytes or a file name");
            return CommandLine.ExitUsage;
        }
        byte[] bytes;
        try
        {
            bytes = ReadInput(rest);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"ovslb ofp-print: {e.Message}");
            return CommandLine.ExitUsage;
        }
        return Print(bytes, hex, stdout, stderr);
    }

    private static byte[] ReadInput(string[] rest)
    {
        if (rest.Length == 1 && rest[0] == "-")
        {
            using var ms = new MemoryStream();
            Console.OpenStandardInput().CopyTo(ms);
            return ms.ToArray();
        }
        if (rest.Length == 1 && File.Exists(rest[0])) return File.ReadAllBytes(rest[0]);
        var sb = new StringBuilder();
        foreach (var a in rest)
        {
            foreach (var c in a)
            {
                if (Uri.IsHexDigit(c)) sb.Append(c);
                else if (c is not (' ' or ':' or '-' or '\n' or '\r' or '\t' or '.'))
                {
                    throw new FormatException($"'{a}' is neither an existing file nor hex bytes (bad character '{c}')");
                }
            }
        }
        if (sb.Length % 2 != 0) throw new FormatException($"odd number of hex digits ({sb.Length})");
        return Convert.FromHexString(sb.ToString());
    }

    private static int Print(byte[] bytes, bool hex, TextWriter stdout, TextWriter stderr)
    {
        var framer = new OfpFramer();
        int errors = 0, pos = 0;
        while (pos < bytes.Length)
        {
            var remaining = new ReadOnlyMemory<byte>(bytes, pos, bytes.Length - pos);
            var seq = new System.Buffers.ReadOnlySequence<byte>(remaining);
            ReadOnlyMemory<byte> msg;
            try
            {
                if (!framer.TryReadMessage(ref seq, out var m))
                {
                    // Too short for its header length: let the printer say so, like ovs-ofctl.
                    stdout.Write(OfpPrinter.PrintBytes(remaining));
                    stderr.WriteLine($"ovslb ofp-print: message at byte {pos} is truncated");
                    return CommandLine.ExitError;
                }
                msg = remaining[..(int)m.Length];
            }
            catch (OfpProtocolException e)
            {
                stderr.WriteLine($"ovslb ofp-print: message at byte {pos}: {e.Message}");
                var dump = new StringBuilder();
                OfpPrinter.HexDump(dump, remaining.Span);
                stdout.Write(dump);
                return CommandLine.ExitError;
            }
            // The text is ofp_to_string's at ovs-ofctl ofp-print's verbosity (2): OVS's message
            // identification (unknown experimenters etc.), then the body or OVS's decode error.
            stdout.Write(OfpPrinter.PrintBytes(msg, OfctlVerbosity));
            try
            {
                var decoded = OfpDecoder.Decode(msg);
                if (hex)
                {
                    var dump = new StringBuilder();
                    OfpPrinter.HexDump(dump, OfpEncoder.ToArray(decoded));
                    stdout.Write(dump);
                }
            }
            catch (OfpProtocolException e)
            {
                // ofp-print printed the decode error and hex dump; say why on stderr.
                errors++;
                stderr.WriteLine($"ovslb ofp-print: message at byte {pos}: {e.Message}");
            }
            pos += msg.Length;
        }
        return errors == 0 ? CommandLine.ExitOk : CommandLine.ExitError;
    }
}
