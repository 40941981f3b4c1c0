using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Nicira;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>A switch handle that records what the load balancer sends it (packet-outs, connection-tracker flushes) instead of sending.</summary>
internal sealed class RecordingSwitch(SwitchInfo info) : ISwitchHandle
{
    public SwitchInfo Info { get; set; } = info;
    public List<PacketOut> Sent { get; } = [];
    public List<CtFlush> Flushed { get; } = [];
    public ulong DatapathId => Info.DatapathId;
    public string DatapathIdText => Info.DatapathIdText;
    public string? BridgeName => Info.BridgeName;
    public IReadOnlyDictionary<uint, PortDescription> Ports => Info.Ports;
    public bool CanWrite => true;
    public void Send(PacketOut packetOut) => Sent.Add(packetOut);
    public void Send(CtFlush flush) => Flushed.Add(flush);
    public List<OvsLb.State.FlowEntry> Renewed { get; } = [];
    public void RenewLearned(OvsLb.State.FlowEntry learned) => Renewed.Add(learned);

    /// <summary>Answers OFPMP_TABLE with <see cref="TableCounts"/> (table id → active count); anything else is not supported.</summary>
    public Task<OfpMessage> RequestAsync(OfpMessage request, CancellationToken ct = default, TimeSpan? timeout = null) =>
        request is OvsLb.OpenFlow.Messages.Multipart.EmptyMultipartRequest { Kind: OvsLb.OpenFlow.Messages.Multipart.MultipartType.Table }
            ? Task.FromResult<OfpMessage>(new OvsLb.OpenFlow.Messages.Multipart.TableStatsReply { Entries = TableCounts.Select(kv => new OvsLb.OpenFlow.Messages.Multipart.TableStatsEntry(kv.Key, kv.Value, 0, 0)).ToArray() })
            : throw new NotSupportedException($"RecordingSwitch does not answer {request.OvsName}");

    /// <summary>The active count of each table the switch reports in its table statistics.</summary>
    public Dictionary<byte, uint> TableCounts { get; } = [];
}
