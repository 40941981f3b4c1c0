using System.Text;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions;

/// <summary>
/// OFPAT_OUTPUT (§7.2.5.1): send the packet out a port. <see cref="MaxLen"/> only matters for CONTROLLER.
/// Prints <c>output:N</c>, or the reserved name (<c>IN_PORT</c>, <c>LOCAL</c>, <c>CONTROLLER:65535</c>).
/// </summary>
public sealed record OutputAction(uint Port, ushort MaxLen = 0xffff) : OfpAction
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16((ushort)OfpActionType.Output);
        w.WriteU16(16);
        w.WriteU32(Port);
        w.WriteU16(MaxLen);
        w.WriteZeros(6);
    }

    internal static OutputAction Read(ref OfpReader r)
    {
        uint port = r.ReadU32("output port");
        ushort maxLen = r.ReadU16("output max_len");
        return new OutputAction(port, maxLen);
    }

    public override void Format(StringBuilder s)
    {
        if (Port < OfctlFormat.Ports.Max) s.Append("output:");
        s.Append(OfctlFormat.Port(Port));
        if (Port == OfctlFormat.Ports.Controller) s.Append(':').Append(MaxLen);
    }
}

/// <summary>Actions with no argument: copy_ttl_out, copy_ttl_in, dec_mpls_ttl, pop_vlan, dec_ttl, pop_pbb.</summary>
public sealed record SimpleAction(OfpActionType Type) : OfpAction
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w) => WriteAction8(ref w, Type, 0);

    public override void Format(StringBuilder s) => s.Append(Type switch
    {
        OfpActionType.CopyTtlOut => "copy_ttl_out",
        OfpActionType.CopyTtlIn => "copy_ttl_in",
        OfpActionType.DecMplsTtl => "dec_mpls_ttl",
        OfpActionType.PopVlan => "pop_vlan",
        OfpActionType.DecNwTtl => "dec_ttl",
        OfpActionType.PopPbb => "pop_pbb",
        _ => Type.ToString(),
    });
}

/// <summary>OFPAT_SET_MPLS_TTL: prints <c>set_mpls_ttl(N)</c>.</summary>
public sealed record SetMplsTtlAction(byte Ttl) : OfpAction
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w) => WriteAction8(ref w, OfpActionType.SetMplsTtl, (uint)Ttl << 24);

    public override void Format(StringBuilder s) => s.Append("set_mpls_ttl(").Append(Ttl).Append(')');
}

/// <summary>OFPAT_SET_NW_TTL: prints <c>mod_nw_ttl:N</c>.</summary>
public sealed record SetNwTtlAction(byte Ttl) : OfpAction
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w) => WriteAction8(ref w, OfpActionType.SetNwTtl, (uint)Ttl << 24);

    public override void Format(StringBuilder s) => s.Append("mod_nw_ttl:").Append(Ttl);
}

/// <summary>push_vlan / push_mpls / push_pbb / pop_mpls, each carrying an ethertype.</summary>
public sealed record EthertypeAction(OfpActionType Type, ushort Ethertype) : OfpAction
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w) => WriteAction8(ref w, Type, (uint)Ethertype << 16);

    public override void Format(StringBuilder s)
    {
        switch (Type)
        {
            case OfpActionType.PushVlan: s.Append("push_vlan:").Append(OfctlFormat.AltHex(Ethertype)); break;
            case OfpActionType.PushMpls: s.Append("push_mpls:0x").Append(Ethertype.ToString("x4")); break;
            case OfpActionType.PopMpls: s.Append("pop_mpls:0x").Append(Ethertype.ToString("x4")); break;
            default: s.Append("push_pbb:0x").Append(Ethertype.ToString("x4")); break;
        }
    }
}

/// <summary>OFPAT_SET_QUEUE: prints <c>set_queue:N</c>.</summary>
public sealed record SetQueueAction(uint QueueId) : OfpAction
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w) => WriteAction8(ref w, OfpActionType.SetQueue, QueueId);

    public override void Format(StringBuilder s) => s.Append("set_queue:").Append(QueueId);
}

/// <summary>OFPAT_GROUP: hand the packet to a group (the load balancer's select groups). Prints <c>group:N</c>.</summary>
public sealed record GroupAction(uint GroupId) : OfpAction
{
    public override int WireLength => 8;

    internal override void Write(ref OfpWriter w) => WriteAction8(ref w, OfpActionType.Group, GroupId);

    public override void Format(StringBuilder s) => s.Append("group:").Append(GroupId);
}

/// <summary>
/// OFPAT_SET_FIELD (§7.2.5.10): one OXM TLV, padded to 8. Prints <c>set_field:VALUE-&gt;name</c>.
/// </summary>
public sealed record SetFieldAction(OxmEntry Field) : OfpAction
{
    public static SetFieldAction Of(MfId id, UInt128 value) => new(OxmEntry.For(id, value));

    public override int WireLength => Pad.To8(4 + Field.WireLength);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        w.WriteU16((ushort)OfpActionType.SetField);
        w.WriteU16((ushort)WireLength);
        Field.Write(ref w);
        w.PadTo8(start);
    }

    /// <summary>
    /// Decodes the OXM. When the bytes after it are not 0-7 zero bytes of padding the action cannot
    /// be rebuilt from its field, so it is kept whole as a <see cref="RawAction"/> (OVS refuses
    /// non-zero padding with OFPBAC_BAD_SET_ARGUMENT, see <see cref="ActionChecks"/>).
    /// </summary>
    internal static OfpAction Read(ref OfpReader r, ReadOnlyMemory<byte> whole)
    {
        return OxmEntry.ReadPadded(ref r) is OxmEntry e ? new SetFieldAction(e) : new RawAction(new Bytes(whole));
    }

    public override void Format(StringBuilder s)
    {
        var f = Field.Field;
        s.Append("set_field:");
        if (f is null)
        {
            s.Append(Field.Raw.ToString()).Append("->unknown");
            return;
        }
        s.Append(OfctlFormat.FieldValue(f, Field.Value, Field.HasMask ? Field.Mask : null)).Append("->").Append(f.Name);
    }
}
