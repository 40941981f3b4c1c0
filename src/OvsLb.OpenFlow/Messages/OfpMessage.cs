using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>OpenFlow 1.3 message types (OpenFlow 1.3.5 §7.1, enum ofp_type).</summary>
public enum OfpType : byte
{
    Hello = 0, Error = 1, EchoRequest = 2, EchoReply = 3, Experimenter = 4,
    FeaturesRequest = 5, FeaturesReply = 6, GetConfigRequest = 7, GetConfigReply = 8, SetConfig = 9,
    PacketIn = 10, FlowRemoved = 11, PortStatus = 12,
    PacketOut = 13, FlowMod = 14, GroupMod = 15, PortMod = 16, TableMod = 17,
    MultipartRequest = 18, MultipartReply = 19,
    BarrierRequest = 20, BarrierReply = 21, QueueGetConfigRequest = 22, QueueGetConfigReply = 23,
    RoleRequest = 24, RoleReply = 25, GetAsyncRequest = 26, GetAsyncReply = 27, SetAsync = 28, MeterMod = 29,
}

/// <summary>
/// An OpenFlow message: an immutable value that knows its type, its encoded body length and how to
/// print itself as <c>ovs-ofctl ofp-print</c> does. Messages know nothing about connections.
/// <code>
/// struct ofp_header {          /* OpenFlow 1.3.5 §7.1.1 */
///     uint8_t  version;        /* 0x04 */
///     uint8_t  type;           /* enum ofp_type */
///     uint16_t length;         /* including this header */
///     uint32_t xid;
/// };
/// </code>
/// </summary>
public abstract record OfpMessage
{
    public const byte Version13 = 0x04;
    public const int HeaderLength = 8;

    private uint _xid;

    public uint Xid { get => _xid; init => _xid = value; }

    /// <summary>
    /// Sets the xid of a message the decoder has just built and not yet handed out, so decoding does
    /// not copy every message with <c>with { Xid = .. }</c>. Nothing else may call it: messages are immutable.
    /// </summary>
    internal void SetDecodedXid(uint xid) => _xid = xid;

    public abstract OfpType Type { get; }

    /// <summary>Header version byte: 0x04, except HELLO which may carry the sender's highest version.</summary>
    public virtual byte Version => Version13;

    /// <summary>Bytes after the 8-byte header.</summary>
    public abstract int BodyLength { get; }

    public int WireLength => HeaderLength + BodyLength;

    internal abstract void WriteBody(ref OfpWriter w);

    /// <summary>The message's name as ovs-ofctl prints it (ofpraw name), e.g. <c>OFPT_FLOW_MOD</c>, <c>OFPST_FLOW reply</c>.</summary>
    public abstract string OvsName { get; }

    /// <summary>Appends what ofp-print prints after the header (may start with ' ' or '\n').</summary>
    public abstract void FormatBody(StringBuilder s);

    public sealed override string ToString() => Text.OfpPrinter.Print(this);
}

/// <summary>A message with an empty body (FEATURES_REQUEST, GET_CONFIG_REQUEST, BARRIER, GET_ASYNC_REQUEST).</summary>
public sealed record EmptyMessage(OfpType Kind) : OfpMessage
{
    public override OfpType Type => Kind;
    public override int BodyLength => 0;
    internal override void WriteBody(ref OfpWriter w) { }

    public override string OvsName => Kind switch
    {
        OfpType.FeaturesRequest => "OFPT_FEATURES_REQUEST",
        OfpType.GetConfigRequest => "OFPT_GET_CONFIG_REQUEST",
        OfpType.BarrierRequest => "OFPT_BARRIER_REQUEST",
        OfpType.BarrierReply => "OFPT_BARRIER_REPLY",
        OfpType.GetAsyncRequest => "OFPT_GET_ASYNC_REQUEST",
        _ => "OFPT_" + Kind.ToString().ToUpperInvariant(),
    };

