using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// NXT_PACKET_IN2 (Nicira experimenter message, subtype 30) and NXT_RESUME (subtype 28). Open vSwitch
/// sends PACKET_IN2 instead of OFPT_PACKET_IN once the controller asked for it with
/// NXT_SET_PACKET_IN_FORMAT; unlike OFPT_PACKET_IN it carries the <c>controller(userdata=...)</c> bytes
/// and, for <c>controller(pause)</c>, a continuation that the controller sends back in NXT_RESUME to
/// let the pipeline go on.
/// <code>
/// struct nx_packet_in2 {             /* OFPT_EXPERIMENTER */
///     struct ofp_header header;
///     ovs_be32 vendor;               /* NX_VENDOR_ID (0x00002320) */
///     ovs_be32 subtype;              /* 30 (NXT_PACKET_IN2) or 28 (NXT_RESUME) */
///     /* NXPINT_* properties (struct ofp_prop_header TLVs padded to 8):
///        0 packet, 1 full_len (u32), 2 buffer_id (u32), 3 table_id (u8), 4 cookie (be64),
///        5 reason (u8), 6 metadata (OXMs), 7 userdata, 8 continuation (nested NXCPT_*) */
/// };
/// </code>
/// The properties are kept in wire order (<see cref="Properties"/>); the typed accessors read them as
/// OVS does (decode_nx_packet_in2 in lib/ofp-packet.c: a later property of a type wins).
/// </summary>
public sealed record NxPacketIn2(EquatableArray<PacketIn2Property> Properties) : OfpMessage
{
    public const uint PacketIn2Subtype = 30;
    public const uint ResumeSubtype = 28;

    /// <summary>True for NXT_RESUME, false for NXT_PACKET_IN2.</summary>
    public bool IsResume { get; init; }

    public override OfpType Type => OfpType.Experimenter;
    public override string OvsName => IsResume ? "NXT_RESUME" : "NXT_PACKET_IN2";

    public override int BodyLength => 8 + OfpProperty.ListLength(Properties);

    /// <summary>The packet bytes (a slice of the received message).</summary>
    public Bytes Packet => Last<PacketIn2Packet>()?.Data ?? Bytes.Empty;
    /// <summary>The full packet length: NXPINT_FULL_LEN when present and nonzero, else the packet's length.</summary>
    public uint TotalLength => Last<PacketIn2FullLength>() is { Value: not 0 } f ? f.Value : (uint)Packet.Length;
    public uint BufferId => Last<PacketIn2BufferId>()?.Value ?? FlowMod.NoBuffer;
    public byte TableId => Last<PacketIn2TableId>()?.Value ?? 0;
    /// <summary>The flow's cookie, or 0xffffffffffffffff when none was sent (e.g. a packet-out's controller action).</summary>
    public ulong Cookie => Last<PacketIn2Cookie>()?.Value ?? ulong.MaxValue;
    public byte Reason => Last<PacketIn2Reason>()?.Value ?? 0;
    public OfpMatch Metadata => Last<PacketIn2Metadata>()?.Match ?? OfpMatch.Any;
    public Bytes Userdata => Last<PacketIn2Userdata>()?.Data ?? Bytes.Empty;
    /// <summary>The pipeline continuation of a paused packet-in, or null.</summary>
    public PacketIn2Continuation? Continuation => Last<PacketIn2Continuation>();

    /// <summary>The ingress port from the metadata (OXM_OF_IN_PORT), or 0 when absent.</summary>
    public uint InPort => Metadata.Find(MfId.InPortOxm) is { } e ? (uint)e.Value : 0;

    /// <summary>The frame's headers (allocation-free; never throws on short or garbled data).</summary>
    public ParsedPacket ParsePacket() => ParsedPacket.Parse(Packet.Span);

    private T? Last<T>() where T : PacketIn2Property
    {
        T? found = null;
        foreach (var p in Properties) if (p is T t) found = t;
        return found;
    }

