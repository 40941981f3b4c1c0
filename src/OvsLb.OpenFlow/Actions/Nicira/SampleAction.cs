using System.Text;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions.Nicira;

/// <summary>Direction of a sample (NXAST_SAMPLE3 only): which tunnel information IPFIX exports.</summary>
public enum NxSampleDirection : byte { Default = 0, Ingress = 1, Egress = 2 }

/// <summary>
/// NXAST_SAMPLE (29), NXAST_SAMPLE2 (38) and NXAST_SAMPLE3 (41): send a sample of the packet
/// (<see cref="Probability"/> out of 65535 packets) to the IPFIX/sFlow collector set configured in the
/// database, tagged with observation domain and point ids. SAMPLE2 adds the sampling port (egress tunnel
/// information), SAMPLE3 the direction.
/// <code>
/// struct nx_action_sample {            struct nx_action_sample2 {
///     ovs_be16 type, len;  /* 24 */        ovs_be16 type, len;          /* 32 */
///     ovs_be32 vendor;                     ovs_be32 vendor;
///     ovs_be16 subtype;    /* 29 */        ovs_be16 subtype;            /* 38 or 41 */
///     ovs_be16 probability;                ovs_be16 probability;        /* nonzero */
///     ovs_be32 collector_set_id;           ovs_be32 collector_set_id;
///     ovs_be32 obs_domain_id;              ovs_be32 obs_domain_id;
///     ovs_be32 obs_point_id;               ovs_be32 obs_point_id;
/// };                                       ovs_be16 sampling_port;      /* 16-bit port, 0xffff none */
///                                          uint8_t direction;           /* SAMPLE3 only, else 0 */
///                                          uint8_t zeros[5];
///                                      };
/// </code>
/// Prints (format_SAMPLE) <c>sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3)</c>,
/// then <c>,sampling_port=P</c> and <c>,ingress</c> / <c>,egress</c> when set.
/// </summary>
public sealed record SampleAction(ushort Probability, uint CollectorSetId, uint ObsDomainId, uint ObsPointId) : OfpAction
{
    /// <summary>OFPP_NONE: no sampling port.</summary>
    public const ushort NoPort = 0xffff;

    /// <summary>Wire form: 29 (SAMPLE), 38 (SAMPLE2) or 41 (SAMPLE3). 0 picks the smallest that carries the values.</summary>
    public ushort Subtype { get; init; }
    public ushort SamplingPort { get; init; } = NoPort;
    public NxSampleDirection Direction { get; init; }

    private ushort WireSubtype => Subtype != 0 ? Subtype
        : Direction != NxSampleDirection.Default ? NiciraActions.Sample3
        : SamplingPort != NoPort ? NiciraActions.Sample2
        : NiciraActions.Sample;

    public override int WireLength => WireSubtype == NiciraActions.Sample ? 24 : 32;

    internal override void Write(ref OfpWriter w)
    {
        ushort subtype = WireSubtype;
        NiciraActions.WriteHeader(ref w, (ushort)WireLength, subtype);
        w.WriteU16(Probability);
        w.WriteU32(CollectorSetId);
        w.WriteU32(ObsDomainId);
        w.WriteU32(ObsPointId);
        if (subtype == NiciraActions.Sample) return;
        w.WriteU16(SamplingPort);
        w.WriteU8(subtype == NiciraActions.Sample3 ? (byte)Direction : (byte)0);
        w.WriteZeros(5);
    }

    /// <summary>decode_NXAST_RAW_SAMPLE / SAMPLE2 / SAMPLE3 (lib/ofp-actions.c).</summary>
    internal static SampleAction Read(ushort subtype, ref OfpReader r, int at)
    {
        bool v1 = subtype == NiciraActions.Sample;
        NxWire.ExpectLength(r, v1 ? 24 : 32, "sample", at);
        ushort probability = r.ReadU16("sample probability");
        uint collector = r.ReadU32("sample collector_set_id");
        uint domain = r.ReadU32("sample obs_domain_id");
        uint point = r.ReadU32("sample obs_point_id");
        ushort port = NoPort;
        var direction = NxSampleDirection.Default;
        if (!v1)
        {
            port = r.ReadU16("sample sampling_port");
            byte dir = r.ReadU8("sample direction");
            if (subtype == NiciraActions.Sample2 && dir != 0)
            {
                // OVS ignores this byte in SAMPLE2; a value it would drop could not re-encode unchanged.
                throw new OfpProtocolException(OfpErrorKind.BadAction, "sample2: direction byte must be zero (only sample3 has a direction)", at);
            }
            if (dir > (byte)NxSampleDirection.Egress)
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, $"sample: invalid direction {dir}", at, "OFPBAC_BAD_ARGUMENT");
            }
            direction = (NxSampleDirection)dir;
            var zeros = r.ReadMemory(5, "sample zeros").Span;
            if (zeros.ContainsAnyExcept((byte)0))
            {
                throw new OfpProtocolException(OfpErrorKind.BadAction, "sample: zeros[5] must be zero", at, "NXBRC_MUST_BE_ZERO");
            }
        }
        if (probability == 0)
        {
            throw new OfpProtocolException(OfpErrorKind.BadAction, "sample: probability must be nonzero", at, "OFPBAC_BAD_ARGUMENT");
        }
        return new SampleAction(probability, collector, domain, point) { Subtype = subtype, SamplingPort = port, Direction = direction };
    }

    public override void Format(StringBuilder s)
    {
        s.Append("sample(probability=").Append(Probability).Append(",collector_set_id=").Append(CollectorSetId)
         .Append(",obs_domain_id=").Append(ObsDomainId).Append(",obs_point_id=").Append(ObsPointId);
        if (SamplingPort != NoPort) s.Append(",sampling_port=").Append(OfctlFormat.Port16(SamplingPort));
        if (Direction == NxSampleDirection.Ingress) s.Append(",ingress");
        else if (Direction == NxSampleDirection.Egress) s.Append(",egress");
        s.Append(')');
    }
}
