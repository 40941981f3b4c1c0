using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages.Nicira;

/// <summary>
/// A Nicira extension message (OVS's NXT_*): in OpenFlow 1.3 an OFPT_EXPERIMENTER with experimenter
/// 0x00002320 and the Nicira subtype as exp_type, followed by the extension's own body.
/// <code>
/// struct nicira_header {
///     struct ofp_header header;  /* type OFPT_EXPERIMENTER (4) */
///     uint32_t vendor;           /* NX_VENDOR_ID (0x00002320) */
///     uint32_t subtype;          /* NXT_* */
/// };                             /* 16 bytes */
/// </code>
/// </summary>
public abstract record NiciraMessage : OfpMessage
{
    /// <summary>The NXT_* subtype (exp_type).</summary>
    public abstract uint Subtype { get; }

    public sealed override OfpType Type => OfpType.Experimenter;

    /// <summary>Bytes after the 16-byte Nicira header.</summary>
    internal abstract int PayloadLength { get; }

    internal abstract void WritePayload(ref OfpWriter w);

    public sealed override int BodyLength => 8 + PayloadLength;

    internal sealed override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(Actions.ActionCodec.NiciraVendor);
        w.WriteU32(Subtype);
        WritePayload(ref w);
    }
}

/// <summary>Nicira subtypes this codec decodes (include/openvswitch/ofp-msgs.h, "NXT 1.0+ (n)").</summary>
internal static class NiciraCodec
{
    public const uint SetPacketInFormat = 16;
    public const uint TlvTableMod = 24;
    public const uint TlvTableRequest = 25;
    public const uint TlvTableReply = 26;
    public const uint CtFlushZone = 29;
    public const uint CtFlush = 32;

    /// <summary>
    /// Decodes the body after the Nicira header, or returns null (reading nothing) for a subtype
    /// handled elsewhere or not at all.
    /// </summary>
    public static OfpMessage? TryRead(uint subtype, ref OfpReader r) => subtype switch
    {
        SetPacketInFormat => Nicira.SetPacketInFormat.Read(ref r),
        TlvTableMod => Nicira.TlvTableMod.Read(ref r),
        TlvTableRequest => Nicira.TlvTableRequest.Read(ref r),
        TlvTableReply => Nicira.TlvTableReply.Read(ref r),
        CtFlushZone => Nicira.CtFlushZone.Read(ref r),
        CtFlush => Nicira.CtFlush.Read(ref r),
        _ => null,
    };

    /// <summary>Skips <paramref name="n"/> bytes that must be zero (OVS: NXBRC_MUST_BE_ZERO where it checks).</summary>
    public static void Zeros(ref OfpReader r, int n, string what)
    {
        int at = r.AbsolutePosition;
        foreach (var b in r.ReadMemory(n, what).Span)
        {
            if (b != 0)
            {
                throw new OfpProtocolException(OfpErrorKind.BadValue, $"{what} must be zero", at, "NXBRC_MUST_BE_ZERO");
            }
        }
    }
}
