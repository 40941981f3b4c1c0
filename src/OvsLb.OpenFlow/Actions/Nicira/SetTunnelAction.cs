using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_SET_TUNNEL (2, 32-bit id) and NXAST_SET_TUNNEL64 (9, 64-bit id): set the tunnel id (tun_id)
/// of the packet. ovs-ofctl itself encodes <c>set_tunnel</c> as set_field in OpenFlow 1.3, but OVS
/// decodes both. Prints <c>set_tunnel:0x1234</c>, or <c>set_tunnel64:0x...</c> for the 64-bit form or an
/// id above 32 bits.
/// <code>
/// struct nx_action_set_tunnel   { be16 type, len /* 16 */; be32 vendor; be16 subtype /* 2 */; uint8_t pad[2]; be32 tun_id; };
/// struct nx_action_set_tunnel64 { be16 type, len /* 24 */; be32 vendor; be16 subtype /* 9 */; uint8_t pad[6]; be64 tun_id; };
/// </code>
/// </summary>
public sealed record SetTunnelAction(ulong TunnelId, bool Wide) : OfpAction
{
    public override int WireLength => Wide ? 24 : 16;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, Wide ? NiciraActions.SetTunnel64 : NiciraActions.SetTunnel);
        if (Wide)
        {
            w.WriteZeros(6);
            w.WriteU64(TunnelId);
        }
        else
        {
            w.WriteZeros(2);
            w.WriteU32((uint)TunnelId);
        }
    }

    /// <summary>decode_NXAST_RAW_SET_TUNNEL / decode_NXAST_RAW_SET_TUNNEL64 (lib/ofp-actions.c).</summary>
    internal static SetTunnelAction Read(ushort subtype, ref OfpReader r, int at)
    {
        bool wide = subtype == NiciraActions.SetTunnel64;
        NxWire.ExpectLength(r, wide ? 24 : 16, wide ? "set_tunnel64" : "set_tunnel", at);
        NxWire.Zeros(ref r, wide ? 6 : 2, "set_tunnel: pad", at);
        return new SetTunnelAction(wide ? r.ReadU64("tun_id") : r.ReadU32("tun_id"), wide);
    }

    /// <summary>format_SET_TUNNEL.</summary>
    public override void Format(StringBuilder s) =>
        s.Append(Wide || TunnelId > uint.MaxValue ? "set_tunnel64:" : "set_tunnel:").Append(OfctlFormat.AltHex(TunnelId));
}
