using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>
/// Nicira (vendor 0x00002320) experimenter actions that Open vSwitch implements.
/// <code>
/// struct nx_action_header {
///     ovs_be16 type;      /* OFPAT_EXPERIMENTER (0xffff) */
///     ovs_be16 len;       /* multiple of 8 */
///     ovs_be32 vendor;    /* NX_VENDOR_ID (0x00002320) */
///     ovs_be16 subtype;   /* NXAST_* */
///     /* subtype-specific body */
/// };
/// </code>
/// </summary>
public static class NiciraActions
{
    public const ushort Resubmit = 1;
    public const ushort RegMove = 6;
    public const ushort RegLoad = 7;
    public const ushort Note = 8;
    public const ushort ResubmitTable = 14;
    public const ushort Multipath = 10;
    public const ushort Learn = 16;
    public const ushort Controller = 20;
    public const ushort Ct = 35;
    public const ushort Nat = 36;
    public const ushort Controller2 = 37;
    public const ushort ResubmitTableCt = 44;
    public const ushort OutputReg = 15;
    public const ushort Exit = 17;
    public const ushort DecTtlCntIds = 21;
    public const ushort OutputReg2 = 32;
    public const ushort CtClear = 43;
    public const ushort Learn2 = 45;
    public const ushort PopQueue = 5;
    public const ushort Bundle = 12;
    public const ushort BundleLoad = 13;
    public const ushort FinTimeout = 19;
    public const ushort StackPush = 27;
    public const ushort StackPop = 28;
    public const ushort Sample = 29;
    public const ushort Conjunction = 34;
    public const ushort Sample2 = 38;
    public const ushort Sample3 = 41;
    public const ushort Clone = 42;
    public const ushort CheckPktLarger = 49;
    public const ushort OutputTrunc = 39;
    public const ushort SetTunnel = 2;
    public const ushort SetTunnel64 = 9;
    public const ushort WriteMetadata = 22;
    public const ushort DecNshTtl = 48;
    public const ushort RegLoad2 = 33;

    /// <summary>Writes type, len, vendor and subtype (10 bytes).</summary>
    internal static void WriteHeader(ref OfpWriter w, ushort len, ushort subtype)
    {
        w.WriteU16(0xffff);
        w.WriteU16(len);
        w.WriteU32(ActionCodec.NiciraVendor);
        w.WriteU16(subtype);
    }

    /// <summary>
    /// Decodes a Nicira action body (the reader is positioned after the subtype). Returns null for
    /// subtypes this codec keeps as raw bytes.
    /// </summary>
    internal static OfpAction? Read(ushort subtype, ref OfpReader r, ReadOnlyMemory<byte> whole, int at) => subtype switch
    {
        RegMove => RegMoveAction.Read(ref r, at),
        RegLoad => RegLoadAction.Read(ref r, at),
        Resubmit or ResubmitTable or ResubmitTableCt => ResubmitAction.Read(subtype, ref r, at),
        Learn or Learn2 => LearnAction.Read(subtype, ref r, at),
        Multipath => MultipathAction.Read(ref r, at),
        Controller => ControllerAction.Read(ref r, at),
        Controller2 => Controller2Action.Read(ref r, at),
        Note => NoteAction.Read(ref r, at),
        Ct => CtAction.Read(ref r, at),
        Nat => NatAction.Read(ref r, at),
        CtClear => CtClearAction.Read(ref r, at),
        Exit => ExitAction.Read(ref r, at),
        DecTtlCntIds => DecTtlCntIdsAction.Read(ref r, at),
        OutputReg or OutputReg2 => OutputRegAction.Read(subtype, ref r, at),
        PopQueue => PopQueueAction.Read(ref r, at),
        Bundle or BundleLoad => BundleAction.Read(subtype, ref r, at),
        FinTimeout => FinTimeoutAction.Read(ref r, at),
        StackPush or StackPop => StackAction.Read(subtype, ref r, at),
        Sample or Sample2 or Sample3 => SampleAction.Read(subtype, ref r, at),
        Conjunction => ConjunctionAction.Read(ref r, at),
        Clone => CloneAction.Read(ref r, at),
        CheckPktLarger => CheckPktLargerAction.Read(ref r, at),
        OutputTrunc => OutputTruncAction.Read(ref r, at),
        SetTunnel or SetTunnel64 => SetTunnelAction.Read(subtype, ref r, at),
        WriteMetadata => WriteMetadataAction.Read(ref r, at),
        DecNshTtl => DecNshTtlAction.Read(ref r, at),
        RegLoad2 => RegLoad2Action.Read(ref r, whole),
        _ => null,
    };
}
