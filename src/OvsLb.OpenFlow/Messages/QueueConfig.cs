using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// OFPT_QUEUE_GET_CONFIG_REQUEST (OpenFlow 1.3.5 §7.3.6): asks which queues a port has and their
/// rates. OVS answers for one port at a time; OFPP_ANY is accepted (OVS then reports every port).
/// <code>
/// struct ofp_queue_get_config_request {
///     struct ofp_header header;
///     uint32_t port;         /* port to query; OFPP_ANY: all ports */
///     uint8_t pad[4];
/// };                         /* 16 bytes */
/// </code>
/// </summary>
public sealed record QueueGetConfigRequest(uint Port) : OfpMessage
{
    public override OfpType Type => OfpType.QueueGetConfigRequest;
    public override string OvsName => "OFPT_QUEUE_GET_CONFIG_REQUEST";
    public override int BodyLength => 8;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(Port);
        w.WriteZeros(4);
    }

    internal static QueueGetConfigRequest Read(ref OfpReader r)
    {
        var m = new QueueGetConfigRequest(r.ReadU32("port"));
        QueueWire.Zeros(ref r, 4, "queue get config request padding");
        return m;
    }

    /// <summary>
    /// ofputil_queue_get_config_request_format: <c> port=1</c>. OVS refuses reserved ports other than
    /// ANY (OFPQOFC_BAD_PORT, so <c>LOCAL</c> is a decode error) and numbers between 0xff00 and
    /// 0xffffff00 (OFPBAC_BAD_OUT_PORT).
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (!OfpPrinter.IsOvsPort(Port)) OfpPrinter.DecodeError(s, this, "OFPBAC_BAD_OUT_PORT");
        else if (Port >= 0xff00 && Port != OfctlFormat.Ports.Any) OfpPrinter.DecodeError(s, this, "OFPQOFC_BAD_PORT");
        else s.Append(" port=").Append(OfctlFormat.Port(Port));
    }
}

/// <summary>Padding checks: padding that is not zero could not be re-encoded byte for byte, so it is refused.</summary>
internal static class QueueWire
{
    public static void Zeros(ref OfpReader r, int n, string what)
    {
        int at = r.AbsolutePosition;
        if (r.ReadMemory(n, what).Span.IndexOfAnyExcept((byte)0) >= 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadValue, $"{what} must be zero", at);
        }
    }
}

/// <summary>Queue property types (OpenFlow 1.3.5 §7.3.6, enum ofp_queue_properties).</summary>
public enum QueuePropertyType : ushort { MinRate = 1, MaxRate = 2, Experimenter = 0xffff }

/// <summary>
/// One property of a queue (OpenFlow 1.3.5 §7.3.6). MIN_RATE and MAX_RATE carry a rate in tenths of
/// a percent (above 1000: disabled); other properties are kept as sent.
/// <code>
/// struct ofp_queue_prop_header { uint16_t property; uint16_t len; uint8_t pad[4]; };   /* 8 bytes */
/// struct ofp_queue_prop_min_rate { struct ofp_queue_prop_header prop_header;
///                                  uint16_t rate; uint8_t pad[6]; };                 /* 16 bytes */
/// </code>
/// </summary>
public abstract record QueueProperty
{
    public abstract int WireLength { get; }
    internal abstract void Write(ref OfpWriter w);

    /// <summary>
    /// Reads one property of the <paramref name="r"/> bytes left for the queue's properties. Its length
    /// must be at least 8, a multiple of 8 and inside the queue; a rate property must be exactly 16
    /// bytes (OVS: OFPBRC_BAD_LEN).
    /// </summary>
    internal static QueueProperty Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        ushort type = r.PeekU16("queue property type");
        ushort len = r.PeekU16At(2, "queue property length");
        if (len < 8 || len % 8 != 0 || len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"queue property length {len} must be a multiple of 8, at least 8 and within the {r.Remaining} bytes left", at, "OFPBRC_BAD_LEN");
        }
        var p = r.ReadSub(len, "queue property");
        if (type is (ushort)QueuePropertyType.MinRate or (ushort)QueuePropertyType.MaxRate)
        {
            if (len != 16)
            {
                throw new OfpProtocolException(OfpErrorKind.BadLength, $"queue rate property length {len} is not 16", at, "OFPBRC_BAD_LEN");
            }
            p.Skip(4);
            QueueWire.Zeros(ref p, 4, "queue property padding");
            ushort rate = p.ReadU16("rate");
            QueueWire.Zeros(ref p, 6, "queue rate padding");
            return new QueueRateProperty((QueuePropertyType)type, rate);
        }
        return new RawQueueProperty(new Bytes(p.RestMemory));
    }
}

/// <summary>OFPQT_MIN_RATE / OFPQT_MAX_RATE: the guaranteed or maximum rate in 1/10 of a percent.</summary>
public sealed record QueueRateProperty(QueuePropertyType Kind, ushort Rate) : QueueProperty
{
    public override int WireLength => 16;

    internal override void Write(ref OfpWriter w)
    {
        w.WriteU16((ushort)Kind);
        w.WriteU16(16);
        w.WriteZeros(4);
        w.WriteU16(Rate);
        w.WriteZeros(6);
    }
}

/// <summary>A queue property OVS does not interpret (it ignores it); the whole property as sent.</summary>
public sealed record RawQueueProperty(Bytes Property) : QueueProperty
{
    public override int WireLength => Property.Length;
    internal override void Write(ref OfpWriter w) => w.WriteBytes(Property.Span);
}

