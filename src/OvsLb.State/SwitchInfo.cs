using OvsLb.OpenFlow.Messages;

namespace OvsLb.State;

/// <summary>What the application knows a switch by: datapath id, bridge name (the LOCAL port's name) and ports.</summary>
public sealed record SwitchInfo(ulong DatapathId, string? BridgeName, IReadOnlyDictionary<uint, PortDescription> Ports)
{
    /// <summary>The datapath id as OVS prints it: 16 hex digits.</summary>
    public string DatapathIdText => DatapathId.ToString("x16");
}
