using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// The ONF flow monitor (ONFST_FLOW_MONITOR request/reply, ONFT_FLOW_MONITOR_CANCEL/PAUSED/RESUMED).
/// Hand-made bytes are malformed inputs, or bytes whose text ovs-ofctl 3.1 printed as asserted.
/// </summary>
[TestFixture]
public class FlowMonitorTests
{
    private static byte[] Golden(string name) => GoldenFile.Load("misc.golden").Single(e => e.Name == name).Bytes;

    private const string OnfHeader = "4f4e4600 0000074e";

    private static byte[] Request(string body) => MultipartTests.Msg(OfpType.MultipartRequest, "ffff0000 00000000" + OnfHeader + body, xid: 2);
    private static byte[] Reply(string body) => MultipartTests.Msg(OfpType.MultipartReply, "ffff0000 00000000" + OnfHeader + body, xid: 2);

    private static OfpProtocolException Rejects(byte[] bytes) => Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;

    [Test]
    public void Request_built_in_code_equals_what_ovs_ofctl_monitor_sends()
    {
        var req = new FlowMonitorRequest(new[] { new FlowMonitorEntry(0, FlowMonitorFlags.All) }) { Xid = 5 };
        var golden = Golden("monitor-packet-in2-watch.flow-monitor-request");
        Assert.That(OfpEncoder.ToArray(req), Is.EqualTo(golden));
        Assert.That(OfpDecoder.Decode(golden), Is.EqualTo(req));
    }

    [Test]
    public void Reply_updates_are_typed()
    {
        var m = (FlowMonitorReply)OfpDecoder.Decode(Golden("monitor-packet-in2-watch.flow-monitor-reply-2"));
        var u = (FlowUpdateFull)m.Entries.Single();
        Assert.That((u.Event, u.TableId, u.Cookie, u.Priority), Is.EqualTo((FlowUpdateEvent.Added, (byte)0, 0x42UL, (ushort)9)));
        Assert.That(u.Instructions.Single(), Is.TypeOf<ApplyActionsInstruction>());
        Assert.That(((FlowMonitorReply)OfpDecoder.Decode(Golden("monitor-packet-in2-watch.flow-monitor-reply-1"))).Entries, Is.Empty);
    }

    [Test]
    public void Deleted_modified_and_abbreviated_updates_print_like_ovs()
    {
        // DELETED (reason delete, match ip), MODIFIED with timeouts and output:2, ABBREV xid 0xabc.
        var bytes = Reply("002800010002000500000000000a0100" + "0000000000000000" + "0001000a80000a020800000000000000" +
            "0038" + "0002" + "0000" + "0005" + "000a" + "0014" + "0004" + "0100" + "0000000000001234" + "0001000400000000" + "000400180000000000000010000000020000000000000000" +
            "0008000300000abc");
        var m = OfpDecoder.Decode(bytes);
        Assert.That(OfpPrinter.Print(m), Is.EqualTo(string.Join("\n",
            "ONFST_FLOW_MONITOR reply (OF1.3) (xid=0x2):",
            " event=DELETED reason=delete table=1 cookie=0 ip",
            " event=MODIFIED table=1 idle_timeout=10 hard_timeout=20 cookie=0x1234 actions=output:2",
            " event=ABBREV xid=0xabc")));
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
    }

    [Test]
    public void Parts_of_a_split_reply_combine_under_one_experimenter_header()
    {
        var a = (FlowMonitorReply)OfpDecoder.Decode(Reply("0008000300000abc"));
        var b = (FlowMonitorReply)OfpDecoder.Decode(Reply("0008000300000abd"));
        var all = (FlowMonitorReply)MultipartReply.Combine([a, b]);
        Assert.That(all.Entries.Select(e => ((FlowUpdateAbbrev)e).Xid), Is.EqualTo(new uint[] { 0xabc, 0xabd }));
        Assert.That(OfpEncoder.ToArray(all), Is.EqualTo(Reply("0008000300000abc" + "0008000300000abd")));
        // Another experimenter's reply has the same multipart type but cannot be joined to it.
        var other = new RawMultipartReply(MultipartType.Experimenter, new byte[] { 0, 0, 0x23, 0x20, 0, 0, 0, 1 });
        Assert.Throws<InvalidOperationException>(() => MultipartReply.Combine([a, other]));
    }

