using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_NOTE (8): does nothing; carries opaque bytes with a flow (the controller tags its flows with
/// it). The note is everything after the subtype, so the padding the encoder adds to reach a multiple
/// of 8 becomes part of the note: <c>note:01.02.03</c> reads back as <c>note:01.02.03.00.00.00</c>.
/// <code>
/// struct nx_action_note {
///     ovs_be16 type, len;    /* 0xffff, multiple of 8, >= 16 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 8 */
///     uint8_t note[6];       /* len - 10 bytes of note */
/// };
/// </code>
/// Prints (format_NOTE) <c>note:</c> and the bytes as dot-separated hex pairs.
/// </summary>
public sealed record NoteAction(Bytes Data) : OfpAction
{
    /// <summary>
    /// The note as ovs-ofctl encodes <c>note:HEX</c>: the bytes followed by zeros up to the next
    /// action boundary (at least 6 bytes). Equal to what decoding the action gives back.
    /// </summary>
    public static NoteAction Of(ReadOnlySpan<byte> note)
    {
        int len = Math.Max(16, Pad.To8(NxWire.HeaderLength + note.Length));
        var data = new byte[len - NxWire.HeaderLength];
        note.CopyTo(data);
        return new NoteAction(data);
    }

    public override int WireLength => Pad.To8(NxWire.HeaderLength + Data.Length);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.Note);
        w.WriteBytes(Data.Span);
        w.PadTo8(start);
    }

    internal static NoteAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectMinLength(r, 16, "note", at);
        return new NoteAction(new Bytes(r.ReadMemory(r.Remaining, "note")));
    }

    public override void Format(StringBuilder s) => s.Append("note:").Append(OfctlFormat.HexArg(Data.Span));
}
