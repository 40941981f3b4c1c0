using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Testing;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// Sends every message kind the controller sends to a real ovs-vswitchd (private sandbox) and checks
/// that OVS accepts each one (no OFPT_ERROR before the barrier reply), then reads the flows back
/// with ovs-ofctl and compares OVS's text with our formatter's text.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public class LiveOvsTests
{
    private OvsSandbox _ovs = null!;
    private OfTestConnection _of = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _ovs = OvsSandbox.Start(dummy: true);
        _ovs.AddBridge("br0", datapathId: 0x00000000000000a1);
        _ovs.AddDummyPort("br0", "p1", 1);
        _ovs.AddDummyPort("br0", "p2", 2);
        _of = OfTestConnection.ConnectUnix(_ovs.MgmtSocket("br0"));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _of?.Dispose();
        _ovs?.Dispose();
    }

    private static void AssertNoErrors(IReadOnlyList<OfpMessage> replies)
    {
        var errors = replies.OfType<ErrorMessage>().Select(e => e.ToString()).ToList();
        Assert.That(errors, Is.Empty, "OVS rejected a message");
    }

    [Test]
    public void Ovs_offers_openflow13_in_its_hello()
    {
        Assert.That(_of.PeerHello!.Supports(OfpMessage.Version13), Is.True, _of.PeerHello.ToString());
    }

    [Test]
    public void Handshake_messages_are_accepted_and_answered()
    {
        var features = _of.Request(EmptyMessage.FeaturesRequest(_of.NextXid()));
        Assert.That(features, Is.TypeOf<FeaturesReply>());
        Assert.That(((FeaturesReply)features).DatapathIdText, Is.EqualTo("00000000000000a1"));

        AssertNoErrors(_of.SendWithBarrier([SwitchConfig.Set(0xffff, _of.NextXid())]));
        var config = _of.Request(EmptyMessage.GetConfigRequest(_of.NextXid()));
        Assert.That(config, Is.EqualTo(new SwitchConfig(true, 0, 0xffff) { Xid = config.Xid }));

        var echo = new EchoMessage(false, new Bytes(new byte[] { 1, 2, 3 })) { Xid = _of.NextXid() };
        Assert.That(_of.Request(echo), Is.EqualTo(echo.ReplyTo()));
    }

    [Test]
    public void Flow_mods_are_accepted_and_dump_back_as_our_text()
    {
        _ovs.Ofctl("del-flows", "br0");
        var flows = new[]
        {
            SampleFlows.ArpResponder(_of.NextXid()),
            SampleFlows.FakeMacTranslation(_of.NextXid()),
            SampleFlows.ServiceFlow(_of.NextXid()),
            SampleFlows.TableMissDrop(2, _of.NextXid()),
        };
        AssertNoErrors(_of.SendWithBarrier(flows));

        var ours = flows.Select(FlowEntryFormatter.Format).Order(StringComparer.Ordinal).ToList();
        Assert.That(_ovs.DumpFlows("br0"), Is.EqualTo(ours));
    }

    [Test]
    public void Packet_out_of_an_arp_request_is_accepted()
    {
        // The gateway probe: an ARP request for 10.0.0.1 from the LB's MAC and the VIP, out port 1.
        var frame = OvsLb.Testing.Frames.TestFrames.ArpRequest(new OvsLb.OpenFlow.Packets.MacAddress(SampleFlows.LbMac), new OvsLb.OpenFlow.Packets.Ipv4Address(SampleFlows.Vip), new OvsLb.OpenFlow.Packets.Ipv4Address(0x0a000001));
        var po = new PacketOut { Xid = _of.NextXid(), Actions = [new Actions.OutputAction(1)], Data = new Bytes(frame) };
        AssertNoErrors(_of.SendWithBarrier([po]));
    }

    private static GroupMod SelectGroup(uint id, int buckets, uint xid) =>
        GroupMod.Select(id, Enumerable.Range(0, buckets).Select(i => new Messages.Groups.Bucket(
            (ushort)(1 + i % 3), (uint)(1 + i % 2), Messages.Groups.GroupId.Any,
            [Actions.SetFieldAction.Of(Match.MfId.EthDst, 0xaabb0a000000UL + (ulong)(i % 8)), new Actions.OutputAction((uint)(1 + i % 2))])), xid);

    [Test]
    public void Select_groups_are_accepted_and_dump_back_as_our_text()
    {
        _ovs.Ofctl("del-groups", "br0");
        var groups = new[] { SelectGroup(1, 4, _of.NextXid()), SelectGroup(2, 64, _of.NextXid()), SelectGroup(3, 256, _of.NextXid()) };
        AssertNoErrors(_of.SendWithBarrier(groups));
        var ours = groups.Select(g => g.DumpText()).Order(StringComparer.Ordinal).ToList();
        Assert.That(_ovs.DumpGroups("br0"), Is.EqualTo(ours));
    }

    [Test]
    public void A_bundle_commits_groups_and_flows_atomically()
    {
        _ovs.Ofctl("del-flows", "br0");
        _ovs.Ofctl("del-groups", "br0");
        const uint bundle = 7;
        var group = SelectGroup(10, 64, _of.NextXid());
        var flow = SampleFlows.ServiceFlow(_of.NextXid()) with
        {
            Instructions = [new Instructions.ApplyActionsInstruction(new Actions.GroupAction(10))],
        };
        var open = _of.Request(Messages.Bundles.BundleControl.Open(bundle, xid: _of.NextXid()));
        Assert.That(open, Is.TypeOf<Messages.Bundles.BundleControl>().And.Property("ControlType").EqualTo(Messages.Bundles.BundleControlType.OpenReply), open.ToString());
        AssertNoErrors(_of.SendWithBarrier([Messages.Bundles.BundleAdd.Wrap(bundle, group), Messages.Bundles.BundleAdd.Wrap(bundle, flow)]));
        Assert.That(_ovs.DumpFlows("br0"), Is.Empty, "nothing applied before the commit");
        var commit = _of.Request(Messages.Bundles.BundleControl.Commit(bundle, xid: _of.NextXid()));
        Assert.That(commit, Is.TypeOf<Messages.Bundles.BundleControl>().And.Property("ControlType").EqualTo(Messages.Bundles.BundleControlType.CommitReply), commit.ToString());
        Assert.That(_ovs.DumpFlows("br0"), Is.EqualTo(new[] { Text.FlowEntryFormatter.Format(flow) }));
        Assert.That(_ovs.DumpGroups("br0"), Is.EqualTo(new[] { group.DumpText() }));
    }

    [Test]
    public void A_failing_bundle_applies_nothing()
    {
        _ovs.Ofctl("del-flows", "br0");
        const uint bundle = 8;
        var good = SampleFlows.ArpResponder(_of.NextXid());
        var bad = SampleFlows.ServiceFlow(_of.NextXid()) with { Instructions = [new Instructions.ApplyActionsInstruction(new Actions.GroupAction(999))] };
        _of.Request(Messages.Bundles.BundleControl.Open(bundle, xid: _of.NextXid()));
        var addReplies = _of.SendWithBarrier([Messages.Bundles.BundleAdd.Wrap(bundle, good), Messages.Bundles.BundleAdd.Wrap(bundle, bad)]);
        var commitXid = _of.NextXid();
        var replies = addReplies.Concat(_of.SendWithBarrier([Messages.Bundles.BundleControl.Commit(bundle, xid: commitXid)])).ToList();
        Assert.That(replies.OfType<ErrorMessage>().Select(e => e.Name), Does.Contain("OFPGMFC_UNKNOWN_GROUP").Or.Contain("OFPBAC_BAD_OUT_GROUP"),
            string.Join("\n", replies));
        Assert.That(_ovs.DumpFlows("br0"), Is.Empty, "the good flow of a failed bundle must not be installed");
    }

    [Test]
    public void A_bad_flow_mod_gets_an_error_naming_our_request()
    {
        var bad = SampleFlows.ServiceFlow(_of.NextXid()) with { TableId = 250, Instructions = [new Instructions.GotoTableInstruction(1)] };
        var replies = _of.SendWithBarrier([bad]);
        var error = replies.OfType<ErrorMessage>().Single();
        Assert.That(error.FailedXid, Is.EqualTo(bad.Xid));
        Assert.That(error.Name, Does.StartWith("OFPBIC_").Or.StartWith("OFPBRC_").Or.StartWith("OFPFMFC_"), error.ToString());
    }
}
