using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Bundles;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>ONF bundle messages built from code, and malformed bundle bytes (hand-written) that must be refused.</summary>
[TestFixture]
public class BundleTests
{
    private static byte[] Hex(string h) => Convert.FromHexString(h.Replace(" ", "", StringComparison.Ordinal));

    private static OfpProtocolException Refused(string hex) =>
        Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(Hex(hex)))!;

    // experimenter header + bundle_id 1, type 0, flags atomic|ordered
    private const string AddHead = "4f4e4600 000008fd 00000001 0000 0003";

    [Test]
    public void Wrapped_message_keeps_the_inner_xid_and_round_trips()
    {
        var fm = new FlowMod { Xid = 0x77, Instructions = [new ApplyActionsInstruction(new OutputAction(2))] };
        var add = BundleAdd.Wrap(1, fm);
        Assert.That(add.Xid, Is.EqualTo(0x77u));
        var back = (BundleAdd)OfpDecoder.Decode(OfpEncoder.ToArray(add));
        Assert.That(back, Is.EqualTo(add));
        Assert.That(back.XidsMatch, Is.True);
        Assert.That(OfpPrinter.Print(back), Is.EqualTo(
            "ONFT_BUNDLE_ADD_MESSAGE (OF1.3) (xid=0x77):\n bundle_id=0x1 flags=atomic ordered\nOFPT_FLOW_MOD (OF1.3) (xid=0x77): ADD actions=output:2"));
    }

    [Test]
    public void Control_factories_print_like_ovs()
    {
        Assert.That(OfpPrinter.Print(BundleControl.Open(0, xid: 9)), Is.EqualTo("ONFT_BUNDLE_CONTROL (OF1.3) (xid=0x9):\n bundle_id=0 type=OPEN_REQUEST flags=atomic ordered"));
        Assert.That(OfpPrinter.Print(BundleControl.Commit(0xabc, BundleFlags.None)), Is.EqualTo("ONFT_BUNDLE_CONTROL (OF1.3) (xid=0x0):\n bundle_id=0xabc type=COMMIT_REQUEST flags=0"));
        Assert.That(OfpPrinter.Print(new BundleControl(1, BundleControlType.DiscardReply, (BundleFlags)6)), Does.EndWith("type=DISCARD_REPLY flags=ordered 0x4"));
    }

    [Test]
    public void Differing_xids_are_kept_and_printed_as_ovs_refuses_them()
    {
        var add = BundleAdd.Wrap(1, GroupMod.Delete(7, xid: 5)) with { Xid = 6 };
        var bytes = OfpEncoder.ToArray(add);
        var back = (BundleAdd)OfpDecoder.Decode(bytes);
        Assert.That(back.Xid, Is.EqualTo(6u));
        Assert.That(back.Message.Xid, Is.EqualTo(5u));
        Assert.That(OfpEncoder.ToArray(back), Is.EqualTo(bytes));
        Assert.That(back.CheckError(), Is.EqualTo("OFPBFC_MSG_BAD_XID"));
        Assert.That(OfpPrinter.Print(back), Does.StartWith("ONFT_BUNDLE_ADD_MESSAGE (OF1.3) (xid=0x6): ***decode error: OFPBFC_MSG_BAD_XID***\n00000000  04 04 00 28"));
    }

    [Test]
    public void Properties_after_the_message_are_padded_and_kept()
    {
        var add = BundleAdd.Wrap(2, EmptyMessage.BarrierRequest(4)) with { Properties = Hex("ffff000c 00002320 00000001 00000000") };
        var bytes = OfpEncoder.ToArray(add);
        Assert.That(bytes, Has.Length.EqualTo(24 + 8 + 16)); // the 8-byte barrier needs no padding
        Assert.That(OfpDecoder.Decode(bytes), Is.EqualTo(add));
        var grp = BundleAdd.Wrap(2, GroupMod.Select(1, [Bucket.Weighted(1, new OutputAction(1))], xid: 4)) with { Properties = Hex("ffff0008 00002320") };
        Assert.That(OfpDecoder.Decode(OfpEncoder.ToArray(grp)), Is.EqualTo(grp));
    }

    [Test]
    public void Inner_length_beyond_the_bundle_is_refused()
    {
        var e = Refused($"0404 0028 00000005 {AddHead}  0414 0018 00000005 0000000000000000");
        Assert.That(e.ErrorName, Is.EqualTo("OFPBFC_MSG_BAD_LEN"));
    }

    [Test]
    public void Inner_length_below_a_header_is_refused()
    {
        var e = Refused($"0404 0020 00000005 {AddHead}  0414 0004 00000005");
        Assert.That(e.ErrorName, Is.EqualTo("OFPBFC_MSG_BAD_LEN"));
    }

    [Test]
    public void Missing_inner_header_is_refused()
    {
        var e = Refused($"0404 001c 00000005 {AddHead}  04140008");
        Assert.That(e.ErrorName, Is.EqualTo("OFPBFC_MSG_BAD_LEN"));
    }

    [Test]
    public void Bytes_after_the_inner_message_that_are_not_padding_and_properties_are_refused()
    {
        // FLOW_MOD-less: a 12-byte echo, then 4 bytes that should be zero padding
        Refused($"0404 0028 00000005 {AddHead}  0402 000c 00000005 aabbccdd  01000000");
        // zero padding but no property after it
        Refused($"0404 0028 00000005 {AddHead}  0402 000c 00000005 aabbccdd  00000000");
    }

    [Test]
    public void Bundle_inside_a_bundle_is_refused()
    {
        var inner = "0404 0018 00000005 4f4e4600 000008fc 00000001 0000 0000";
        var e = Refused($"0404 0030 00000005 {AddHead}  {inner}");
        Assert.That(e.ErrorName, Is.EqualTo("OFPBFC_MSG_UNSUP"));
        var innerAdd = $"0404 0020 00000005 {AddHead} 0414 0008 00000005";
        Assert.That(Refused($"0404 0038 00000005 {AddHead}  {innerAdd}").ErrorName, Is.EqualTo("OFPBFC_MSG_UNSUP"));
    }

    [Test]
    public void Inner_message_of_another_version_is_refused()
    {
        Assert.That(Refused($"0404 0020 00000005 {AddHead}  0514 0008 00000005").ErrorName, Is.EqualTo("OFPBFC_BAD_VERSION"));
    }

    [Test]
    public void Malformed_inner_message_is_refused_with_its_position()
    {
        // GROUP_MOD whose bucket claims 64 bytes
        var e = Refused($"0404 0038 00000005 {AddHead}  040f 0020 00000005 0000 01 00 00000001  0040 0001 ffffffff ffffffff 00000000");
        Assert.That(e.ErrorName, Is.EqualTo("OFPGMFC_BAD_BUCKET"));
        Assert.That(e.Offset, Is.EqualTo(24 + 16));
    }

    [Test]
    public void Control_properties_must_be_whole_tlvs()
    {
        Refused("0404 001c 00000005 4f4e4600 000008fc 00000001 0000 0003  ffff0004"); // not a multiple of 8
        Refused("0404 0020 00000005 4f4e4600 000008fc 00000001 0000 0003  ffff0002 00000000"); // length < 4
        Refused("0404 0020 00000005 4f4e4600 000008fc 00000001 0000 0003  ffff0010 00000000"); // overruns
        Assert.That(OfpDecoder.Decode(Hex("0404 0020 00000005 4f4e4600 000008fc 00000001 0000 0003  ffff0008 00002320")),
            Is.InstanceOf<BundleControl>());
    }

    [Test]
    public void Truncated_control_is_refused()
    {
        Refused("0404 0014 00000005 4f4e4600 000008fc 00000001");
    }
}
