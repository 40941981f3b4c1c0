using System.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// OFPT_ERROR (OpenFlow 1.3.5 §7.4.4), including experimenter errors (type 0xffff) such as the ONF
/// bundle errors OVS sends in OpenFlow 1.3. <see cref="Data"/> holds (at least 64 bytes of) the
/// request that failed, so the error can be matched to it by xid and shown with it.
/// <code>
/// struct ofp_error_msg { struct ofp_header header; uint16_t type; uint16_t code; uint8_t data[]; };
/// struct ofp_error_experimenter_msg { struct ofp_header header; uint16_t type /* 0xffff */;
///                                     uint16_t exp_type; uint32_t experimenter; uint8_t data[]; };
/// </code>
/// </summary>
public sealed record ErrorMessage(ushort ErrorType, ushort Code, Bytes Data, uint Experimenter = 0) : OfpMessage
{
    public const ushort ExperimenterType = 0xffff;

    /// <summary>
    /// Header version. A switch answers a message of the wrong version with an error in that version
    /// (OVS: OFPBRC_BAD_VERSION, in OpenFlow 1.0 when it does not know the version), so errors are
    /// decoded whatever their version; names are looked up in the OpenFlow 1.3 table.
    /// </summary>
    public byte HeaderVersion { get; init; } = Version13;

    public override byte Version => HeaderVersion;
    public override OfpType Type => OfpType.Error;
    public override string OvsName => "OFPT_ERROR";
    public override int BodyLength => 4 + (ErrorType == ExperimenterType ? 4 : 0) + Data.Length;

    public bool IsExperimenter => ErrorType == ExperimenterType;

    internal override void WriteBody(ref OfpWriter w)
    {
        w.WriteU16(ErrorType);
        w.WriteU16(Code);
        if (IsExperimenter) w.WriteU32(Experimenter);
        w.WriteBytes(Data.Span);
    }

    internal static ErrorMessage Read(ref OfpReader r)
    {
        ushort type = r.ReadU16("error type");
        ushort code = r.ReadU16("error code");
        uint exp = type == ExperimenterType ? r.ReadU32("error experimenter") : 0;
        return new ErrorMessage(type, code, new Bytes(r.ReadMemory(r.Remaining)), exp);
    }

    /// <summary>The OVS name of the error, e.g. <c>OFPBAC_BAD_OUT_PORT</c>.</summary>
    public string Name => ErrorNames.Name(ErrorType, Code, Experimenter);

    /// <summary>The xid of the failed request, read from the echoed header in <see cref="Data"/>.</summary>
    public uint? FailedXid => Data.Length >= 8 ? (uint)((Data.Span[4] << 24) | (Data.Span[5] << 16) | (Data.Span[6] << 8) | Data.Span[7]) : null;

    public override void FormatBody(StringBuilder s) => ErrorNames.Format(s, this);
}
