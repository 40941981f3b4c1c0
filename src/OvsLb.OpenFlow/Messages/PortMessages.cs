using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

public enum PortStatusReason : byte { Add = 0, Delete = 1, Modify = 2 }

/// <summary>
/// OFPT_PORT_STATUS (OpenFlow 1.3.5 §7.4.3): the switch reports a port added, removed or changed
/// (link up/down, admin down). The controller uses it to keep its port map and backend liveness current.
/// <code>
/// struct ofp_port_status {
///     struct ofp_header header;
///     uint8_t reason;          /* enum ofp_port_reason */
///     uint8_t pad[7];
///     struct ofp_port desc;    /* 64 bytes */
/// };
/// </code>
/// </summary>
public sealed record PortStatus(PortStatusReason Reason, PortDescription Desc) : OfpMessage
{
    public override OfpType Type => OfpType.PortStatus;
    public override string OvsName => "OFPT_PORT_STATUS";
    public override int BodyLength => 8 + PortDescription.WireLength;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU8((byte)Reason);
        w.WriteZeros(7);
        Desc.Write(ref w);
    }

    internal static PortStatus Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        byte reason = r.ReadU8("port status reason");
        if (reason > 2)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"port status reason {reason} is not ADD, DELETE or MODIFY", at);
        }
        r.Skip(7);
        return new PortStatus((PortStatusReason)reason, PortDescription.Read(ref r));
    }

    /// <summary>ofputil_port_status_format: <c> ADD:</c>/<c> DEL:</c>/<c> MOD:</c> and the port text.</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append(Reason switch { PortStatusReason.Add => " ADD:", PortStatusReason.Delete => " DEL:", _ => " MOD:" });
        Desc.Format(s);
    }
}

/// <summary>
/// OFPT_PORT_MOD (OpenFlow 1.3.5 §7.3.3): change a port's administrative configuration (e.g. bring
/// it down). Only bits set in <see cref="Mask"/> change; <see cref="HwAddr"/> must match the port's.
/// <code>
/// struct ofp_port_mod {
///     struct ofp_header header;
///     uint32_t port_no; uint8_t pad[4];
///     uint8_t hw_addr[6]; uint8_t pad2[2];
///     uint32_t config;      /* bitmap of OFPPC_* */
///     uint32_t mask;        /* bits of config to change */
///     uint32_t advertise;   /* OFPPF_*; 0 = unchanged */
///     uint8_t pad3[4];
/// };                        /* 40 bytes with the header */
/// </code>
/// </summary>
public sealed record PortMod : OfpMessage
{
    public uint PortNo { get; init; }
    public ulong HwAddr { get; init; }
    public PortConfig Config { get; init; }
    public PortConfig Mask { get; init; }
    public PortFeatures Advertise { get; init; }

    public override OfpType Type => OfpType.PortMod;
    public override string OvsName => "OFPT_PORT_MOD";
    public override int BodyLength => 32;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(PortNo);
        w.WriteZeros(4);
        PortDescription.WriteMac(ref w, HwAddr);
        w.WriteZeros(2);
        w.WriteU32((uint)Config);
        w.WriteU32((uint)Mask);
        w.WriteU32((uint)Advertise);
        w.WriteZeros(4);
    }

    internal static PortMod Read(ref OfpReader r)
    {
        uint port = r.ReadU32("port_no");
        r.Skip(4);
        ulong mac = PortDescription.ReadMac(ref r);
        r.Skip(2);
        var m = new PortMod
        {
            PortNo = port,
            HwAddr = mac,
            Config = (PortConfig)r.ReadU32("config"),
            Mask = (PortConfig)r.ReadU32("mask"),
            Advertise = (PortFeatures)r.ReadU32("advertise"),
        };
        r.Skip(4);
        return m;
    }

    /// <summary>ofputil_port_mod_format. OVS prints config masked by mask (and both by the OF1.1+ bits).</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append(" port: ").Append(OfctlFormat.Port(PortNo)).Append(": addr:").Append(OfctlFormat.Mac(HwAddr)).Append('\n');
        uint mask = (uint)Mask & PortDescription.Ofp11ConfigBits;
        s.Append("     config: ");
        PortDescription.FormatConfig(s, (uint)Config & mask);
        s.Append('\n');
        s.Append("     mask:   ");
        PortDescription.FormatConfig(s, mask);
        s.Append('\n');
        s.Append("     advertise: ");
        if (((uint)Advertise & 0xffff) != 0) PortDescription.FormatFeatures(s, (uint)Advertise);
        else s.Append("UNCHANGED");
        s.Append('\n');
    }
}