/// <summary>
/// One queue in an OFPT_QUEUE_GET_CONFIG_REPLY (OpenFlow 1.3.5 §7.3.6).
/// <code>
/// struct ofp_packet_queue {
///     uint32_t queue_id;
///     uint32_t port;         /* port this queue is attached to */
///     uint16_t len;          /* this queue with its properties */
///     uint8_t pad[6];
///     struct ofp_queue_prop_header properties[0];
/// };                         /* 16 bytes */
/// </code>
/// </summary>
public sealed record PacketQueue(uint QueueId, uint Port, EquatableArray<QueueProperty> Properties)
{
    public const int FixedLength = 16;

    public int WireLength
    {
        get
        {
            int n = FixedLength;
            foreach (var p in Properties) n += p.WireLength;
            return n;
        }
    }

    /// <summary>The last MIN_RATE / MAX_RATE property's rate, or 0xffff when there is none (as OVS reads it).</summary>
    public ushort Rate(QueuePropertyType kind)
    {
        ushort rate = ushort.MaxValue;
        foreach (var p in Properties)
        {
            if (p is QueueRateProperty q && q.Kind == kind) rate = q.Rate;
        }
        return rate;
    }

    internal void Write(ref OfpWriter w)
    {
        w.WriteU32(QueueId);
        w.WriteU32(Port);
        w.WriteU16(Multipart.MultipartCodec.Length16(WireLength, "packet queue"));
        w.WriteZeros(6);
        foreach (var p in Properties) p.Write(ref w);
    }

    /// <summary>Reads one queue; its length must be a multiple of 8, cover the 16-byte header and lie inside the message.</summary>
    internal static PacketQueue Read(ref OfpReader r)
    {
        int at = r.AbsolutePosition;
        if (r.Remaining < FixedLength)
        {
            throw new OfpProtocolException(OfpErrorKind.Truncated, $"packet queue needs {FixedLength} bytes, {r.Remaining} left", at, "OFPBRC_BAD_LEN");
        }
        ushort len = r.PeekU16At(8, "packet queue length");
        if (len < FixedLength || len % 8 != 0 || len > r.Remaining)
        {
            throw new OfpProtocolException(OfpErrorKind.BadLength,
                $"packet queue length {len} must be a multiple of 8, at least {FixedLength} and within the {r.Remaining} bytes left", at, "OFPBRC_BAD_LEN");
        }
        var q = r.ReadSub(len, "packet queue");
        uint id = q.ReadU32("queue_id");
        uint port = q.ReadU32("port");
        q.Skip(2);
        QueueWire.Zeros(ref q, 6, "packet queue padding");
        var props = new List<QueueProperty>();
        while (!q.End) props.Add(QueueProperty.Read(ref q));
        return new PacketQueue(id, port, props);
    }
}

/// <summary>
/// OFPT_QUEUE_GET_CONFIG_REPLY (OpenFlow 1.3.5 §7.3.6): the queues of the requested port.
/// <code>
/// struct ofp_queue_get_config_reply {
///     struct ofp_header header;
///     uint32_t port;
///     uint8_t pad[4];
///     struct ofp_packet_queue queues[0];
/// };                         /* 16 bytes before the queues */
/// </code>
/// </summary>
public sealed record QueueGetConfigReply(uint Port, EquatableArray<PacketQueue> Queues) : OfpMessage
{
    public override OfpType Type => OfpType.QueueGetConfigReply;
    public override string OvsName => "OFPT_QUEUE_GET_CONFIG_REPLY";

    public override int BodyLength
    {
        get
        {
            int n = 8;
            foreach (var q in Queues) n += q.WireLength;
            return n;
        }
    }

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU32(Port);
        w.WriteZeros(4);
        foreach (var q in Queues) q.Write(ref w);
    }

    internal static QueueGetConfigReply Read(ref OfpReader r)
    {
        uint port = r.ReadU32("port");
        QueueWire.Zeros(ref r, 4, "queue get config reply padding");
        var queues = new List<PacketQueue>();
        while (!r.End) queues.Add(PacketQueue.Read(ref r));
        return new QueueGetConfigReply(port, queues);
    }

    /// <summary>
    /// ofputil_queue_get_config_reply_format: the queues sorted by id, under a <c>port=N</c> line
    /// (OVS takes the port from the reply header, not from each queue, and omits it when it is 0), e.g.
    /// <c> port=1\nqueue 0: min_rate:50.0%\n</c>. A rate above 1000 prints <c>(disabled)</c>.
    /// </summary>
    public override void FormatBody(StringBuilder s)
    {
        if (Queues.Count > 0 && !OfpPrinter.IsOvsPort(Port))
        {
            OfpPrinter.DecodeError(s, this, "OFPBAC_BAD_OUT_PORT");
            return;
        }
        s.Append(' ');
        bool portShown = false;
        foreach (var q in Queues.OrderBy(q => q.QueueId))
        {
            if (!portShown && Port != 0)
            {
                s.Append("port=").Append(OfctlFormat.Port16(Port16(Port))).Append('\n');
                portShown = true;
            }
            s.Append("queue ").Append(q.QueueId).Append(':');
            Rate(s, "min_rate", q.Rate(QueuePropertyType.MinRate));
            Rate(s, "max_rate", q.Rate(QueuePropertyType.MaxRate));
            s.Append('\n');
        }
        if (s[^1] == ' ') s.Length--;
    }

    /// <summary>An OpenFlow 1.1+ port number folded into OVS's 16-bit port space.</summary>
    private static ushort Port16(uint port) => (ushort)(port >= 0xffffff00 ? port - 0xffff0000 : port);

    private static void Rate(StringBuilder s, string name, ushort rate)
    {
        if (rate <= 1000) s.Append(' ').Append(name).Append(':').Append(rate / 10).Append('.').Append(rate % 10).Append('%');
        else if (rate < ushort.MaxValue) s.Append(' ').Append(name).Append(":(disabled)");
    }
}