    public override void FormatBody(StringBuilder s) { }

    public static EmptyMessage FeaturesRequest(uint xid = 0) => new(OfpType.FeaturesRequest) { Xid = xid };
    public static EmptyMessage BarrierRequest(uint xid = 0) => new(OfpType.BarrierRequest) { Xid = xid };
    public static EmptyMessage BarrierReply(uint xid = 0) => new(OfpType.BarrierReply) { Xid = xid };
    public static EmptyMessage GetConfigRequest(uint xid = 0) => new(OfpType.GetConfigRequest) { Xid = xid };
    public static EmptyMessage GetAsyncRequest(uint xid = 0) => new(OfpType.GetAsyncRequest) { Xid = xid };
}

/// <summary>ECHO_REQUEST / ECHO_REPLY with an arbitrary payload (§7.5.2, §7.5.3).</summary>
public sealed record EchoMessage(bool IsReply, Bytes Data) : OfpMessage
{
    public override OfpType Type => IsReply ? OfpType.EchoReply : OfpType.EchoRequest;
    public override int BodyLength => Data.Length;
    internal override void WriteBody(ref OfpWriter w) => w.WriteBytes(Data.Span);
    public override string OvsName => IsReply ? "OFPT_ECHO_REPLY" : "OFPT_ECHO_REQUEST";
    /// <summary>ofp_print_echo at ofp-print's verbosity (2): the payload size, then a hex dump of the payload.</summary>
    public override void FormatBody(StringBuilder s)
    {
        s.Append(' ').Append(Data.Length).Append(" bytes of payload\n");
        Text.OfpPrinter.HexDump(s, Data.Span);
    }

    /// <summary>The reply a peer must send to this request: same xid, same payload.</summary>
    public EchoMessage ReplyTo() => this with { IsReply = true };
}

/// <summary>
/// HELLO (§7.5.1). The header version is the sender's highest version (OVS 3.1 sends 0x06), so HELLO
/// is decoded whatever its version. The elements are kept as sent; <see cref="Bitmaps"/> reads the
/// version-bitmap element out of them.
/// <code>
/// struct ofp_hello_elem_header { uint16_t type; uint16_t length; };     /* padded to 8 */
/// struct ofp_hello_elem_versionbitmap { uint16_t type /* 1 */; uint16_t length; uint32_t bitmaps[]; };
/// </code>
/// </summary>
public sealed record HelloMessage(byte HeaderVersion, Bytes Elements) : OfpMessage
{
    /// <summary>A HELLO offering exactly the given versions (OpenFlow 1.3 only by default).</summary>
    public static HelloMessage Offering(uint xid = 0, params byte[] versions)
    {
        if (versions.Length == 0) versions = [Version13];
        byte max = versions.Max();
        int words = max / 32 + 1;
        var bitmaps = new uint[words];
        foreach (var v in versions) bitmaps[v / 32] |= 1u << (v % 32);
        var body = new byte[Pad.To8(4 + 4 * words)];
        var w = new OfpWriter(body);
        w.WriteU16(1);
        w.WriteU16((ushort)(4 + 4 * words));
        foreach (var b in bitmaps) w.WriteU32(b);
        return new HelloMessage(max, new Bytes(body)) { Xid = xid };
    }

    public override byte Version => HeaderVersion;
    public override OfpType Type => OfpType.Hello;
    public override int BodyLength => Elements.Length;
    internal override void WriteBody(ref OfpWriter w) => w.WriteBytes(Elements.Span);

    /// <summary>The version bitmap words, or empty when the HELLO carries no bitmap element.</summary>
    public uint[] Bitmaps
    {
        get
        {
            var r = new OfpReader(Elements.Memory);
            while (r.Remaining >= 4)
            {
                ushort type = r.ReadU16();
                ushort len = r.ReadU16();
                if (len < 4 || len - 4 > r.Remaining) break;
                if (type == 1)
                {
                    var words = new uint[(len - 4) / 4];
                    for (int i = 0; i < words.Length; i++) words[i] = r.ReadU32();
                    return words;
                }
                r.Skip(Math.Min(Pad.To8(len) - 4, r.Remaining));
            }
            return [];
        }
    }

