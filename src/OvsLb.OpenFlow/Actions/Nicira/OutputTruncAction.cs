using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_OUTPUT_TRUNC (39): output the packet truncated to at most <see cref="MaxLen"/> bytes (for
/// mirrors and monitoring ports that need only the headers). The port is a 16-bit OpenFlow 1.0 port
/// number (reserved ports 0xfff8-0xffff). Prints <c>output(port=N,max_len=M)</c>.
/// <code>
/// struct nx_action_output_trunc {
///     ovs_be16 type, len;    /* 0xffff, 16 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 39 */
///     ovs_be16 port;         /* output port */
///     ovs_be32 max_len;      /* truncate the packet to this many bytes */
/// };
/// </code>
/// OVS refuses a <see cref="MaxLen"/> below an Ethernet header (14 bytes) with OFPBAC_BAD_ARGUMENT
/// (see <see cref="ActionChecks"/>).
/// </summary>
public sealed record OutputTruncAction(ushort Port16, uint MaxLen) : OfpAction
{
    /// <summary>ETH_HEADER_LEN: the smallest max_len OVS accepts.</summary>
    public const uint MinMaxLen = 14;

    /// <summary>The port as an OpenFlow 1.1+ number (0xfff8 becomes IN_PORT 0xfffffff8, ...).</summary>
    public uint Port => Port16 >= 0xff00 ? 0xffff0000u | Port16 : Port16;

    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, NiciraActions.OutputTrunc);
        w.WriteU16(Port16);
        w.WriteU32(MaxLen);
    }

    /// <summary>decode_NXAST_RAW_OUTPUT_TRUNC (lib/ofp-actions.c).</summary>
    internal static OutputTruncAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "output_trunc", at);
        ushort port = r.ReadU16("output_trunc port");
        uint maxLen = r.ReadU32("output_trunc max_len");
        return new OutputTruncAction(port, maxLen);
    }

    /// <summary>format_OUTPUT_TRUNC.</summary>
    public override void Format(StringBuilder s) =>
        s.Append("output(port=").Append(OfctlFormat.Port(Port)).Append(",max_len=").Append(MaxLen).Append(')');
}