    [Test]
    public void Unknown_event_is_kept_and_printed_as_ovs_error_after_earlier_updates()
    {
        var bytes = Reply("0008000300000abc" + "0008000900000001");
        var m = (FlowMonitorReply)OfpDecoder.Decode(bytes);
        Assert.That(m.Entries[1], Is.TypeOf<RawFlowUpdate>());
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
        Assert.That(OfpPrinter.Print(m), Does.StartWith("ONFST_FLOW_MONITOR reply (OF1.3) (xid=0x2):\n event=ABBREV xid=0xabc\n***decode error: NXBRC_FM_BAD_EVENT***\n"));
    }

    [Test]
    public void Monitor_flags_and_ports_ovs_refuses_print_ovs_errors()
    {
        // Second monitor has only INITIAL (no add/delete/modify): OFPMOFC_BAD_FLAGS after the first.
        var twice = Request("00000007000e0004fffffffeff000000" + "0001000400000000" + "0000000800010004ffffffffff000000" + "0001000400000000");
        Assert.That(OfpPrinter.Print(OfpDecoder.Decode(twice)), Does.StartWith(
            "ONFST_FLOW_MONITOR request (OF1.3) (xid=0x2):\n id=7 flags=add,delete,modify out_port=LOCAL\n***decode error: OFPMOFC_BAD_FLAGS***\n"));
        var port = Request("00000007000e00040000ff00ff000000" + "0001000400000000");
        Assert.That(OfpPrinter.Print(OfpDecoder.Decode(port)), Does.StartWith("ONFST_FLOW_MONITOR request (OF1.3) (xid=0x2): ***decode error: OFPBAC_BAD_OUT_PORT***"));
    }

    [Test]
    public void Monitor_entry_errors_are_rejected()
    {
        Assert.That(Rejects(Request("00000007000e0004ffffffff")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(Rejects(Request("00000007000e0004ffffffffff000100" + "0001000400000000")).ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
        Assert.That(Rejects(Request("00000007000e0008ffffffffff000000" + "0001000400000000")).Message, Does.Contain("match_len"));
        Assert.That(Rejects(Request("00000007000e0004ffffffffff000000" + "0001002000000000")).Kind, Is.EqualTo(OfpErrorKind.BadMatch));
    }

    [Test]
    public void Update_length_errors_are_rejected()
    {
        Assert.That(Rejects(Reply("0004000300000abc")).Message, Does.Contain("multiple of 8"));
        Assert.That(Rejects(Reply("000c000300000abc")).ErrorName, Is.EqualTo("OFPBRC_BAD_LEN"));
        Assert.That(Rejects(Reply("0010000300000abc0000000000000000")).Message, Does.Contain("abbreviated"));
        Assert.That(Rejects(Reply("0010000000000000" + "0000000000000000")).Message, Does.Contain("below 24"));
        Assert.That(Rejects(Reply("0008")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Cancel_paused_and_resumed_round_trip()
    {
        foreach (var (m, text) in new (OfpMessage, string)[]
        {
            (new FlowMonitorCancel(99) { Xid = 2 }, "ONFT_FLOW_MONITOR_CANCEL (OF1.3) (xid=0x2): id=99"),
            (new FlowMonitorPaused(false) { Xid = 2 }, "ONFT_FLOW_MONITOR_PAUSED (OF1.3) (xid=0x2):"),
            (new FlowMonitorPaused(true) { Xid = 2 }, "ONFT_FLOW_MONITOR_RESUMED (OF1.3) (xid=0x2):"),
        })
        {
            var bytes = OfpEncoder.ToArray(m);
            Assert.That(OfpDecoder.Decode(bytes), Is.EqualTo(m));
            Assert.That(OfpPrinter.Print(m), Is.EqualTo(text));
        }
        Assert.That(Rejects(MultipartTests.Msg(OfpType.Experimenter, OnfHeader + "000000", xid: 2)).Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Other_experimenter_multiparts_stay_raw()
    {
        var bytes = MultipartTests.Msg(OfpType.MultipartReply, "ffff0000 00000000 4f4e4600 0000074f 01020304", xid: 2);
        Assert.That(OfpDecoder.Decode(bytes), Is.TypeOf<RawMultipartReply>());
    }
}
