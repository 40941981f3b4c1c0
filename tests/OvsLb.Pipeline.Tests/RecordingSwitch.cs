using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Nicira;
using OvsLb.Runtime.Session;
using OvsLb.State;

namespace OvsLb.Pipeline.Tests;

/// <summary>A switch handle that records what the load balancer sends it (packet-outs, conntrack flushes) instead of sending.</summary>
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
}
