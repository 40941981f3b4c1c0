using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Instructions;

/// <summary>OpenFlow 1.3 instruction types (OpenFlow 1.3.5 §7.2.4).</summary>
public enum OfpInstructionType : ushort
{
    GotoTable = 1, WriteMetadata = 2, WriteActions = 3, ApplyActions = 4, ClearActions = 5, Meter = 6, Experimenter = 0xffff,
}

/// <summary>
/// An instruction (§7.2.4). OVS prints a flow's instructions as one comma-separated list in the fixed
/// order meter, apply-actions (bare), clear_actions, write_actions(...), write_metadata, goto_table.
/// <code>
/// struct ofp_instruction { uint16_t type; uint16_t len; /* ... */ };
/// </code>
/// </summary>
public abstract record OfpInstruction
{
    public abstract OfpInstructionType Type { get; }
    public abstract int WireLength { get; }
    internal abstract void Write(ref OfpWriter w);
    public abstract void Format(StringBuilder s);

    /// <summary>Canonical position, the order OVS decodes and prints instructions in.</summary>
    public int Order => Type switch
    {
        OfpInstructionType.Meter => 0,
        OfpInstructionType.ApplyActions => 1,
        OfpInstructionType.ClearActions => 2,
        OfpInstructionType.WriteActions => 3,
        OfpInstructionType.WriteMetadata => 4,
        OfpInstructionType.GotoTable => 5,
        _ => 6,
    };

    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb);
        return sb.ToString();
    }

    public static int ListLength(EquatableArray<OfpInstruction> list)
    {
        int n = 0;
        foreach (var i in list) n += i.WireLength;
        return n;
    }

    internal static void WriteList(ref OfpWriter w, EquatableArray<OfpInstruction> list)
    {
        foreach (var i in list) i.Write(ref w);
    }

    /// <summary>Prints the instructions as ovs-ofctl's <c>actions=</c> value ("drop" when nothing is printed).</summary>
    public static void FormatList(StringBuilder s, EquatableArray<OfpInstruction> list)
    {
        var sorted = list.AsSpan().ToArray();
        Array.Sort(sorted, (a, b) => a.Order.CompareTo(b.Order));
        int start = s.Length;
        foreach (var i in sorted)
        {
            if (i is ApplyActionsInstruction { Actions.IsEmpty: true }) continue;
            if (s.Length > start) s.Append(',');
            i.Format(s);
        }
        if (s.Length == start) s.Append("drop");
    }

    /// <summary>Decodes instructions filling <paramref name="length"/> bytes.</summary>
    public static EquatableArray<OfpInstruction> ReadList(ref OfpReader r, int length)
    {
        var body = r.ReadSub(length, "instructions");
        if (body.End) return EquatableArray<OfpInstruction>.Empty;
        var list = new List<OfpInstruction>();
        while (!body.End) list.Add(ReadOne(ref body));
        return new EquatableArray<OfpInstruction>(list.ToArray());
    }

    private static OfpInstruction ReadOne(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        var raw = r.RestMemory;
        ushort type = r.PeekU16("instruction type");
        ushort len = r.PeekU16At(2, "instruction length");
        if (len < 8 || len % 8 != 0 || len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadInstruction, $"instruction type {type} has bad length {len} ({r.Remaining} bytes left)", at);
        }
        var b = r.ReadSub(len, "instruction");
        b.Skip(4);
        OfpInstruction Fixed(int expected, OfpInstruction i) => len == expected ? i
            : throw new OfpProtocolException(OfpErrorKind.BadInstruction, $"instruction type {type} must be {expected} bytes, got {len}", at);
        switch ((OfpInstructionType)type)
        {
            case OfpInstructionType.GotoTable:
                return Fixed(8, new GotoTableInstruction(b.ReadU8()));
            case OfpInstructionType.WriteMetadata:
                b.Skip(4);
                return Fixed(24, new WriteMetadataInstruction(b.ReadU64(), b.ReadU64()));
            case OfpInstructionType.WriteActions:
                b.Skip(4);
                return new WriteActionsInstruction(ActionCodec.ReadList(ref b, b.Remaining));
            case OfpInstructionType.ApplyActions:
                b.Skip(4);
                return new ApplyActionsInstruction(ActionCodec.ReadList(ref b, b.Remaining));
            case OfpInstructionType.ClearActions:
                return Fixed(8, new ClearActionsInstruction());
            case OfpInstructionType.Meter:
                return Fixed(8, new MeterInstruction(b.ReadU32()));
            default:
                return new RawInstruction(new Bytes(raw[..len]));
        }
    }
}

