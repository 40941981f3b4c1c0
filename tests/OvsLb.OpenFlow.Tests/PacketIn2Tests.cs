using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// NXT_PACKET_IN2 / NXT_RESUME beyond the captured vectors: hand-built messages (unknown and
/// experimenter properties, full_len/buffer/table, every continuation property, malformed properties).
/// Each expected text, and each refusal's error name, is what ovs-ofctl 3.1 ofp-print printed for
/// exactly that hex.
/// </summary>
[TestFixture]
public class PacketIn2Tests
{
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000005000500000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_base_prints_as_ovs")]
    [TestCase("0404006000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000001000800000064000200080000123400030005070000000005000502000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): table_id=7 total_len=100  (via invalid_ttl) data_len=42 buffer=0x00001234\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_fulllen_bufid_table_prints_as_ovs")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000001000800000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_fulllen_zero_prints_as_ovs")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000055000701020300", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_unknown_prop_prints_as_ovs")]
    [TestCase("0404005000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000ffff000d000023200000000901000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_exp_prop_prints_as_ovs")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000005000506000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via ) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_reason_6_prints_as_ovs")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000005000509000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via 9) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_reason_9_prints_as_ovs")]
    [TestCase("0404005000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000004001000000000ffffffffffffffff", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_cookie_max_prints_as_ovs")]
    [TestCase("0404005800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000000600148000000400000001777702041122334400000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42 in_port=1 (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_metadata_unknown_prints_as_ovs")]
    [TestCase("0404009800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000064000000080058000000008002000800000005800300040000000080010007000102008001000400000000800700180000000000000010000000020000000000000000800400050300000080060008000000008008000800000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\n continuation.stack=(top) 0x102 0 (bottom)\n continuation.mirrors=0x5\n continuation.conntracked=true\n continuation.actions=unroll_xlate(table=3, cookie=0)\n continuation.action_set=output:2\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_cont_mirrors_ct_stack_actset_prints_as_ovs")]
    [TestCase("0404005000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000064000000080010000000008100000501000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_cont_unknown_prints_as_ovs")]
    [TestCase("0404006000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000008002000000000800000140000000000000000000000000000000000000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_cont_zero_bridge_prints_as_ovs")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000008000800000000", "NXT_PACKET_IN2 (OF1.3) (xid=0x0): total_len=42  (via no_match) data_len=42 (unbuffered)\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_cont_empty_prints_as_ovs")]
    [TestCase("0404005800000000000023200000001c0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000000500050100000000080010000000008008000800000003", "NXT_RESUME (OF1.3) (xid=0x0): total_len=42  (via action) data_len=42 (unbuffered)\n continuation.odp_port=3\narp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.100,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00", TestName = "Packet_in2_resume_prints_as_ovs")]
    public void Text_equals_ofp_print_and_bytes_round_trip(string hex, string text)
    {
        var m = OfpDecoder.Decode(Convert.FromHexString(hex));
        Assert.That(m, Is.InstanceOf<NxPacketIn2>());
        Assert.That(OfpPrinter.Print(m), Is.EqualTo(text));
        Assert.That(Convert.ToHexString(OfpEncoder.ToArray(m)).ToLowerInvariant(), Is.EqualTo(hex));
    }

    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000000100080000000a", "OFPBRC_BAD_LEN", TestName = "Packet_in2_fulllen_smaller_is_refused")]
    [TestCase("0404001800000000000023200000001e0005000500000000", "OFPBRC_BAD_LEN", TestName = "Packet_in2_no_packet_is_refused")]
    [TestCase("0404001800000000000023200000001e0000000400000000", "OFPBRC_BAD_LEN", TestName = "Packet_in2_empty_packet_is_refused")]
    [TestCase("0404005000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000ffff000c000000000000000900000000", "OFPBPC_BAD_EXPERIMENTER", TestName = "Packet_in2_exp_prop_zero_is_refused")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000ffff000800002320", "OFPBPC_BAD_LEN", TestName = "Packet_in2_exp_prop_short_is_refused")]
    [TestCase("040400d000000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000000800900000000080010085010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101000000", "OFPBPC_BAD_LEN", TestName = "Packet_in2_cont_stack_129_is_refused")]
    [TestCase("0404005800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000064000000080018000000008006000f000000000000000800000000", "OFPBRC_BAD_LEN", TestName = "Packet_in2_cont_bad_action_is_refused")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000005000300000000", "OFPBPC_BAD_LEN", TestName = "Packet_in2_prop_len_3_is_refused")]
    [TestCase("0404004800000000000023200000001e0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a00006400000005000c00000000", "OFPBPC_BAD_LEN", TestName = "Packet_in2_prop_overrun_is_refused")]
    public void Malformed_message_is_refused_with_the_ovs_error(string hex, string ovsError)
    {
        var bytes = Convert.FromHexString(hex);
        var e = Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;
        Assert.That(e.ErrorName, Is.EqualTo(ovsError), e.Message);
        Assert.That(OfpPrinter.PrintBytes(bytes).Split('\n')[0], Is.EqualTo($"NXT_PACKET_IN2 (OF1.3) (xid=0x0): ***decode error: {ovsError}***"));
    }

    private const string Packet = "0000002effffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000640000";

    private static NxPacketIn2 Decode(string props) =>
        (NxPacketIn2)OfpDecoder.Decode(Convert.FromHexString($"0404{(16 + props.Length / 2):x4}00000000000023200000001e{props}"));

    [Test]
    public void Nonzero_property_padding_is_rejected() =>
        Assert.Throws<OfpProtocolException>(() => Decode(Packet + "0005000500000001"));

    [Test]
    public void Cookie_alignment_bytes_must_be_zero() =>
        Assert.Throws<OfpProtocolException>(() => Decode(Packet + "000400100000000100000000000000a0"));

    [Test]
    public void Fixed_size_properties_of_another_size_are_rejected()
    {
        Assert.That(Assert.Throws<OfpProtocolException>(() => Decode(Packet + "000100060000" + "0000"))!.ErrorName, Is.EqualTo("OFPBPC_BAD_LEN"));
        Assert.That(Assert.Throws<OfpProtocolException>(() => Decode(Packet + "0003000601020000"))!.ErrorName, Is.EqualTo("OFPBPC_BAD_LEN"));
    }

    [Test]
    public void Continuation_without_its_alignment_bytes_is_rejected() =>
        Assert.That(Assert.Throws<OfpProtocolException>(() => Decode(Packet + "0008000600000000"))!.ErrorName, Is.EqualTo("OFPBPC_BAD_LEN"));

    [Test]
    public void Continuation_property_overrunning_the_continuation_is_rejected() =>
        Assert.Throws<OfpProtocolException>(() => Decode(Packet + "0008001000000000" + "8008001000000003"));

    [Test]
    public void Metadata_oxm_overrunning_the_property_is_rejected() =>
        Assert.Throws<OfpProtocolException>(() => Decode(Packet + "0006000c80000008" + "00000001"));

    [Test]
    public void Accessors_read_the_properties_as_ovs_does()
    {
        var golden = GoldenFile.Load("async.golden").Single(x => x.Name == "packet-in2-table1-metadata-reg");
        var m = (NxPacketIn2)OfpDecoder.Decode(golden.Bytes);
        Assert.Multiple(() =>
        {
            Assert.That(m.TableId, Is.EqualTo(1));
            Assert.That(m.Cookie, Is.EqualTo(0xb1));
            Assert.That(m.Reason, Is.EqualTo(0));
            Assert.That(m.InPort, Is.EqualTo(1));
            Assert.That(m.TotalLength, Is.EqualTo(42));
            Assert.That(m.BufferId, Is.EqualTo(FlowMod.NoBuffer));
            Assert.That(m.Metadata.Find(MfId.Metadata)!.Value, Is.EqualTo((UInt128)0x55));
            Assert.That(m.Continuation, Is.Null);
            Assert.That(m.ParsePacket().EthType, Is.EqualTo((ushort)0x0806));
        });
    }

    [Test]
    public void Resume_of_a_paused_packet_in_keeps_everything_but_userdata()
    {
        var golden = GoldenFile.Load("async.golden").Single(x => x.Name == "packet-in2-pause");
        var pin = (NxPacketIn2)OfpDecoder.Decode(golden.Bytes);
        var resume = pin.ToResume(xid: 7);
        var again = (NxPacketIn2)OfpDecoder.Decode(OfpEncoder.ToArray(resume));
        Assert.Multiple(() =>
        {
            Assert.That(again.IsResume, Is.True);
            Assert.That(again.OvsName, Is.EqualTo("NXT_RESUME"));
            Assert.That(again.Xid, Is.EqualTo(7));
            Assert.That(again.Userdata.IsEmpty, Is.True);
            Assert.That(again.Continuation, Is.EqualTo(pin.Continuation));
            Assert.That(again.Packet, Is.EqualTo(pin.Packet));
            Assert.That(again.Properties.Count, Is.EqualTo(pin.Properties.Count - 1));
        });
        var table = (NxPacketIn2)OfpDecoder.Decode(GoldenFile.Load("async.golden").Single(x => x.Name == "packet-in2-table-miss").Bytes);
        Assert.Throws<InvalidOperationException>(() => table.ToResume());
    }

    [Test]
    public void Continuation_actions_are_typed()
    {
        var golden = GoldenFile.Load("packet-in2.golden").Single(x => x.Name == "packet-in2-conntracked-action-set");
        var m = (NxPacketIn2)OfpDecoder.Decode(golden.Bytes);
        var set = m.Continuation!.Properties.AsSpan().ToArray().OfType<ContinuationActions>().Single(p => p.ActionSet);
        Assert.That(set.Actions.AsSpan().ToArray(), Is.EqualTo(new OfpAction[] { new OutputAction(3, 0), new SetQueueAction(5) }));
        Assert.That(m.Continuation.Properties.AsSpan().ToArray().OfType<ContinuationConntracked>().Count(), Is.EqualTo(1));
    }
}
