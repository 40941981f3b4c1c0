using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.Testing;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// Every request kind the controller sends, against a real ovs-vswitchd: each is answered with the
/// expected reply type (no OFPT_ERROR), and the reply decodes and prints.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public class LiveOvsRequestTests
{
    private OvsSandbox _ovs = null!;
    private OfTestConnection _of = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _ovs = OvsSandbox.Start(dummy: true);
        _ovs.AddBridge("br1", datapathId: 0xb1);
        _ovs.AddDummyPort("br1", "q1", 1);
        _of = OfTestConnection.ConnectUnix(_ovs.MgmtSocket("br1"));
        _of.SendWithBarrier([SampleFlows.ArpResponder(_of.NextXid())]);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _of?.Dispose();
        _ovs?.Dispose();
    }

    public static IEnumerable<TestCaseData> Requests()
    {
        yield return Case(new EmptyMultipartRequest(MultipartType.Desc), typeof(DescReply));
        yield return Case(new FlowStatsRequest(), typeof(FlowStatsReply));
        yield return Case(new AggregateStatsRequest(), typeof(AggregateStatsReply));
        yield return Case(new EmptyMultipartRequest(MultipartType.Table), typeof(TableStatsReply));
        yield return Case(new PortStatsRequest(), typeof(PortStatsReply));
        yield return Case(new GroupStatsRequest(), typeof(GroupStatsReply));
        yield return Case(new EmptyMultipartRequest(MultipartType.GroupDesc), typeof(GroupDescReply));
        yield return Case(new EmptyMultipartRequest(MultipartType.GroupFeatures), typeof(GroupFeaturesReply));
        yield return Case(new EmptyMultipartRequest(MultipartType.PortDesc), typeof(PortDescReply));
        yield return Case(new MeterConfigRequest { MeterId = 0xffffffff }, typeof(MeterConfigReply));
        yield return Case(EmptyMessage.GetAsyncRequest(), typeof(AsyncConfig));
        yield return Case(EmptyMessage.GetConfigRequest(), typeof(SwitchConfig));
        yield return Case(EmptyMessage.FeaturesRequest(), typeof(FeaturesReply));
        yield return Case(RoleMessage.Request(ControllerRole.NoChange, 0), typeof(RoleMessage));
    }

    private static TestCaseData Case(OfpMessage request, Type reply) => new TestCaseData(request, reply).SetName($"{request.OvsName} is answered with {reply.Name}");

    [TestCaseSource(nameof(Requests))]
    public void Request_is_answered(OfpMessage request, Type replyType)
    {
        var reply = _of.Request(request with { Xid = _of.NextXid() });
        Assert.That(reply, Is.InstanceOf(replyType), reply.ToString());
        Assert.That(reply.ToString(), Is.Not.Empty);
    }

    [Test]
    public void Set_async_role_meter_and_port_mods_are_accepted()
    {
        var async = new AsyncConfig { PacketInMaster = 0b011, PacketInSlave = 0, PortStatusMaster = 0b111, PortStatusSlave = 0b111, FlowRemovedMaster = 0b1111 };
        var meter = new MeterMod { Command = MeterModCommand.Add, Flags = MeterFlags.Pktps, MeterId = 1, Bands = [MeterBand.Drop(1000)] };
        var port = new PortMod { PortNo = 1, HwAddr = _of.Request(new EmptyMultipartRequest(MultipartType.PortDesc) with { Xid = _of.NextXid() }) is PortDescReply pd ? pd.Entries.Single(p => p.PortNo == 1).HwAddr : 0, Config = PortConfig.NoPacketIn, Mask = PortConfig.NoPacketIn };
        var replies = _of.SendWithBarrier([async with { Xid = _of.NextXid() }, meter with { Xid = _of.NextXid() }, port with { Xid = _of.NextXid() }]);
        Assert.That(replies.OfType<ErrorMessage>().Select(e => e.ToString()), Is.Empty);
        var got = (AsyncConfig)_of.Request(EmptyMessage.GetAsyncRequest(_of.NextXid()));
        Assert.That(got with { Xid = 0, IsReply = false }, Is.EqualTo(async));
        var role = (RoleMessage)_of.Request(RoleMessage.Request(ControllerRole.Master, 5, _of.NextXid()));
        Assert.That(role.Role, Is.EqualTo(ControllerRole.Master));
        Assert.That(role.GenerationId, Is.EqualTo(5UL));
        var meters = (MeterConfigReply)_of.Request(new MeterConfigRequest { MeterId = 0xffffffff, Xid = _of.NextXid() });
        Assert.That(meters.Entries.Select(m => m.MeterId), Does.Contain(1u));
    }
}
