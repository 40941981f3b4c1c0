using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.State;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// Small building blocks for the flow factories: match fields (always in prerequisite order, as OVS
/// checks them in wire order), actions and the flow entry itself with its cookie. No policy here.
/// </summary>
public static class FlowParts
{
    public static OxmEntry InPort(uint port) => OxmEntry.For(MfId.InPortOxm, port);
    public static OxmEntry EthDst(MacAddress m) => OxmEntry.For(MfId.EthDst, m.Value);
    public static OxmEntry EthDstMasked(ulong value, ulong mask) => OxmEntry.For(MfId.EthDst, value, mask);
    public static OxmEntry EthType(ushort t) => OxmEntry.For(MfId.EthType, t);
    public static OxmEntry IpProto(ServiceProtocol p) => OxmEntry.For(MfId.IpProto, p == ServiceProtocol.Tcp ? IpProtocol.Tcp : IpProtocol.Udp);
    public static OxmEntry IpSrc(Ipv4Address a) => OxmEntry.For(MfId.Ipv4Src, a.Value);
    public static OxmEntry IpDst(Ipv4Address a) => OxmEntry.For(MfId.Ipv4Dst, a.Value);
    public static OxmEntry Ip6Dst(Ipv6Address a) => OxmEntry.For(MfId.Ipv6Dst, a.Value);
    public static OxmEntry L4Src(ServiceProtocol p, ushort port) => OxmEntry.For(p == ServiceProtocol.Tcp ? MfId.TcpSrc : MfId.UdpSrc, port);
    public static OxmEntry L4Dst(ServiceProtocol p, ushort port) => OxmEntry.For(p == ServiceProtocol.Tcp ? MfId.TcpDst : MfId.UdpDst, port);
    public static OxmEntry ArpOp(ushort op) => OxmEntry.For(MfId.ArpOp, op);
    public static OxmEntry ArpSpa(Ipv4Address a) => OxmEntry.For(MfId.ArpSpa, a.Value);
    public static OxmEntry ArpTpa(Ipv4Address a) => OxmEntry.For(MfId.ArpTpa, a.Value);
    public static OxmEntry Reg(MfId reg, uint value) => OxmEntry.For(reg, value);

    public static OfpMatch Match(params OxmEntry[] fields) => new(fields);

    /// <summary>The service's VIP, protocol and port (every port when it has none), after <paramref name="first"/>. A
    /// service with no IPv4 VIP (an IPv6-only service, or the IPv6 view of a dual-stack one: <see cref="ServiceConfig.View"/>) matches its IPv6 VIP.</summary>
    public static OfpMatch VipMatch(ServiceConfig s, params OxmEntry[] first)
    {
        var fields = new List<OxmEntry>(first);
        if (s.Vip is Ipv4Address v4) fields.AddRange([EthType(EtherType.IPv4), IpProto(s.Protocol), IpDst(v4)]);
        else fields.AddRange([EthType(EtherType.IPv6), IpProto(s.Protocol), Ip6Dst(s.Vip6 ?? throw new InvalidOperationException($"service '{s.Name}' has no VIP"))]);
        if (s.Port is ushort p) fields.Add(L4Dst(s.Protocol, p));
        return new OfpMatch(fields.ToArray());
    }

    public static OfpAction Output(uint port) => new OutputAction(port);
    public static OfpAction Normal => new OutputAction(OfctlFormat.Ports.Normal);
    public static OfpAction InPortOut => new OutputAction(OfctlFormat.Ports.InPort);
    public static OfpAction SetEthSrc(MacAddress m) => SetFieldAction.Of(MfId.EthSrc, m.Value);
    public static OfpAction SetEthDst(MacAddress m) => SetFieldAction.Of(MfId.EthDst, m.Value);
    public static OfpAction SetIpSrc(Ipv4Address a) => SetFieldAction.Of(MfId.Ipv4Src, a.Value);
    public static OfpAction Set(MfId id, UInt128 value) => SetFieldAction.Of(id, value);
    public static OfpAction Move(MfId src, MfId dst) => RegMoveAction.Of(Subfield.Whole(src), Subfield.Whole(dst));
    public static OfpAction Move(Subfield src, Subfield dst) => RegMoveAction.Of(src, dst);
    public static OfpAction Load(MfId dst, ulong value) => new RegLoadAction(Subfield.Whole(dst), value);
    public static OfpAction Resubmit(PipelineTable t) => ResubmitAction.ToTable(t.Id);
    public static OfpAction Group(uint id) => new GroupAction(id);

    public static OfpInstruction Apply(params OfpAction[] actions) => new ApplyActionsInstruction(actions);
    public static OfpInstruction Goto(PipelineTable t) => new GotoTableInstruction(t.Id);

    /// <summary>A flow in <paramref name="table"/> with cookie signature|feature|object; no instructions means drop.</summary>
    public static FlowEntry Flow(CookieLayout cookies, PipelineTable table, ushort priority, FlowFeature feature, ulong objectId, OfpMatch match, params OfpInstruction[] instructions) => new()
    {
        TableId = table.Id,
        Priority = priority,
        Match = match,
        Cookie = cookies.Make((byte)feature, objectId),
        Instructions = new EquatableArray<OfpInstruction>(instructions),
    };
}
