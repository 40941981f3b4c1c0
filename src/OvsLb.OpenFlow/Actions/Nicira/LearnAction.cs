using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>NX_LEARN_F_* flags of a learn action.</summary>
[Flags]
public enum LearnFlags : ushort
{
    None = 0,
    /// <summary>Learned flows get OFPFF_SEND_FLOW_REM.</summary>
    SendFlowRem = 1,
    /// <summary>Removing this learn action's flow deletes the flows it learned.</summary>
    DeleteLearned = 2,
    /// <summary>NXAST_LEARN2 only: write success (1) or failure (0) to <see cref="LearnAction.ResultDst"/>. Set by the encoder from ResultDst.</summary>
    WriteResult = 4,
}

/// <summary>
/// NXAST_LEARN (16) and NXAST_LEARN2 (45): add or modify a flow in another table from the packet being
/// processed. The load balancer learns gateway MACs this way (an ARP reply from the gateway writes a
/// flow that rewrites eth_dst for traffic routed through it). Build one with an object initializer and
/// <see cref="LearnSpec"/>'s factories; OVS's defaults (table 1, priority 32768, no timeouts) apply.
/// <code>
/// struct nx_action_learn {
///     ovs_be16 type, len;          /* 0xffff, multiple of 8, >= 32 */
///     ovs_be32 vendor;             /* 0x00002320 */
///     ovs_be16 subtype;            /* 16 */
///     ovs_be16 idle_timeout, hard_timeout, priority;
///     ovs_be64 cookie;
///     ovs_be16 flags;              /* NX_LEARN_F_* */
///     uint8_t table_id, pad;       /* table 255 is invalid; pad must be 0 */
///     ovs_be16 fin_idle_timeout, fin_hard_timeout;
///     /* flow_mod_spec[], zero padding to 8 */
/// };                               /* 32 bytes */
/// struct nx_action_learn2 {        /* subtype 45 */
///     struct nx_action_learn up;
///     ovs_be32 limit;              /* max learned flows, 0 = unlimited */
///     ovs_be16 result_dst_ofs;     /* bit offset in result_dst, 0 without WRITE_RESULT */
///     ovs_be16 pad2;
///     /* result_dst field header (4 or 8 bytes) if NX_LEARN_F_WRITE_RESULT, flow_mod_spec[], padding */
/// };                               /* 40 bytes */
/// </code>
/// Prints as learn_format: <c>learn(table=5,hard_timeout=300,priority=10,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],...)</c>.
/// </summary>
public sealed record LearnAction : OfpAction
{
    public const ushort DefaultPriority = 0x8000;

    public byte TableId { get; init; } = 1;
    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public ushort Priority { get; init; } = DefaultPriority;
    public ulong Cookie { get; init; }
    /// <summary>SendFlowRem / DeleteLearned. WriteResult is derived from <see cref="ResultDst"/>.</summary>
    public LearnFlags Flags { get; init; }
    public ushort FinIdleTimeout { get; init; }
    public ushort FinHardTimeout { get; init; }
    /// <summary>NXAST_LEARN2: at most this many learned flows (0 = no limit).</summary>
    public uint Limit { get; init; }
    /// <summary>NXAST_LEARN2: one bit that receives 1 when the flow was learned, 0 when the limit stopped it.</summary>
    public Subfield? ResultDst { get; init; }
    /// <summary>Encode as NXAST_LEARN2 even without a limit or result_dst (set when decoded from subtype 45).</summary>
    public bool Learn2 { get; init; }
    public EquatableArray<LearnSpec> Specs { get; init; } = EquatableArray<LearnSpec>.Empty;

    private bool IsLearn2 => Learn2 || Limit != 0 || ResultDst is not null;

    private ushort WireFlags => (ushort)((Flags & ~LearnFlags.WriteResult) | (ResultDst is not null ? LearnFlags.WriteResult : 0));

    private int UnpaddedLength
    {
        get
        {
            int n = IsLearn2 ? 40 : 32;
            if (ResultDst is { } rd) n += rd.Ref.WireLength;
            foreach (var sp in Specs) n += sp.WireLength;
            return n;
        }
    }

    public override int WireLength => Pad.To8(UnpaddedLength);

