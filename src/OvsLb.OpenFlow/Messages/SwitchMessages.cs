using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// OFPT_FEATURES_REPLY (OpenFlow 1.3.5 §7.3.1). OVS lists no ports here: ports come from PORT_DESC.
/// <code>
/// struct ofp_switch_features {
///     struct ofp_header header;
///     uint64_t datapath_id; uint32_t n_buffers; uint8_t n_tables; uint8_t auxiliary_id; uint8_t pad[2];
///     uint32_t capabilities; uint32_t reserved;
/// };
/// </code>
/// </summary>
public sealed record FeaturesReply : OfpMessage
{
    public ulong DatapathId { get; init; }
    public uint NBuffers { get; init; }
    public byte NTables { get; init; }
    public byte AuxiliaryId { get; init; }
    public uint Capabilities { get; init; }
    public uint Reserved { get; init; }

    public override OfpType Type => OfpType.FeaturesReply;
    public override string OvsName => "OFPT_FEATURES_REPLY";
    public override int BodyLength => 24;

    /// <summary>The datapath id as OVS prints it: 16 hex digits.</summary>
    public string DatapathIdText => DatapathId.ToString("x16");

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU64(DatapathId);
        w.WriteU32(NBuffers);
        w.WriteU8(NTables);
        w.WriteU8(AuxiliaryId);
        w.WriteZeros(2);
        w.WriteU32(Capabilities);
        w.WriteU32(Reserved);
    }

    internal static FeaturesReply Read(ref OfpReader r)
    {
        var f = new FeaturesReply { DatapathId = r.ReadU64("datapath_id"), NBuffers = r.ReadU32("n_buffers"), NTables = r.ReadU8("n_tables"), AuxiliaryId = r.ReadU8("auxiliary_id") };
        r.Skip(2);
        return f with { Capabilities = r.ReadU32("capabilities"), Reserved = r.ReadU32("reserved") };
    }

    // OF1.3 capability bits mapped onto OVS's internal enum order, which is the order names print in.
    private static readonly (uint Wire, int OvsBit, string Name)[] CapabilityNames =
    [
        (1, 0, "FLOW_STATS"), (2, 1, "TABLE_STATS"), (4, 2, "PORT_STATS"), (8, 4, "GROUP_STATS"),
        (0x20, 5, "IP_REASM"), (0x40, 6, "QUEUE_STATS"), (0x100, 8, "PORT_BLOCKED"),
    ];

    /// <summary>ofputil_switch_features_format.</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append(" dpid:").Append(DatapathIdText).Append('\n');
        s.Append("n_tables:").Append(NTables).Append(", n_buffers:").Append(NBuffers);
        if (AuxiliaryId != 0) s.Append(", auxiliary_id:").Append(AuxiliaryId);
        s.Append('\n');
        s.Append("capabilities: ");
        var names = CapabilityNames.Where(c => (Capabilities & c.Wire) != 0).OrderBy(c => c.OvsBit).Select(c => c.Name).ToList();
        uint unknown = Capabilities & ~CapabilityNames.Aggregate(0u, (a, c) => a | c.Wire);
        if (unknown != 0) names.Add("0x" + unknown.ToString("x"));
        s.Append(names.Count == 0 ? "0" : string.Join(' ', names)).Append('\n');
    }
}

[Flags]
public enum ConfigFlags : ushort { FragNormal = 0, FragDrop = 1, FragReasm = 2, FragMask = 3 }

/// <summary>
/// OFPT_SET_CONFIG and OFPT_GET_CONFIG_REPLY (§7.3.2). The controller sets miss_send_len 0xffff
/// (OFPCML_NO_BUFFER): OVS never buffers, the whole packet comes in PACKET_IN.
/// <code>
/// struct ofp_switch_config { struct ofp_header header; uint16_t flags; uint16_t miss_send_len; };
/// </code>
/// </summary>
public sealed record SwitchConfig(bool IsReply, ushort Flags, ushort MissSendLength) : OfpMessage
{
    public static SwitchConfig Set(ushort missSendLen = 0xffff, uint xid = 0) => new(false, 0, missSendLen) { Xid = xid };

    public override OfpType Type => IsReply ? OfpType.GetConfigReply : OfpType.SetConfig;
    public override string OvsName => IsReply ? "OFPT_GET_CONFIG_REPLY" : "OFPT_SET_CONFIG";
    public override int BodyLength => 4;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU16(Flags);
        w.WriteU16(MissSendLength);
    }

    internal static SwitchConfig Read(bool reply, ref OfpReader r) => new(reply, r.ReadU16("flags"), r.ReadU16("miss_send_len"));

    /// <summary>ofputil_switch_config_format.</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append(" frags=").Append((Flags & 3) switch { 0 => "normal", 1 => "drop", 2 => "reassemble", _ => "nx-match" });
        if ((Flags & 4) != 0) s.Append(" invalid_ttl_to_controller");
        s.Append(" miss_send_len=").Append(MissSendLength).Append('\n');
    }
}

/// <summary>
/// OFPT_EXPERIMENTER (§7.5.4) whose experimenter/type this codec does not interpret further; the
/// body is kept as bytes.
/// <code>
/// struct ofp_experimenter_header { struct ofp_header header; uint32_t experimenter; uint32_t exp_type; /* data */ };
/// </code>
/// </summary>
public sealed record ExperimenterMessage(uint Experimenter, uint ExpType, Bytes Data) : OfpMessage
{
    public override OfpType Type => OfpType.Experimenter;
    public override string OvsName => "OFPT_EXPERIMENTER";
    public override int BodyLength => 8 + Data.Length;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(Experimenter);
        w.WriteU32(ExpType);
        w.WriteBytes(Data.Span);
    }

    public override void FormatBody(StringBuilder s) =>
        s.Append(" experimenter=0x").Append(Experimenter.ToString("x8")).Append(" exp_type=").Append(ExpType).Append(' ').Append(Data.Length).Append(" bytes of data\n");
}
