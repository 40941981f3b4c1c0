using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// NXAST_WRITE_METADATA (22): the write_metadata instruction as a Nicira action (OpenFlow 1.0 has no
/// instructions); OVS decodes it in OpenFlow 1.3 too. Prints <c>write_metadata:0x12</c>, with
/// <c>/MASK</c> unless the mask is all ones.
/// <code>
/// struct nx_action_write_metadata {
///     ovs_be16 type, len;    /* 0xffff, 32 */
///     ovs_be32 vendor;       /* 0x00002320 */
///     ovs_be16 subtype;      /* 22 */
///     uint8_t zeros[6];      /* must be zero (OVS: NXBRC_MUST_BE_ZERO) */
///     ovs_be64 metadata, mask;
/// };
/// </code>
/// </summary>
public sealed record WriteMetadataAction(ulong Metadata, ulong Mask = ulong.MaxValue) : OfpAction
{
    public override int WireLength => 32;

    internal override void Write(ref OfpWriter w)
    {
        NiciraActions.WriteHeader(ref w, 32, NiciraActions.WriteMetadata);
        w.WriteZeros(6);
        w.WriteU64(Metadata);
        w.WriteU64(Mask);
    }

    /// <summary>decode_NXAST_RAW_WRITE_METADATA (lib/ofp-actions.c).</summary>
    internal static WriteMetadataAction Read(ref OfpReader r, int at)
    {
        NxWire.ExpectLength(r, 32, "write_metadata", at);
        NxWire.Zeros(ref r, 6, "write_metadata: zeros", at);
        return new WriteMetadataAction(r.ReadU64("metadata"), r.ReadU64("metadata mask"));
    }

    /// <summary>format_WRITE_METADATA.</summary>
    public override void Format(StringBuilder s)
    {
        s.Append("write_metadata:").Append(OfctlFormat.AltHex(Metadata));
        if (Mask != ulong.MaxValue) s.Append('/').Append(OfctlFormat.AltHex(Mask));
    }
}
