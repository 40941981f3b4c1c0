using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// The checks Open vSwitch 3.1 applies when it decodes a well-formed message and that this codec's
/// <see cref="OfpDecoder.Decode(ReadOnlyMemory{byte})"/> does not (so that any received message, e.g. the
/// request echoed in an OFPT_ERROR, still decodes and re-encodes byte for byte): strict match decoding
/// (OXM prerequisites, duplicate and unknown fields) for FLOW_MOD, flow/aggregate stats requests and
/// FLOW_REMOVED, the FLOW_MOD and GROUP_MOD consistency checks, bundle-add checks, the action and
/// instruction decoding of FLOW_MOD, GROUP_MOD, PACKET_OUT and flow stats replies (Actions.ActionChecks),
/// meter bands, and experimenter ids/types OVS does not know. Messages that fail
/// them print as ofp-print's <c>***decode error: NAME***</c>.
/// <para>Call <see cref="Validate"/> before sending a message built in code, or use
/// <see cref="DecodeStrict"/> to refuse what OVS would refuse.</para>
/// </summary>
public static class OvsChecks
{
    /// <summary>The OVS error name (e.g. <c>OFPBMC_BAD_PREREQ</c>) for a message OVS would refuse, else null.</summary>
    public static string? ErrorName(OfpMessage message) => message switch
    {
        FlowMod f => f.CheckError(),
        Multipart.FlowStatsRequestBase r => r.Match.CheckError()?.Name,
        FlowRemoved fr => fr.Match.CheckError()?.Name,
        Groups.GroupMod g => g.CheckError(),
        Bundles.BundleAdd b => b.CheckError() ?? ErrorName(b.Message),
        PacketOut p => p.CheckError(),
        MeterMod mm => mm.CheckError(),
        Multipart.FlowStatsReply fs => fs.CheckError(),
        Multipart.MeterConfigReply mc => mc.CheckError(),
        ExperimenterMessage or Multipart.RawMultipartRequest or Multipart.RawMultipartReply =>
            Text.OfpRawNames.Lookup(OfpEncoder.ToArray(message), out var rawError) is null ? rawError : null,
        _ => null,
    };

    /// <summary>
    /// Throws <see cref="OfpProtocolException"/> carrying the OVS error name in
    /// <see cref="OfpProtocolException.ErrorName"/> when Open vSwitch would refuse <paramref name="message"/>.
    /// </summary>
    public static void Validate(OfpMessage message)
    {
        if (ErrorName(message) is not { } name) return;
        var kind = name switch
        {
            _ when name.StartsWith("OFPBMC_", StringComparison.Ordinal) => OfpErrorKind.BadMatch,
            _ when name.StartsWith("OFPBAC_", StringComparison.Ordinal) || name.StartsWith("NXBAC_", StringComparison.Ordinal) => OfpErrorKind.BadAction,
            _ when name.StartsWith("OFPBIC_", StringComparison.Ordinal) => OfpErrorKind.BadInstruction,
            _ => OfpErrorKind.BadValue,
        };
        string detail = message is FlowMod { Match: var m } && m.CheckError() is { } me ? me.Detail
            : message is Multipart.FlowStatsRequestBase { Match: var m2 } && m2.CheckError() is { } me2 ? me2.Detail
            : message is FlowRemoved { Match: var m3 } && m3.CheckError() is { } me3 ? me3.Detail
            : $"Open vSwitch refuses this {message.OvsName}";
        throw new OfpProtocolException(kind, $"{message.OvsName}: {detail} ({name})", -1, name);
    }

    /// <summary><see cref="OfpDecoder.Decode(ReadOnlyMemory{byte})"/> followed by <see cref="Validate"/>.</summary>
    public static OfpMessage DecodeStrict(ReadOnlyMemory<byte> bytes)
    {
        var m = OfpDecoder.Decode(bytes);
        Validate(m);
        return m;
    }
}
