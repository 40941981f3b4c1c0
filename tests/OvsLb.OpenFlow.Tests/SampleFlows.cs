using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.OpenFlow.Tests;

/// <summary>Flows of the kinds the load balancer installs, built through the codec's C# API.</summary>
public static class SampleFlows
{
    public const uint Vip = 0x0a000064;            // 10.0.0.100
    public const ulong LbMac = 0x0200000000feUL;   // 02:00:00:00:00:fe

    /// <summary>The VIP ARP responder: turn an ARP request for the VIP into the reply, in the datapath.</summary>
    public static FlowMod ArpResponder(uint xid = 0) => new()
    {
        Xid = xid,
        Priority = 100,
        Match = new OfpMatch(
            OxmEntry.For(MfId.EthType, 0x0806),
            OxmEntry.For(MfId.ArpOp, 1),
            OxmEntry.For(MfId.ArpTpa, Vip)),
        Instructions = [new ApplyActionsInstruction(
            RegMoveAction.Of(Subfield.Whole(MfId.EthSrc), Subfield.Whole(MfId.EthDst)),
            SetFieldAction.Of(MfId.EthSrc, LbMac),
            SetFieldAction.Of(MfId.ArpOp, 2),
            RegMoveAction.Of(Subfield.Whole(MfId.ArpSha), Subfield.Whole(MfId.ArpTha)),
            SetFieldAction.Of(MfId.ArpSha, LbMac),
            RegMoveAction.Of(Subfield.Whole(MfId.ArpSpa), Subfield.Whole(MfId.ArpTpa)),
            SetFieldAction.Of(MfId.ArpSpa, Vip),
            new OutputAction(Text.OfctlFormat.Ports.InPort))],
    };

    /// <summary>The fake-MAC address translation: eth_dst[0..31] becomes ip_dst.</summary>
    public static FlowMod FakeMacTranslation(uint xid = 0) => new()
    {
        Xid = xid,
        TableId = 1,
        Priority = 10,
        Cookie = 0x5,
        Match = new OfpMatch(
            OxmEntry.For(MfId.EthType, 0x0800),
            OxmEntry.For(MfId.EthDst, 0xaabb00000000UL, 0xffff00000000UL)),
        Instructions = [
            new ApplyActionsInstruction(RegMoveAction.Of(Subfield.Bits(MfId.EthDst, 0, 32), Subfield.Whole(MfId.Ipv4Dst))),
            new GotoTableInstruction(2)],
    };

    /// <summary>A service flow: TCP to the VIP port with a register load and a timeout.</summary>
    public static FlowMod ServiceFlow(uint xid = 0) => new()
    {
        Xid = xid,
        TableId = 2,
        Priority = 200,
        IdleTimeout = 60,
        Flags = FlowModFlags.SendFlowRem,
        Match = new OfpMatch(
            OxmEntry.For(MfId.EthType, 0x0800),
            OxmEntry.For(MfId.IpProto, 6),
            OxmEntry.For(MfId.Ipv4Dst, Vip),
            OxmEntry.For(MfId.TcpDst, 80)),
        Instructions = [new ApplyActionsInstruction(
            new RegLoadAction(Subfield.Bits(MfId.Reg0, 0, 8), 7),
            new OutputAction(2))],
    };

    /// <summary>Table-miss: drop (fail_mode=secure bridges start with no flows).</summary>
    public static FlowMod TableMissDrop(byte table, uint xid = 0) => new() { Xid = xid, TableId = table, Priority = 0 };
}
