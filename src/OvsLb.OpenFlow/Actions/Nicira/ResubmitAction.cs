using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_RESUBMIT (1), NXAST_RESUBMIT_TABLE (14) and NXAST_RESUBMIT_TABLE_CT (44): look the packet up
/// again in another table (with another in_port), then continue with this action list. The load
/// balancer's pipeline chains its stages with it. <see cref="WithCt"/> (subtype 44) looks up with the
/// connection's original-direction tuple in the ct_nw_*/ct_tp_* fields.
/// <code>
/// struct nx_action_resubmit {
///     ovs_be16 type, len;   /* 0xffff, 16 */
///     ovs_be32 vendor;      /* 0x00002320 */
///     ovs_be16 subtype;     /* 1, 14 or 44 */
///     ovs_be16 in_port;     /* OFPP_IN_PORT (0xfff8) = keep the packet's in_port */
///     uint8_t table;        /* 255 = this table (ignored by subtype 1) */
///     uint8_t pad[3];
/// };
/// </code>
/// Prints (format_RESUBMIT) <c>resubmit:PORT</c> when only the port is set, else
/// <c>resubmit([PORT],[TABLE][,ct])</c>, e.g. <c>resubmit(,3)</c>, <c>resubmit(1,3)</c>, <c>resubmit(,3,ct)</c>.
/// </summary>
public sealed record ResubmitAction(ushort InPort = ResubmitAction.InPortUnchanged, byte Table = ResubmitAction.ThisTable, bool WithCt = false) : OfpAction
{
    /// <summary>OFPP_IN_PORT in OpenFlow 1.0 numbering: resubmit with the packet's own in_port.</summary>
    public const ushort InPortUnchanged = 0xfff8;

    /// <summary>Table 255: resubmit into the current table.</summary>
    public const byte ThisTable = 255;

    /// <summary>
    /// Encode as the original NXAST_RESUBMIT (subtype 1, no table). Only set by the decoder for
    /// subtype 1; OVS itself always emits subtype 14 or 44 for actions it parses.
    /// </summary>
    public bool Legacy { get; init; }

    /// <summary><c>resubmit(,table)</c>.</summary>
    public static ResubmitAction ToTable(byte table) => new(InPortUnchanged, table);

    public override int WireLength => 16;

    private ushort Subtype => Legacy && Table == ThisTable && !WithCt ? NiciraActions.Resubmit
        : WithCt ? NiciraActions.ResubmitTableCt : NiciraActions.ResubmitTable;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 16, Subtype);
        w.WriteU16(InPort);
        w.WriteU8(Subtype == NiciraActions.Resubmit ? (byte)0 : Table);
        w.WriteZeros(3);
    }

    internal static ResubmitAction Read(ushort subtype, ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 16, "resubmit", at);
        ushort port = r.ReadU16("resubmit in_port");
        if (subtype == NiciraActions.Resubmit)
        {
            // OVS ignores the table byte of subtype 1; it must be zero here so the action re-encodes unchanged.
            NxWire.Zeros(ref r, 4, "resubmit (subtype 1): table and pad", at);
            return new ResubmitAction(port) { Legacy = true };
        }
        byte table = r.ReadU8("resubmit table");
        NxWire.Zeros(ref r, 3, "resubmit: pad", at);
        return new ResubmitAction(port, table, subtype == NiciraActions.ResubmitTableCt);
    }

    public override void Format(StringBuilder s)
    {
        if (InPort != InPortUnchanged && Table == ThisTable)
        {
            s.Append("resubmit:").Append(OfctlFormat.Port16(InPort));
            return;
        }
        s.Append("resubmit(");
        if (InPort != InPortUnchanged) s.Append(OfctlFormat.Port16(InPort));
        s.Append(',');
        if (Table != ThisTable) s.Append(OfctlFormat.Table(Table));
        if (WithCt) s.Append(",ct");
        s.Append(')');
    }
}
