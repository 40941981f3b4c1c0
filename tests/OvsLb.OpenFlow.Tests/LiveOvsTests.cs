using OvsLb.OpenFlow.Messages;
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
        // An ARP request for 10.0.0.1 from 02:00:00:00:00:fe / 10.0.0.100, sent out port 1.
        var frame = Convert.FromHexString(
            "ffffffffffff0200000000fe08060001080006040001" + "0200000000fe0a000064" + "0000000000000a000001" + "000000000000000000000000000000000000");
        var po = new PacketOut { Xid = _of.NextXid(), Actions = [new Actions.OutputAction(1)], Data = frame };
        AssertNoErrors(_of.SendWithBarrier([po]));
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
