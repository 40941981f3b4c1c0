using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_REG_LOAD2 (33): set_field as a Nicira action, with an optional mask (OpenFlow 1.3's
/// set_field has none). OVS decodes it into a set_field and prints it as one:
/// <c>set_field:0x5/0xff-&gt;reg0</c> (no <c>/MASK</c> when the mask is all ones).
/// <code>
/// struct ext_action_header { be16 type, len; be32 vendor; be16 subtype /* 33 */; };
/// /* then one NXM/OXM entry (header, value, optional mask) and zero padding to 8 */
/// </code>
/// The field checks (known, exact length, writable, prerequisites) are the set_field ones, see
/// <see cref="ActionChecks"/>.
/// </summary>
public sealed record RegLoad2Action(OxmEntry Field) : OfpAction
{
    public override int WireLength => Pad.To8(NxWire.HeaderLength + Field.WireLength);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.RegLoad2);
        Field.Write(ref w);
        w.PadTo8(start);
    }

    /// <summary>
    /// decode_NXAST_RAW_REG_LOAD2 (lib/ofp-actions.c). Bytes after the entry other than 0-7 zero
    /// bytes keep the action whole as a <see cref="RawAction"/>, so it re-encodes unchanged.
    /// </summary>
    internal static OfpAction Read(ref OfpReader r, ReadOnlyMemory<byte> whole)
    {
        return OxmEntry.ReadPadded(ref r) is OxmEntry e ? new RegLoad2Action(e) : new RawAction(new Bytes(whole));
    }

    /// <summary>format_SET_FIELD for a set_field that did not come from NXAST_REG_LOAD.</summary>
    public override void Format(StringBuilder s) => new SetFieldAction(Field).Format(s);
}
