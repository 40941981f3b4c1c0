using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages.Groups;

namespace OvsLb.State.Tests;

/// <summary>Small flows and groups for the pure state tests.</summary>
internal static class States
{
    public static readonly Ownership Own = Ownership.Default;
    public static readonly CookieLayout Cookies = Own.Cookies;
    public const uint G1 = 0x1000_0001, G2 = 0x1000_0002, G3 = 0x1000_0003;

    public static OfpMatch IpDst(uint last) => new(OxmEntry.For(MfId.EthType, 0x0800), OxmEntry.For(MfId.Ipv4Dst, 0x0a000000u + last));

    /// <summary>An IPv4 flow to 10.0.0.<paramref name="last"/> with one action and our cookie (feature 1, object <paramref name="id"/>).</summary>
    public static FlowEntry Flow(uint last, OfpAction action, ulong id, ushort priority = 100) => new()
    {
        Priority = priority,
        Match = IpDst(last),
        Cookie = Cookies.Make(1, id),
        Instructions = [new ApplyActionsInstruction(action)],
    };

    public static FlowEntry ToGroup(uint last, uint group, ulong id) => Flow(last, new GroupAction(group), id);

    public static GroupEntry Select(uint id, params uint[] ports) =>
        new(id, GroupType.Select, ports.Select((p, i) => Bucket.Weighted((ushort)(i + 1), new OutputAction(p))).ToArray());

    public static SwitchState Of(IEnumerable<FlowEntry> flows, IEnumerable<GroupEntry>? groups = null) => SwitchState.Create(flows, groups ?? []);
}
