using System.Text;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions;

/// <summary>OpenFlow 1.3 action types (OpenFlow 1.3.5 §7.2.5, enum ofp_action_type).</summary>
public enum OfpActionType : ushort
{
    Output = 0,
    /// <summary>OpenFlow 1.1 style field writes, deprecated since 1.2 (use set_field); OVS still decodes them.</summary>
    SetVlanVid = 1, SetVlanPcp = 2, SetDlSrc = 3, SetDlDst = 4, SetNwSrc = 5, SetNwDst = 6, SetNwTos = 7, SetNwEcn = 8,
    SetTpSrc = 9, SetTpDst = 10, SetMplsLabel = 13, SetMplsTc = 14,
    CopyTtlOut = 11, CopyTtlIn = 12, SetMplsTtl = 15, DecMplsTtl = 16,
    PushVlan = 17, PopVlan = 18, PushMpls = 19, PopMpls = 20, SetQueue = 21, Group = 22,
    SetNwTtl = 23, DecNwTtl = 24, SetField = 25, PushPbb = 26, PopPbb = 27, Experimenter = 0xffff,
}

/// <summary>
/// An action (OpenFlow 1.3.5 §7.2.5). Every action is an immutable value that knows its wire length,
/// writes itself into a pre-sized buffer, and prints itself in ovs-ofctl syntax.
/// <code>
/// struct ofp_action_header { uint16_t type; uint16_t len; /* multiple of 8, >= 8 */ ... };
/// </code>
/// </summary>
public abstract record OfpAction
{
    /// <summary>Encoded length in bytes (a multiple of 8).</summary>
    public abstract int WireLength { get; }

    internal abstract void Write(ref OfpWriter w);

    /// <summary>Appends the action in ovs-ofctl syntax (ofpact_format in lib/ofp-actions.c).</summary>
    public abstract void Format(StringBuilder s);

    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb);
        return sb.ToString();
    }

    /// <summary>Formats a list the way ofpacts_format does: comma-separated, "drop" when empty.</summary>
    public static void FormatList(StringBuilder s, EquatableArray<OfpAction> actions)
    {
        if (actions.IsEmpty)
        {
            s.Append("drop");
            return;
        }
        for (int i = 0; i < actions.Count; i++)
        {
            if (i > 0) s.Append(',');
            actions[i].Format(s);
        }
    }

    public static int ListLength(EquatableArray<OfpAction> actions)
    {
        int n = 0;
        foreach (var a in actions) n += a.WireLength;
        return n;
    }

    /// <summary>
    /// Writes an 8-byte action: type, len 8, then the 4 argument bytes as one big-endian u32 (a u8
    /// argument sits in the top byte, a u16 in the top two, the rest being the zero padding).
    /// </summary>
    private protected static void WriteAction8(ref OfpWriter w, OfpActionType type, uint arg)
    {
        w.WriteU16((ushort)type);
        w.WriteU16(8);
        w.WriteU32(arg);
    }

    internal static void WriteList(ref OfpWriter w, EquatableArray<OfpAction> actions)
    {
        foreach (var a in actions) a.Write(ref w);
    }
}

/// <summary>
/// An action this codec does not interpret (an unknown type or experimenter subtype). Its bytes are
/// kept whole and re-encoded unchanged; it prints as <c>raw(&lt;hex&gt;)</c>.
/// </summary>
public sealed record RawAction(Bytes Data) : OfpAction
{
    public ushort Type => (ushort)((Data.Span[0] << 8) | Data.Span[1]);
    public override int WireLength => Data.Length;
    internal override void Write(ref OfpWriter w) => w.WriteBytes(Data.Span);
    public override void Format(StringBuilder s) => s.Append("raw(").Append(Data.ToString()).Append(')');
}

/// <summary>Decoding of action lists, dispatching experimenter actions by vendor.</summary>
public static class ActionCodec
{
    public const uint NiciraVendor = 0x00002320;
    public const uint OnfVendor = 0x4f4e4600;

    /// <summary>Decodes actions filling <paramref name="length"/> bytes of <paramref name="r"/>.</summary>
    public static EquatableArray<OfpAction> ReadList(ref OfpReader r, int length)
    {
        var body = r.ReadSub(length, "action list");
        if (body.End) return EquatableArray<OfpAction>.Empty;
        var list = new List<OfpAction>();
        while (!body.End) list.Add(ReadOne(ref body));
        return new EquatableArray<OfpAction>(list.ToArray());
    }

    public static OfpAction ReadOne(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        var raw = r.RestMemory;
        ushort type = r.PeekU16("action type");
        ushort len = r.PeekU16At(2, "action length");
        if (len < 8 || len % 8 != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"action type {type} has length {len} (must be a non-zero multiple of 8)", at);
        }
        if (len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"action type {type} length {len} overruns its list ({r.Remaining} bytes left)", at);
        }
        var a = r.ReadSub(len, "action");
        var bytes = raw[..len];
        a.Skip(4);
        return (OfpActionType)type switch
        {
            OfpActionType.Output => Fixed(len, 16, at, type, OutputAction.Read(ref a)),
            OfpActionType.CopyTtlOut or OfpActionType.CopyTtlIn or OfpActionType.DecMplsTtl or OfpActionType.PopVlan
                or OfpActionType.DecNwTtl or OfpActionType.PopPbb => Fixed(len, 8, at, type, new SimpleAction((OfpActionType)type)),
            OfpActionType.SetMplsTtl => Fixed(len, 8, at, type, new SetMplsTtlAction(a.ReadU8())),
            OfpActionType.SetNwTtl => Fixed(len, 8, at, type, new SetNwTtlAction(a.ReadU8())),
            OfpActionType.PushVlan or OfpActionType.PushMpls or OfpActionType.PushPbb or OfpActionType.PopMpls
                => Fixed(len, 8, at, type, new EthertypeAction((OfpActionType)type, a.ReadU16())),
            OfpActionType.SetQueue => Fixed(len, 8, at, type, new SetQueueAction(a.ReadU32())),
            OfpActionType.Group => Fixed(len, 8, at, type, new GroupAction(a.ReadU32())),
            OfpActionType.SetField => SetFieldAction.Read(ref a, bytes),
            >= OfpActionType.SetVlanVid and <= OfpActionType.SetTpDst or OfpActionType.SetMplsLabel or OfpActionType.SetMplsTc
                => LegacySetAction.Read((OfpActionType)type, bytes),
            OfpActionType.Experimenter => ReadExperimenter(ref a, bytes, at),
            _ => new RawAction(new Bytes(bytes)),
        };
    }

    private static OfpAction Fixed(int len, int expected, int at, ushort type, OfpAction a) =>
        len == expected ? a : throw new OfpProtocolException(OfpErrorKind.BadAction, $"action type {type} must be {expected} bytes, got {len}", at);

    private static OfpAction ReadExperimenter(ref OfpReader a, ReadOnlyMemory<byte> bytes, int at)
    {
        uint vendor = a.ReadU32("experimenter id");
        if (vendor == NiciraVendor)
        {
            ushort subtype = a.ReadU16("nicira subtype");
            return NiciraActions.Read(subtype, ref a, bytes, at) ?? new RawAction(new Bytes(bytes));
        }
        if (vendor == OnfVendor && a.Remaining >= 2 && a.PeekU16("onf exp_type") == CopyFieldAction.ExpType)
        {
            a.Skip(2);
            return CopyFieldAction.Read(ref a, at);
        }
        return new RawAction(new Bytes(bytes));
    }
}
