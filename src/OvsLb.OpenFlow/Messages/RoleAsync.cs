using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>Controller roles (OpenFlow 1.3.5 §7.3.9, enum ofp_controller_role). OVS says primary/secondary.</summary>
public enum ControllerRole : uint { NoChange = 0, Equal = 1, Master = 2, Slave = 3 }

/// <summary>
/// OFPT_ROLE_REQUEST / OFPT_ROLE_REPLY (OpenFlow 1.3.5 §7.3.9): with several controllers, one asks
/// to become master (with a generation id that must not go backwards) and the others become slaves.
/// <code>
/// struct ofp_role_request {
///     struct ofp_header header;
///     uint32_t role;             /* enum ofp_controller_role */
///     uint8_t pad[4];
///     uint64_t generation_id;
/// };
/// </code>
/// </summary>
public sealed record RoleMessage(bool IsReply, ControllerRole Role, ulong GenerationId) : OfpMessage
{
    public static RoleMessage Request(ControllerRole role, ulong generationId, uint xid = 0) => new(false, role, generationId) { Xid = xid };

    public override OfpType Type => IsReply ? OfpType.RoleReply : OfpType.RoleRequest;
    public override string OvsName => IsReply ? "OFPT_ROLE_REPLY" : "OFPT_ROLE_REQUEST";
    public override int BodyLength => 16;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32((uint)Role);
        w.WriteZeros(4);
        w.WriteU64(GenerationId);
    }

    internal static RoleMessage Read(bool reply, ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        uint role = r.ReadU32("role");
        if (role > 3) throw new OfpProtocolException(OfpErrorKind.BadValue, $"controller role {role} is not nochange/equal/master/slave", at);
        r.Skip(4);
        return new RoleMessage(reply, (ControllerRole)role, r.ReadU64("generation_id"));
    }

    /// <summary>
    /// ofputil_format_role_message: <c> role=primary generation_id=5</c>. The generation id is left out
    /// of a NOCHANGE request and of a reply carrying all-ones ("none set").
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append(" role=").Append(Role switch
        {
            ControllerRole.NoChange => "nochange",
            ControllerRole.Equal => "equal",
            ControllerRole.Master => "primary",
            _ => "secondary",
        });
        bool hasGeneration = IsReply ? GenerationId != ulong.MaxValue : Role != ControllerRole.NoChange;
        if (hasGeneration) s.Append(" generation_id=").Append(GenerationId);
    }
}

/// <summary>
/// OFPT_GET_ASYNC_REPLY / OFPT_SET_ASYNC (OpenFlow 1.3.5 §7.3.10): which asynchronous messages (by
/// reason bit) the switch sends to a controller in the master/equal role (index 0) and in the slave
/// role (index 1).
/// <code>
/// struct ofp_async_config {
///     struct ofp_header header;
///     uint32_t packet_in_mask[2];     /* bits of enum ofp_packet_in_reason */
///     uint32_t port_status_mask[2];   /* bits of enum ofp_port_reason */
///     uint32_t flow_removed_mask[2];  /* bits of enum ofp_flow_removed_reason */
/// };
/// </code>
/// </summary>
public sealed record AsyncConfig : OfpMessage
{
    public bool IsReply { get; init; }
    public uint PacketInMaster { get; init; }
    public uint PacketInSlave { get; init; }
    public uint PortStatusMaster { get; init; }
    public uint PortStatusSlave { get; init; }
    public uint FlowRemovedMaster { get; init; }
    public uint FlowRemovedSlave { get; init; }

    public override OfpType Type => IsReply ? OfpType.GetAsyncReply : OfpType.SetAsync;
    public override string OvsName => IsReply ? "OFPT_GET_ASYNC_REPLY" : "OFPT_SET_ASYNC";
    public override int BodyLength => 24;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(PacketInMaster);
        w.WriteU32(PacketInSlave);
        w.WriteU32(PortStatusMaster);
        w.WriteU32(PortStatusSlave);
        w.WriteU32(FlowRemovedMaster);
        w.WriteU32(FlowRemovedSlave);
    }

    internal static AsyncConfig Read(bool reply, ref OfpReader r) => new()
    {
        IsReply = reply,
        PacketInMaster = r.ReadU32("packet_in_mask[0]"),
        PacketInSlave = r.ReadU32("packet_in_mask[1]"),
        PortStatusMaster = r.ReadU32("port_status_mask[0]"),
        PortStatusSlave = r.ReadU32("port_status_mask[1]"),
        FlowRemovedMaster = r.ReadU32("flow_removed_mask[0]"),
        FlowRemovedSlave = r.ReadU32("flow_removed_mask[1]"),
    };

    private static readonly string[] PacketInReasons = ["no_match", "action", "invalid_ttl"];
    private static readonly string[] PortReasons = ["add", "delete", "modify"];
    private static readonly string[] FlowRemovedReasons = ["idle", "hard", "delete", "group_delete", "meter_delete", "eviction"];

    /// <summary>
    /// ofputil_format_set_async_config: for each role a table of message types (right-aligned to 16)
    /// and the reasons enabled, <c>(off)</c> when none. OVS keeps only the reason bits OF1.3 defines
    /// (3 packet-in, 3 port-status, 6 flow-removed) and always shows the OF1.4 types as off.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        Role(s, "primary", PacketInMaster, PortStatusMaster, FlowRemovedMaster);
        Role(s, "secondary", PacketInSlave, PortStatusSlave, FlowRemovedSlave);
    }

    private static void Role(StringBuilder s, string name, uint packetIn, uint portStatus, uint flowRemoved)
    {
        s.Append("\n ").Append(name).Append(":\n");
        Line(s, "PACKET_IN", packetIn, PacketInReasons);
        Line(s, "PORT_STATUS", portStatus, PortReasons);
        Line(s, "FLOW_REMOVED", flowRemoved, FlowRemovedReasons);
        Line(s, "ROLE_STATUS", 0, []);
        Line(s, "TABLE_STATUS", 0, []);
        Line(s, "REQUESTFORWARD", 0, []);
    }

    private static void Line(StringBuilder s, string type, uint mask, string[] reasons)
    {
        s.Append(type.PadLeft(16)).Append(':');
        mask &= (1u << reasons.Length) - 1;
        for (int i = 0; i < reasons.Length; i++)
        {
            if ((mask & (1u << i)) != 0) s.Append(' ').Append(reasons[i]);
        }
        if (mask == 0) s.Append(" (off)");
        s.Append('\n');
    }
}