    /// <summary>
    /// The NXT_RESUME that continues this paused packet-in: the same properties without userdata and
    /// full_len, as ovs-vswitchd's ofputil_encode_resume builds it. Throws when there is no continuation.
    /// </summary>
    public NxPacketIn2 ToResume(uint xid = 0)
    {
        if (Continuation is null) throw new InvalidOperationException("this packet-in has no continuation (it was not sent by controller(pause))");
        var props = Properties.Where(p => p is not PacketIn2Userdata and not PacketIn2FullLength).ToArray();
        return new NxPacketIn2(props) { IsResume = true, Xid = xid };
    }

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(ActionCodec.NiciraVendor);
        w.WriteU32(IsResume ? ResumeSubtype : PacketIn2Subtype);
        OfpProperty.WriteList(ref w, Properties);
    }

    /// <summary>A malformed PACKET_IN2/RESUME property is a bad length (OFPBPC_BAD_LEN) as OVS reports it.</summary>
    private const OfpErrorKind Kind = OfpErrorKind.BadLength;

    /// <summary>
    /// Reads the properties after the vendor and subtype (decode_nx_packet_in2 and
    /// ofputil_decode_packet_in_private, lib/ofp-packet.c). Like OVS, a message without packet bytes or
    /// with full_len below the packet's length is refused (OFPBRC_BAD_LEN).
    /// </summary>
    internal static NxPacketIn2 Read(uint subtype, ref OfpReader r)
    {
        string owner = subtype == ResumeSubtype ? "NXT_RESUME" : "NXT_PACKET_IN2";
        int start = r.AbsolutePosition;
        var props = new List<PacketIn2Property>();
        while (!r.End)
        {
            var body = OfpPropertyReader.Next(ref r, owner, Kind, out ushort type, out int at);
            props.Add(ReadProperty(owner, type, ref body, at));
        }
        var m = new NxPacketIn2(props.ToArray()) { IsResume = subtype == ResumeSubtype };
        if (m.Packet.IsEmpty)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{owner} carries no packet", start, "OFPBRC_BAD_LEN");
        }
        if (m.Last<PacketIn2FullLength>() is { Value: not 0 } full && full.Value < m.Packet.Length)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength, $"{owner}: full_len {full.Value} is below the {m.Packet.Length} packet bytes", start, "OFPBRC_BAD_LEN");
        }
        return m;
    }

    private static PacketIn2Property ReadProperty(string owner, ushort type, ref OfpReader body, int at)
    {
        switch (type)
        {
            case 0: return new PacketIn2Packet(new Bytes(body.ReadMemory(body.Remaining)));
            case 1: OfpPropertyReader.Fixed(body, 4, owner, "full_len", Kind, at); return new PacketIn2FullLength(body.ReadU32());
            case 2: OfpPropertyReader.Fixed(body, 4, owner, "buffer_id", Kind, at); return new PacketIn2BufferId(body.ReadU32());
            case 3: OfpPropertyReader.Fixed(body, 1, owner, "table_id", Kind, at); return new PacketIn2TableId(body.ReadU8());
            case 4: return new PacketIn2Cookie(OfpPropertyReader.Be64(ref body, owner, "cookie", Kind, at));
            case 5: OfpPropertyReader.Fixed(body, 1, owner, "reason", Kind, at); return new PacketIn2Reason(body.ReadU8());
            case 6:
                {
                    var fields = new List<OxmEntry>();
                    while (!body.End) fields.Add(OxmEntry.Read(ref body));
                    return new PacketIn2Metadata(fields.Count == 0 ? OfpMatch.Any : new OfpMatch(fields.ToArray()));
                }
            case 7: return new PacketIn2Userdata(new Bytes(body.ReadMemory(body.Remaining)));
            case 8:
                {
                    OfpPropertyReader.NestedPad(ref body, owner, "continuation", Kind, at);
                    var inner = new List<ContinuationProperty>();
                    string what = $"{owner} continuation";
                    while (!body.End)
                    {
                        var p = OfpPropertyReader.Next(ref body, what, Kind, out ushort t, out int pat);
                        inner.Add(ReadContinuation(what, t, ref p, pat));
                    }
                    return new PacketIn2Continuation(inner.ToArray());
                }
            default: return new PacketIn2UnknownProperty(type, new Bytes(body.ReadMemory(body.Remaining)));
        }
    }

    private static ContinuationProperty ReadContinuation(string what, ushort type, ref OfpReader body, int at)
    {
        switch (type)
        {
            case 0x8000: OfpPropertyReader.Fixed(body, 16, what, "bridge", Kind, at); return new ContinuationBridge(new Bytes(body.ReadMemory(16)));
            case 0x8001:
                if (body.Remaining > 128)
                {
                    throw new OfpProtocolException(OfpErrorKind.BadLength, $"{what} stack value of {body.Remaining} bytes (at most 128)", at, "OFPBPC_BAD_LEN");
                }
                return new ContinuationStack(new Bytes(body.ReadMemory(body.Remaining)));
            case 0x8002: OfpPropertyReader.Fixed(body, 4, what, "mirrors", Kind, at); return new ContinuationMirrors(body.ReadU32());
            case 0x8003: OfpPropertyReader.Fixed(body, 0, what, "conntracked", Kind, at); return new ContinuationConntracked();
            case 0x8004: OfpPropertyReader.Fixed(body, 1, what, "table_id", Kind, at); return new ContinuationTableId(body.ReadU8());
            case 0x8005: return new ContinuationCookie(OfpPropertyReader.Be64(ref body, what, "cookie", Kind, at));
            case 0x8006 or 0x8007:
                OfpPropertyReader.NestedPad(ref body, what, "actions", Kind, at);
                if (body.Remaining % 8 != 0)
                {
                    // ofpacts_pull_openflow_actions: an action list is a multiple of 8 bytes.
                    throw new OfpProtocolException(OfpErrorKind.BadLength, $"{what} actions are {body.Remaining} bytes, not a multiple of 8", at, "OFPBRC_BAD_LEN");
                }
                return new ContinuationActions(type == 0x8007, ActionCodec.ReadList(ref body, body.Remaining));
            case 0x8008: OfpPropertyReader.Fixed(body, 4, what, "odp_port", Kind, at); return new ContinuationOdpPort(body.ReadU32());
            default: return new ContinuationUnknown(type, new Bytes(body.ReadMemory(body.Remaining)));
        }
    }

    /// <summary>ofputil_packet_in_private_format (lib/ofp-packet.c) at ofp-print's verbosity.</summary>
    public override void FormatBody(StringBuilder s)
    {
        var packet = Packet;
        PacketText.FormatPacketInLine(s, TableId, Cookie, TotalLength, Metadata, Reason, packet.Length, BufferId);
        if (!Userdata.IsEmpty) s.Append(" userdata=").Append(OfctlFormat.HexArg(Userdata.Span)).Append('\n');
        if (Continuation is { } c) FormatContinuation(s, c);
        PacketFlowText.Format(s, packet.Span);
    }

    private static void FormatContinuation(StringBuilder s, PacketIn2Continuation c)
    {
        Bytes bridge = Bytes.Empty;
        uint mirrors = 0, odpPort = 0;
        bool conntracked = false;
        byte table = 0;
        ulong cookie = 0;
        var stack = new List<Bytes>();
        var actions = new StringBuilder();
        var actionSet = new List<OfpAction>();
        foreach (var p in c.Properties)
        {
            switch (p)
            {
                case ContinuationBridge b: bridge = b.Uuid; break;
                case ContinuationStack st: stack.Add(st.Value); break;
                case ContinuationMirrors m: mirrors = m.Value; break;
                case ContinuationConntracked: conntracked = true; break;
                case ContinuationTableId t: table = t.Value; break;
                case ContinuationCookie k: cookie = k.Value; break;
                case ContinuationActions { ActionSet: true } set: actionSet.AddRange(set.Actions); break;
                case ContinuationActions a:
                    // Each group of actions is preceded by OVS's internal unroll_xlate action naming its rule.
                    if (actions.Length > 0) actions.Append(',');
                    actions.Append("unroll_xlate(table=").Append(OfctlFormat.Table(table)).Append(", cookie=").Append(cookie.ToString(CultureInfo.InvariantCulture)).Append(')');
                    foreach (var action in a.Actions)
                    {
                        actions.Append(',');
                        action.Format(actions);
                    }
                    break;
                case ContinuationOdpPort o: odpPort = o.Value; break;
            }
        }
        if (bridge.Span.ContainsAnyExcept((byte)0)) s.Append(" continuation.bridge=").Append(Uuid(bridge.Span)).Append('\n');
        if (stack.Count > 0)
        {
            s.Append(" continuation.stack=(top)");
            foreach (var v in stack) s.Append(' ').Append(OfctlFormat.HexBytes(v.Span));
            s.Append(" (bottom)\n");
        }
        if (mirrors != 0) s.Append(" continuation.mirrors=0x").Append(mirrors.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        if (conntracked) s.Append(" continuation.conntracked=true\n");
        if (actions.Length > 0) s.Append(" continuation.actions=").Append(actions).Append('\n');
        if (actionSet.Count > 0)
        {
            s.Append(" continuation.action_set=");
            OfpAction.FormatList(s, actionSet.ToArray());
            s.Append('\n');
        }
        if (odpPort != 0) s.Append(" continuation.odp_port=").Append(odpPort).Append('\n');
    }

    /// <summary>
    /// UUID_FMT of a struct uuid sent in ovs-vswitchd's host byte order: four 32-bit words, little-endian
    /// on the x86/ARM hosts OVS runs on.
    /// </summary>
    private static string Uuid(ReadOnlySpan<byte> b)
    {
        uint p0 = BinaryPrimitives.ReadUInt32LittleEndian(b), p1 = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        uint p2 = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]), p3 = BinaryPrimitives.ReadUInt32LittleEndian(b[12..]);
        return string.Create(CultureInfo.InvariantCulture, $"{p0:x8}-{p1 >> 16:x4}-{p1 & 0xffff:x4}-{p2 >> 16:x4}-{p2 & 0xffff:x4}{p3:x8}");
    }
}
