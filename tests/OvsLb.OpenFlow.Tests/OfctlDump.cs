using System.Globalization;
using OvsLb.Testing;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// What <c>ovs-ofctl -mmmmm parse-flow|parse-group</c> prints for one message, read back: its text (the header line and
/// body, up to the hex dump) and the dump's bytes (OVS's own encoding), for byte-equality tests against our encoder.
/// </summary>
internal static class OfctlDump
{
    /// <summary>
    /// Runs <c>ovs-ofctl -O VERSION -mmmmm COMMAND ARGUMENT</c> and returns the text and bytes of the first message whose
    /// header line starts with <paramref name="header"/> (e.g. <c>OFPT_FLOW_MOD</c>).
    /// </summary>
    public static (string Text, byte[] Bytes) Read(string version, string command, string argument, string header)
    {
        var r = ProcessRunner.Run("ovs-ofctl", ["-O", version, "-mmmmm", command, argument]).EnsureSuccess();
        var lines = r.Stdout.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith(header, StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), r.Stdout);
        var text = new List<string>();
        var bytes = new List<byte>();
        foreach (var line in lines.Skip(start))
        {
            // Hex dump lines: "00000010  00 e0 00 00 ff ff ff ff-00 38 00 20 00 00 00 01 |...|".
            if (line.Length > 10 && line[8] == ' ' && line[9] == ' ' && uint.TryParse(line[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _))
            {
                foreach (var tok in line[10..Math.Min(line.Length, 58)].Replace('-', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    bytes.Add(byte.Parse(tok, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
            else if (bytes.Count == 0 && line.Length > 0)
            {
                text.Add(line);
            }
        }
        return (string.Join('\n', text), bytes.ToArray());
    }
}