    /// <summary>
    /// The versions the sender allows, one bit per version (bit 4 = OpenFlow 1.3), as OVS's
    /// ofputil_decode_hello computes them: every version from 0x01 up to the header version, replaced by
    /// the first word of each well-formed version-bitmap element (bit 0, "version 0", cleared; an
    /// element with no version left is ignored). Versions above 31 are not representable, as in OVS.
    /// </summary>
    public uint AllowedVersions => Decode().Allowed;

    /// <summary>
    /// False when OVS would report "unknown data in hello": an element of another type, a malformed
    /// bitmap element (length not a positive multiple of 4 words, or no version in it), or an element
    /// whose 8-byte padding runs past the message.
    /// </summary>
    public bool FullyUnderstood => Decode().Ok;

    private (uint Allowed, bool Ok) Decode()
    {
        uint allowed = HeaderVersion < 32 ? ((1u << HeaderVersion) - 1) << 1 : 0xfffffffeu;
        var r = new OfpReader(Elements.Memory);
        bool ok = true;
        while (!r.End)
        {
            if (r.Remaining < 4) return (allowed, false);
            ushort type = r.ReadU16();
            ushort len = r.ReadU16();
            if (len < 4 || Pad.To8(len) - 4 > r.Remaining) return (allowed, false);
            var body = r.ReadSub(len - 4, "hello element");
            r.Skip(Pad.To8(len) - len);
            if (type != 1 || body.Remaining == 0 || body.Remaining % 4 != 0)
            {
                ok = false;
                continue;
            }
            uint word = body.ReadU32() & ~1u;
            if (word == 0) ok = false;
            else allowed = word;
        }
        return (allowed, ok);
    }

    /// <summary>True when the peer can speak <paramref name="version"/> (OVS's reading of the HELLO, §7.5.1).</summary>
    public bool Supports(byte version) => version < 32 && (AllowedVersions & (1u << version)) != 0;

    public override string OvsName => "OFPT_HELLO";

    /// <summary>
    /// ofputil_hello_format: <c>\n version bitmap: 0x01, 0x04</c>, then, when some element was not
    /// understood, <c>\n unknown data in hello:</c> and a hex dump of the whole message.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        var (allowed, ok) = Decode();
        s.Append("\n version bitmap: ");
        bool first = true;
        for (int v = 0; v < 32; v++)
        {
            if ((allowed & (1u << v)) == 0) continue;
            if (!first) s.Append(", ");
            s.Append("0x").Append(v.ToString("x2"));
            first = false;
        }
        if (!ok)
        {
            s.Append("\n unknown data in hello:\n");
            Text.OfpPrinter.HexDump(s, OfpEncoder.ToArray(this));
            return;
        }
        s.Append('\n');
    }

    /// <summary>Checks each element's length (≥ 4, inside the message) and keeps the bytes as sent.</summary>
    internal static HelloMessage Read(byte version, ref OfpReader r)
    {
        var all = r.RestMemory;
        while (r.Remaining >= 4)
        {
            int at = r.AbsolutePosition;
            r.ReadU16("hello element type");
            ushort len = r.ReadU16("hello element length");
            if (len < 4) throw new OfpProtocolException(OfpErrorKind.BadLength, $"hello element length {len} below 4", at);
            if (len - 4 > r.Remaining) throw new OfpProtocolException(OfpErrorKind.BadLength, $"hello element length {len} overruns the message", at);
            r.Skip(Math.Min(Pad.To8(len) - 4, r.Remaining));
        }
        r.Skip(r.Remaining);
        return new HelloMessage(version, new Bytes(all));
    }
}