/// <summary>OFPIT_GOTO_TABLE: continue the pipeline at a later table. Prints <c>goto_table:N</c>.</summary>
public sealed record GotoTableInstruction(byte TableId) : OfpInstruction
{
    public override OfpInstructionType Type => OfpInstructionType.GotoTable;
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16(1);
        w.WriteU16(8);
        w.WriteU8(TableId);
        w.WriteZeros(3);
    }

    public override void Format(StringBuilder s) => s.Append("goto_table:").Append(TableId);
}

/// <summary>OFPIT_WRITE_METADATA. Prints <c>write_metadata:0x1/0xff</c>.</summary>
public sealed record WriteMetadataInstruction(ulong Metadata, ulong Mask) : OfpInstruction
{
    public override OfpInstructionType Type => OfpInstructionType.WriteMetadata;
    public override int WireLength => 24;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16(2);
        w.WriteU16(24);
        w.WriteZeros(4);
        w.WriteU64(Metadata);
        w.WriteU64(Mask);
    }

    public override void Format(StringBuilder s)
    {
        s.Append("write_metadata:").Append(OfctlFormat.AltHex(Metadata));
        if (Mask != ulong.MaxValue) s.Append('/').Append(OfctlFormat.AltHex(Mask));
    }
}

/// <summary>Base of OFPIT_WRITE_ACTIONS and OFPIT_APPLY_ACTIONS (8-byte header, then actions).</summary>
public abstract record ActionsInstruction(EquatableArray<OfpAction> Actions) : OfpInstruction
{
    public override int WireLength => 8 + OfpAction.ListLength(Actions);

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16((ushort)Type);
        w.WriteU16((ushort)WireLength);
        w.WriteZeros(4);
        OfpAction.WriteList(ref w, Actions);
    }
}

/// <summary>OFPIT_APPLY_ACTIONS: run the actions now. OVS prints them bare after <c>actions=</c>.</summary>
public sealed record ApplyActionsInstruction(EquatableArray<OfpAction> Actions) : ActionsInstruction(Actions)
{
    public ApplyActionsInstruction(params OfpAction[] actions) : this(new EquatableArray<OfpAction>(actions)) { }
    public override OfpInstructionType Type => OfpInstructionType.ApplyActions;
    public override void Format(StringBuilder s) => OfpAction.FormatList(s, Actions);
}

/// <summary>OFPIT_WRITE_ACTIONS: merge into the action set. Prints <c>write_actions(...)</c>.</summary>
public sealed record WriteActionsInstruction(EquatableArray<OfpAction> Actions) : ActionsInstruction(Actions)
{
    public override OfpInstructionType Type => OfpInstructionType.WriteActions;

    public override void Format(StringBuilder s)
    {
        s.Append("write_actions(");
        OfpAction.FormatList(s, Actions);
        s.Append(')');
    }
}

/// <summary>OFPIT_CLEAR_ACTIONS. Prints <c>clear_actions</c>.</summary>
public sealed record ClearActionsInstruction : OfpInstruction
{
    public override OfpInstructionType Type => OfpInstructionType.ClearActions;
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16(5);
        w.WriteU16(8);
        w.WriteZeros(4);
    }

    public override void Format(StringBuilder s) => s.Append("clear_actions");
}

/// <summary>OFPIT_METER. Prints <c>meter:N</c>.</summary>
public sealed record MeterInstruction(uint MeterId) : OfpInstruction
{
    public override OfpInstructionType Type => OfpInstructionType.Meter;
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16(6);
        w.WriteU16(8);
        w.WriteU32(MeterId);
    }

    public override void Format(StringBuilder s) => s.Append("meter:").Append(MeterId);
}

/// <summary>An instruction this codec does not interpret, kept and re-encoded byte for byte.</summary>
public sealed record RawInstruction(Bytes Data) : OfpInstruction
{
    public override OfpInstructionType Type => (OfpInstructionType)((Data.Span[0] << 8) | Data.Span[1]);
    public override int WireLength => Data.Length;
    internal override void Write(ref OfpWriter w) => w.WriteBytes(Data.Span);
    public override void Format(StringBuilder s) => s.Append("raw_instruction(").Append(Data.ToString()).Append(')');
}
