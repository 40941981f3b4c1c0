namespace OvsLb.State;

/// <summary>
/// The 64-bit flow cookie this controller writes, so its flows are recognisable in any
/// <c>ovs-ofctl dump-flows</c> and flows it does not own are left alone:
/// <code>
///  63            48 47      40 39                                0
/// +----------------+----------+-----------------------------------+
/// |   signature    | feature  |             object id             |
/// |  0x4c42 ("LB") | (table / |  (service, backend, gateway, ...) |
/// |                |  purpose)|                                   |
/// +----------------+----------+-----------------------------------+
/// </code>
/// </summary>
public readonly record struct CookieLayout(ushort Signature)
{
    public const ushort DefaultSignature = 0x4c42;
    public const ulong SignatureMask = 0xffff_0000_0000_0000UL;

    /// <summary>Feature byte of flows the datapath learns (NXAST_LEARN cookies): they carry the signature,
    /// so a dump shows whose they are, but the reconciler neither owns nor deletes them.</summary>
    public const byte LearnedFeature = 0xff;

    public ulong Make(byte feature, ulong objectId) =>
        ((ulong)Signature << 48) | ((ulong)feature << 40) | (objectId & 0xff_ffff_ffffUL);

    public bool Owns(ulong cookie) => (cookie & SignatureMask) == (ulong)Signature << 48 && Feature(cookie) != LearnedFeature;

    /// <summary>True for a flow the datapath learned from one of our learn actions.</summary>
    public bool IsLearned(ulong cookie) => (cookie & SignatureMask) == (ulong)Signature << 48 && Feature(cookie) == LearnedFeature;

    public static byte Feature(ulong cookie) => (byte)(cookie >> 40);
    public static ulong ObjectId(ulong cookie) => cookie & 0xff_ffff_ffffUL;
}
