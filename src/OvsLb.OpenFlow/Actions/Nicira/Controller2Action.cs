using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_CONTROLLER2 (37): the property-based controller action, needed for userdata (echoed back in
/// NXT_PACKET_IN2), pause (continuations) and a controller meter. The properties are kept in wire
/// order so a decoded action re-encodes byte for byte; the typed accessors apply them as OVS does
/// (a later property of the same type wins).
/// <code>
/// struct ext_action_header {
///     ovs_be16 type, len;        /* 0xffff, multiple of 8 */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 37 */
///     uint8_t pad[6];            /* must be zero */
/// };                             /* 16 bytes, then properties */
/// struct ofp_prop_header {
///     ovs_be16 type;             /* NXAC2PT_*: 0 max_len (u16), 1 controller_id (u16), 2 reason (u8),
///                                   3 userdata (bytes), 4 pause (flag), 5 meter_id (u32);
///                                   u16 values are followed by 2 zero bytes */
///     ovs_be16 len;              /* 4 + payload, excluding padding; padded to 8 */
/// };
/// </code>
/// Prints as <see cref="ControllerAction"/>: <c>controller(userdata=01.02.03,pause)</c>.
/// </summary>
public sealed record Controller2Action(EquatableArray<ControllerProperty> Properties) : OfpAction
{
    public ushort MaxLen => Last<ControllerMaxLen>()?.Value ?? ControllerAction.AllBytes;
    public ushort ControllerId => Last<ControllerConnectionId>()?.Value ?? 0;
    public byte Reason => Last<ControllerReason>()?.Value ?? ControllerAction.ReasonAction;
    public Bytes Userdata => Last<ControllerUserdata>()?.Data ?? Bytes.Empty;
    public bool Pause => Last<ControllerPause>() is not null;
    public uint MeterId => Last<ControllerMeterId>()?.Value ?? ControllerAction.NoMeter;

    private T? Last<T>() where T : ControllerProperty
    {
        T? found = null;
        foreach (var p in Properties) if (p is T t) found = t;
        return found;
    }

    public override int WireLength => 16 + OfpProperty.ListLength(Properties);

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, NiciraActions.Controller2);
        w.WriteZeros(6);
        OfpProperty.WriteList(ref w, Properties);
    }

    /// <summary>decode_NXAST_RAW_CONTROLLER2 (lib/ofp-actions.c) with ofpprop_pull (lib/ofp-prop.c).</summary>
    internal static Controller2Action Read(ref OfpReader r, int at)
    {
        NxWire.ExpectMinLength(r, 16, "controller2", at);
        NxWire.Zeros(ref r, 6, "controller2: pad", at);
        var props = new List<ControllerProperty>();
        while (r.Remaining > 0)
        {
            var body = OfpPropertyReader.Next(ref r, "controller2", Kind, out ushort type, out int propAt);
            props.Add(ReadProperty(type, ref body, propAt));
        }
        return new Controller2Action(props.ToArray());
    }

    /// <summary>A malformed property makes the whole action bad (OFPET_BAD_ACTION).</summary>
    private const OfpErrorKind Kind = OfpErrorKind.BadAction;

    private static ControllerProperty ReadProperty(ushort type, ref OfpReader body, int at)
    {
        switch (type)
        {
            case 0: return new ControllerMaxLen(ReadU16(ref body, "max_len", at));
            case 1: return new ControllerConnectionId(ReadU16(ref body, "controller_id", at));
            case 2: Fixed(body, 1, "reason", at); return new ControllerReason(body.ReadU8());
            case 3: return new ControllerUserdata(new Bytes(body.RestMemory));
            case 4: Fixed(body, 0, "pause", at); return new ControllerPause();
            case 5: Fixed(body, 4, "meter_id", at); return new ControllerMeterId(body.ReadU32());
            default: throw new OfpProtocolException(Kind, $"controller2: unknown property type {type}", at);
        }
    }

    /// <summary>
    /// A 16-bit property: OVS (ofpprop_put_be16) writes the value plus two zero bytes, length 8, as the
    /// OpenFlow specs do for 16-bit properties.
    /// </summary>
    private static ushort ReadU16(ref OfpReader body, string name, int at)
    {
        Fixed(body, 4, name, at);
        ushort v = body.ReadU16();
        NxWire.Zeros(ref body, 2, $"controller2: {name} property padding", at);
        return v;
    }

    private static void Fixed(in OfpReader body, int n, string name, int at) =>
        OfpPropertyReader.Fixed(body, n, "controller2", name, Kind, at);

    public override void Format(StringBuilder s) =>
        ControllerAction.FormatOptions(s, MaxLen, ControllerId, Reason, Userdata.Span, Pause, MeterId);
}

/// <summary>One NXAC2PT_* property of <see cref="Controller2Action"/>.</summary>
public abstract record ControllerProperty : OfpProperty;

/// <summary>NXAC2PT_MAX_LEN (0): bytes of the packet to send.</summary>
public sealed record ControllerMaxLen(ushort Value) : ControllerProperty
{
    public override ushort Type => 0;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w)
    {
        w.WriteU16(Value);
        w.WriteU16(0);
    }
}

/// <summary>NXAC2PT_CONTROLLER_ID (1): only the controller connection with this id gets the packet.</summary>
public sealed record ControllerConnectionId(ushort Value) : ControllerProperty
{
    public override ushort Type => 1;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w)
    {
        w.WriteU16(Value);
        w.WriteU16(0);
    }
}

/// <summary>NXAC2PT_REASON (2): the packet-in reason (OFPR_*).</summary>
public sealed record ControllerReason(byte Value) : ControllerProperty
{
    public override ushort Type => 2;
    public override int Length => 5;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU8(Value);
}

/// <summary>NXAC2PT_USERDATA (3): opaque bytes copied into the packet-in.</summary>
public sealed record ControllerUserdata(Bytes Data) : ControllerProperty
{
    public override ushort Type => 3;
    public override int Length => 4 + Data.Length;
    internal override void WriteValue(ref OfpWriter w) => w.WriteBytes(Data.Span);
}

/// <summary>NXAC2PT_PAUSE (4): pause the pipeline so the controller can resume it (continuation).</summary>
public sealed record ControllerPause : ControllerProperty
{
    public override ushort Type => 4;
    public override int Length => 4;
    internal override void WriteValue(ref OfpWriter w) { }
}

/// <summary>NXAC2PT_METER_ID (5): meter the packet-ins this action sends.</summary>
public sealed record ControllerMeterId(uint Value) : ControllerProperty
{
    public override ushort Type => 5;
    public override int Length => 8;
    internal override void WriteValue(ref OfpWriter w) => w.WriteU32(Value);
}
