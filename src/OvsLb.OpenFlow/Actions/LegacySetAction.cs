using System.Buffers.Binary;
using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions;

/// <summary>
/// The OpenFlow 1.1 field-writing actions that OpenFlow 1.2+ deprecates in favour of set_field but
/// that Open vSwitch still decodes in OpenFlow 1.3 (an OpenFlow 1.0/1.1-minded encoder may send
/// them): set_vlan_vid (1), set_vlan_pcp (2), set_dl_src/dst (3/4, 16 bytes with a MAC), set_nw_src/dst
/// (5/6), set_nw_tos (7), set_nw_ecn (8), set_tp_src/dst (9/10), set_mpls_label (13), set_mpls_tc (14).
/// All but 3/4 are 8 bytes: type, len, then the argument at the start of the 4 remaining bytes.
/// Printed as ovs-ofctl prints them (<c>set_vlan_vid:7</c>, <c>mod_dl_src:..</c>, <c>mod_nw_src:10.0.0.1</c>,
/// <c>mod_nw_tos:32</c>, <c>mod_tp_dst:80</c>, <c>set_mpls_label(5)</c>, ...). Values OVS refuses
/// (a VLAN id above 4095, pcp above 7, tos with ECN bits, ecn above 3) are checked by
/// <see cref="ActionChecks"/>.
/// </summary>
public sealed record LegacySetAction(OfpActionType Type, ulong Value) : OfpAction
{
    private bool IsMac => Type is OfpActionType.SetDlSrc or OfpActionType.SetDlDst;

    /// <summary>Bytes of the argument after type and len.</summary>
    private int ArgLength => Type switch
    {
        OfpActionType.SetDlSrc or OfpActionType.SetDlDst => 6,
        OfpActionType.SetNwSrc or OfpActionType.SetNwDst or OfpActionType.SetMplsLabel => 4,
        OfpActionType.SetVlanVid or OfpActionType.SetTpSrc or OfpActionType.SetTpDst => 2,
        _ => 1,
    };

    public override int WireLength => IsMac ? 16 : 8;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16((ushort)Type);
        w.WriteU16((ushort)WireLength);
        w.WriteUIntN(Value, ArgLength);
        w.WriteZeros(WireLength - 4 - ArgLength);
    }

    /// <summary>
    /// Decodes one of these actions; one with the wrong length (OVS: OFPBAC_BAD_LEN) is rejected, one
    /// whose padding is not zero is kept whole as a <see cref="RawAction"/> so it re-encodes unchanged.
    /// </summary>
    internal static OfpAction Read(OfpActionType type, ReadOnlyMemory<byte> whole)
    {
        var probe = new LegacySetAction(type, 0);
        if (whole.Length != probe.WireLength)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"action type {(ushort)type} must be {probe.WireLength} bytes, got {whole.Length}", -1, "OFPBAC_BAD_LEN");
        }
        var span = whole.Span[4..];
        ulong value = 0;
        foreach (var b in span[..probe.ArgLength]) value = (value << 8) | b;
        if (span[probe.ArgLength..].ContainsAnyExcept((byte)0)) return new RawAction(new Bytes(whole));
        return probe with { Value = value };
    }

    /// <summary>format_SET_VLAN_VID, format_SET_ETH_SRC, format_SET_IPV4_SRC, format_SET_IP_DSCP, ... (lib/ofp-actions.c).</summary>
    public override void Format(StringBuilder s)
    {
        switch (Type)
        {
            case OfpActionType.SetVlanVid: s.Append("set_vlan_vid:").Append(Value); break;
            case OfpActionType.SetVlanPcp: s.Append("set_vlan_pcp:").Append(Value); break;
            case OfpActionType.SetDlSrc: s.Append("mod_dl_src:").Append(OfctlFormat.Mac(Value)); break;
            case OfpActionType.SetDlDst: s.Append("mod_dl_dst:").Append(OfctlFormat.Mac(Value)); break;
            case OfpActionType.SetNwSrc: s.Append("mod_nw_src:").Append(OfctlFormat.IPv4((uint)Value)); break;
            case OfpActionType.SetNwDst: s.Append("mod_nw_dst:").Append(OfctlFormat.IPv4((uint)Value)); break;
            case OfpActionType.SetNwTos: s.Append("mod_nw_tos:").Append(Value); break;
            case OfpActionType.SetNwEcn: s.Append("mod_nw_ecn:").Append(Value); break;
            case OfpActionType.SetTpSrc: s.Append("mod_tp_src:").Append(Value); break;
            case OfpActionType.SetTpDst: s.Append("mod_tp_dst:").Append(Value); break;
            case OfpActionType.SetMplsLabel: s.Append("set_mpls_label(").Append(Value).Append(')'); break;
            default: s.Append("set_mpls_tc(").Append(Value).Append(')'); break;
        }
    }

    /// <summary>decode_set_vlan_vid, decode_set_vlan_pcp, decode_OFPAT_RAW_SET_NW_TOS/ECN: OFPBAC_BAD_ARGUMENT for values out of range.</summary>
    internal string? DecodeError() => Type switch
    {
        OfpActionType.SetVlanVid when Value > 0xfff => "OFPBAC_BAD_ARGUMENT",
        OfpActionType.SetVlanPcp when Value > 7 => "OFPBAC_BAD_ARGUMENT",
        OfpActionType.SetNwTos when (Value & 3) != 0 => "OFPBAC_BAD_ARGUMENT",
        OfpActionType.SetNwEcn when Value > 3 => "OFPBAC_BAD_ARGUMENT",
        _ => null,
    };
}
