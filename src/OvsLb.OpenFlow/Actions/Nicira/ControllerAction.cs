using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_CONTROLLER (20): send the packet to the controller with a chosen packet-in reason and only to
/// the controller connection with the given id. The load balancer uses it for its slow paths (ARP it
/// must answer, health-check replies). Plain <c>controller</c> / <c>controller(max_len=N)</c> is not this
/// action: OVS encodes those as OFPAT_OUTPUT to CONTROLLER (<see cref="OutputAction"/>); use
/// <see cref="Create"/> to get exactly what ovs-ofctl would encode for a set of options.
/// <code>
/// struct nx_action_controller {
///     ovs_be16 type, len;        /* 0xffff, 16 */
///     ovs_be32 vendor;           /* 0x00002320 */
///     ovs_be16 subtype;          /* 20 */
///     ovs_be16 max_len;          /* bytes of packet to send */
///     ovs_be16 controller_id;    /* destination connection id */
///     uint8_t reason;            /* OFPR_* */
///     uint8_t zero;              /* must be zero */
/// };
/// </code>
/// Prints (format_CONTROLLER) <c>CONTROLLER:MAXLEN</c> when reason is action and id 0, otherwise
/// <c>controller(reason=R,max_len=N,id=I)</c> listing only non-default options.
/// </summary>
public sealed record ControllerAction(ushort MaxLen = ControllerAction.AllBytes, ushort ControllerId = 0, byte Reason = ControllerAction.ReasonAction) : OfpAction
{
    public const ushort AllBytes = 0xffff;
    /// <summary>OFPR_ACTION, the default reason.</summary>
    public const byte ReasonAction = 1;
    /// <summary>NX_CTLR_NO_METER: no controller meter.</summary>
    public const uint NoMeter = 0;

    /// <summary>
    /// The action ovs-ofctl encodes for <c>controller(...)</c> with these options (parse_CONTROLLER +
    /// encode_CONTROLLER): OFPAT_OUTPUT when all options are defaults except max_len, NXAST_CONTROLLER
    /// when only reason/id/max_len are set, NXAST_CONTROLLER2 when userdata, pause or a meter is needed.
    /// </summary>
    public static OfpAction Create(ushort maxLen = AllBytes, ushort controllerId = 0, byte reason = ReasonAction,
        byte[]? userdata = null, bool pause = false, uint meterId = NoMeter)
    {
        if (reason == ReasonAction && controllerId == 0 && userdata is null && !pause && meterId == NoMeter)
        {
            return new OutputAction(OfctlFormat.Ports.Controller, maxLen);
        }
        if ((userdata is null || userdata.Length == 0) && !pause && meterId == NoMeter)
        {
            return new ControllerAction(maxLen, controllerId, reason);
        }
        var props = new List<ControllerProperty>();
        if (maxLen != AllBytes) props.Add(new ControllerMaxLen(maxLen));
        if (controllerId != 0) props.Add(new ControllerConnectionId(controllerId));
        if (reason != ReasonAction) props.Add(new ControllerReason(reason));
        if (userdata is not null && userdata.Length > 0) props.Add(new ControllerUserdata(userdata));
        if (pause) props.Add(new ControllerPause());
        if (meterId != NoMeter) props.Add(new ControllerMeterId(meterId));
        return new Controller2Action(props.ToArray());
    }

    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.Controller);
        w.WriteU16(MaxLen);
        w.WriteU16(ControllerId);
        w.WriteU8(Reason);
        w.WriteU8(0);
    }

    internal static ControllerAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "controller", at);
        ushort maxLen = r.ReadU16("controller max_len");
        ushort id = r.ReadU16("controller id");
        byte reason = r.ReadU8("controller reason");
        NxWire.Zeros(ref r, 1, "controller: zero", at);
        return new ControllerAction(maxLen, id, reason);
    }

    public override void Format(StringBuilder s) => FormatOptions(s, MaxLen, ControllerId, Reason, default, false, NoMeter);

    /// <summary>ofputil_packet_in_reason_to_string (lib/ofp-packet.c).</summary>
    public static string ReasonName(byte reason) => reason switch
    {
        0 => "no_match",
        1 => "action",
        2 => "invalid_ttl",
        3 => "action_set",
        4 => "group",
        5 => "packet_out",
        6 or 7 => "", // OFPR_EXPLICIT_MISS / OFPR_IMPLICIT_MISS print as nothing
        _ => reason.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>format_CONTROLLER (lib/ofp-actions.c), shared by NXAST_CONTROLLER and NXAST_CONTROLLER2.</summary>
    internal static void FormatOptions(StringBuilder s, ushort maxLen, ushort id, byte reason, ReadOnlySpan<byte> userdata, bool pause, uint meterId)
    {
        if (reason == ReasonAction && id == 0 && userdata.IsEmpty && !pause && meterId == NoMeter)
        {
            s.Append("CONTROLLER:").Append(maxLen);
            return;
        }
        s.Append("controller(");
        int start = s.Length;
        if (reason != ReasonAction) s.Append("reason=").Append(ReasonName(reason)).Append(',');
        if (maxLen != AllBytes) s.Append("max_len=").Append(maxLen).Append(',');
        if (id != 0) s.Append("id=").Append(id).Append(',');
        if (!userdata.IsEmpty) s.Append("userdata=").Append(OfctlFormat.HexArg(userdata)).Append(',');
        if (pause) s.Append("pause,");
        if (meterId != NoMeter) s.Append("meter_id=").Append(meterId).Append(',');
        if (s.Length > start && s[^1] == ',') s.Length--;
        s.Append(')');
    }
}