    internal override void Write(ref OfpWriter w)
    {
        int start = w.Position;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, IsLearn2 ? NiciraActions.Learn2 : NiciraActions.Learn);
        w.WriteU16(IdleTimeout);
        w.WriteU16(HardTimeout);
        w.WriteU16(Priority);
        w.WriteU64(Cookie);
        w.WriteU16(WireFlags);
        w.WriteU8(TableId);
        w.WriteU8(0);
        w.WriteU16(FinIdleTimeout);
        w.WriteU16(FinHardTimeout);
        if (IsLearn2)
        {
            w.WriteU32(Limit);
            w.WriteU16((ushort)(ResultDst?.Ofs ?? 0));
            w.WriteU16(0);
            ResultDst?.Ref.Write(ref w);
        }
        foreach (var sp in Specs) sp.Write(ref w);
        w.PadTo8(start);
    }

    /// <summary>decode_NXAST_RAW_LEARN / decode_NXAST_RAW_LEARN2 / decode_LEARN_specs (lib/ofp-actions.c).</summary>
    internal static LearnAction Read(ushort subtype, ref OfpReader r, int at)
    {
        bool learn2 = subtype == NiciraActions.Learn2;
        string name = learn2 ? "learn2" : "learn";
        NxWire.ExpectMinLength(r, learn2 ? 40 : 32, name, at);
        var a = new LearnAction
        {
            IdleTimeout = r.ReadU16("learn idle_timeout"),
            HardTimeout = r.ReadU16("learn hard_timeout"),
            Priority = r.ReadU16("learn priority"),
            Cookie = r.ReadU64("learn cookie"),
        };
        var flags = (LearnFlags)r.ReadU16("learn flags");
        byte table = r.ReadU8("learn table_id");
        NxWire.Zeros(ref r, 1, $"{name}: pad", at);
        if (table == 255) throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: table 255 is not a valid table for learned flows", at);
        a = a with { TableId = table, FinIdleTimeout = r.ReadU16("learn fin_idle_timeout"), FinHardTimeout = r.ReadU16("learn fin_hard_timeout") };
        var allowed = LearnFlags.SendFlowRem | LearnFlags.DeleteLearned | (learn2 ? LearnFlags.WriteResult : 0);
        if ((flags & ~allowed) != 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: unknown flags 0x{(ushort)(flags & ~allowed):x}", at);
        }
        if (learn2)
        {
            uint limit = r.ReadU32("learn2 limit");
            ushort resultOfs = r.ReadU16("learn2 result_dst_ofs");
            NxWire.Zeros(ref r, 2, "learn2: pad2", at);
            Subfield? resultDst = null;
            if (flags.HasFlag(LearnFlags.WriteResult))
            {
                var fr = FieldRef.Read(ref r);
                if ((fr.Header & 0x100) != 0) throw new OfpProtocolException(OfpErrorKind.BadAction, "learn2 result_dst: field header has the mask bit set", at);
                resultDst = NxWire.Dst(fr, resultOfs, 1, "learn2 result_dst", at);
            }
            else if (resultOfs != 0)
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, "learn2: result_dst_ofs is set without NX_LEARN_F_WRITE_RESULT", at);
            }
            a = a with { Limit = limit, ResultDst = resultDst, Learn2 = true };
        }
        a = a with { Flags = flags & ~LearnFlags.WriteResult };
        return a with { Specs = ReadSpecs(ref r, name, at) };
    }

    private static EquatableArray<LearnSpec> ReadSpecs(ref OfpReader r, string name, int at)
    {
        var specs = new List<LearnSpec>();
        while (r.Remaining > 0)
        {
            int specAt = r.AbsolutePosition;
            ushort header = r.ReadU16("learn spec header");
            if (header == 0)
            {
                NxWire.TrailingPad(ref r, name, at);
                break;
            }
            if ((header & 0xc000) != 0)
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: spec header 0x{header:x4} has reserved bits set", specAt);
            }
            int nBits = header & 0x3ff;
            bool immediate = (header & LearnSpec.SrcImmediate) != 0;
            int dstType = (header >> 11) & 3;
            if (dstType == 3 || (dstType == 2 && immediate))
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: spec header 0x{header:x4} has an invalid source/destination combination", specAt);
            }
            int need = (immediate ? LearnSpec.ImmediateWireBytes(nBits) : 6) + (dstType == 2 ? 0 : 6);
            if (need > r.Remaining)
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: spec needs {need} bytes after its header, {r.Remaining} left in the action", specAt);
            }
            FieldRef srcRef = default;
            int srcOfs = 0;
            ReadOnlyMemory<byte> imm = default;
            if (immediate)
            {
                imm = r.ReadMemory(LearnSpec.ImmediateWireBytes(nBits), "learn immediate");
            }
            else
            {
                srcRef = NxWire.ReadHeader32(ref r, "learn src field");
                srcOfs = r.ReadU16("learn src_ofs");
            }
            FieldRef dstRef = default;
            int dstOfs = 0;
            if (dstType != 2)
            {
                dstRef = NxWire.ReadHeader32(ref r, "learn dst field");
                dstOfs = r.ReadU16("learn dst_ofs");
            }
            // Destination first: its check bounds n_bits to the field width before an immediate is converted.
            LearnSpec spec;
            switch (dstType)
            {
                case 0:
                    var matchDst = NxWire.Src(dstRef, dstOfs, nBits, $"{name} match", specAt);
                    spec = immediate
                        ? new LearnMatchValue(matchDst, Immediate(imm.Span, nBits, name, specAt))
                        : new LearnMatchField(matchDst, NxWire.Src(srcRef, srcOfs, nBits, $"{name} match source", specAt));
                    break;
                case 1:
                    var loadDst = NxWire.Dst(dstRef, dstOfs, nBits, $"{name} load", specAt);
                    spec = immediate
                        ? new LearnLoadValue(Immediate(imm.Span, nBits, name, specAt), loadDst)
                        : new LearnLoadField(NxWire.Src(srcRef, srcOfs, nBits, $"{name} load source", specAt), loadDst);
                    break;
                default:
                    spec = new LearnOutput(NxWire.Src(srcRef, srcOfs, nBits, $"{name} output", specAt));
                    break;
            }
            specs.Add(spec);
        }
        return new EquatableArray<LearnSpec>(specs.ToArray());
    }

    /// <summary>
    /// The immediate's significant bytes (OVS keeps the last ceil(n/8) of the 2*ceil(n/16) wire bytes).
    /// The destination check has already bounded n_bits to the field width (at most 128 bits).
    /// </summary>
    private static UInt128 Immediate(ReadOnlySpan<byte> wire, int nBits, string name, int at)
    {
        int ignored = wire.Length - LearnSpec.ImmediateBytes(nBits);
        if (wire[..ignored].ContainsAnyExcept((byte)0))
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, $"{name}: immediate padding byte is not zero", at);
        }
        UInt128 v = 0;
        foreach (var b in wire) v = (v << 8) | b;
        return v;
    }

    public override void Format(StringBuilder s)
    {
        s.Append("learn(table=").Append(OfctlFormat.Table(TableId));
        if (IdleTimeout != 0) s.Append(",idle_timeout=").Append(IdleTimeout);
        if (HardTimeout != 0) s.Append(",hard_timeout=").Append(HardTimeout);
        if (FinIdleTimeout != 0) s.Append(",fin_idle_timeout=").Append(FinIdleTimeout);
        if (FinHardTimeout != 0) s.Append(",fin_hard_timeout=").Append(FinHardTimeout);
        if (Priority != DefaultPriority) s.Append(",priority=").Append(Priority);
        if (Flags.HasFlag(LearnFlags.SendFlowRem)) s.Append(",send_flow_rem");
        if (Flags.HasFlag(LearnFlags.DeleteLearned)) s.Append(",delete_learned");
        if (Cookie != 0) s.Append(",cookie=").Append(OfctlFormat.AltHex(Cookie));
        if (Limit != 0) s.Append(",limit=").Append(Limit);
        if (ResultDst is { } rd) s.Append(",result_dst=").Append(rd.ToString());
        foreach (var sp in Specs)
        {
            s.Append(',');
            sp.Format(s);
        }
        s.Append(')');
    }
}
