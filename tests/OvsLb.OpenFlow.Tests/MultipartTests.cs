using System.Buffers.Binary;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Groups;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>Multipart messages: malformed bodies, reassembly of MORE-flagged parts, encoding of constructed values.</summary>
[TestFixture]
public class MultipartTests
{
    /// <summary>An OF1.3 message of <paramref name="type"/> around <paramref name="bodyHex"/> (header length computed).</summary>
    internal static byte[] Msg(OfpType type, string bodyHex, uint xid = 7)
    {
        var body = Convert.FromHexString(bodyHex.Replace(" ", "", StringComparison.Ordinal));
        var m = new byte[8 + body.Length];
        m[0] = 4;
        m[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), (ushort)m.Length);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), xid);
        body.CopyTo(m, 8);
        return m;
    }

    private static string Zeros(int n) => new('0', 2 * n);

    private static OfpProtocolException Rejects(byte[] bytes) =>
        Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;

    private static IEnumerable<byte[]> GoldenHex(string name) =>
        GoldenFile.Load("multipart.golden").Where(e => e.Name.StartsWith(name, StringComparison.Ordinal)).Select(e => e.Bytes);

    [Test]
    public void Multipart_header_shorter_than_8_bytes_is_rejected()
    {
        var e = Rejects(Msg(OfpType.MultipartReply, "0001 0000 0000"));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Port_stats_body_shorter_than_its_entry_is_rejected()
    {
        // One 112-byte ofp_port_stats announced by the type, only 50 bytes present.
        var e = Rejects(Msg(OfpType.MultipartReply, "0004 0000 00000000" + Zeros(50)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(e.Message, Does.Contain("port stats entry"));
    }

    [Test]
    public void Table_stats_with_a_partial_entry_is_rejected()
    {
        var e = Rejects(Msg(OfpType.MultipartReply, "0003 0000 00000000" + Zeros(24) + Zeros(10)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Flow_stats_entry_whose_length_overruns_the_body_is_rejected()
    {
        // length 0x0100 but only 56 bytes follow.
        var entry = "0100 00 00" + Zeros(44) + "0001 0004 00000000";
        var e = Rejects(Msg(OfpType.MultipartReply, "0001 0000 00000000" + entry));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(e.Message, Does.Contain("overruns"));
    }

    [Test]
    public void Flow_stats_entry_length_below_the_fixed_part_is_rejected()
    {
        var entry = "0010 00 00" + Zeros(44) + "0001 0004 00000000";
        var e = Rejects(Msg(OfpType.MultipartReply, "0001 0000 00000000" + entry));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(e.Message, Does.Contain("below"));
    }

    [Test]
    public void Flow_stats_entry_too_short_for_its_match_is_rejected()
    {
        // Entry length 56 covers an 8-byte match, but the match claims 16 bytes (a 12-byte OXM).
        var entry = "0038 00 00" + Zeros(44) + "0001 0010 80000a02 0800 0000";
        var e = Rejects(Msg(OfpType.MultipartReply, "0001 0000 00000000" + entry + Zeros(8)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadMatch));
    }

    [Test]
    public void Flow_stats_entry_with_a_bad_instruction_length_is_rejected()
    {
        // 48 + 8 (empty match) + an 8-byte instruction claiming 16 bytes.
        var entry = "0040 00 00" + Zeros(44) + "0001 0004 00000000" + "0001 0010 01000000";
        var e = Rejects(Msg(OfpType.MultipartReply, "0001 0000 00000000" + entry));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadInstruction));
    }

    [Test]
    public void Port_desc_truncated_is_rejected()
    {
        var e = Rejects(Msg(OfpType.MultipartReply, "000d 0000 00000000" + Zeros(64) + Zeros(63)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(e.Message, Does.Contain("port description"));
    }

    [Test]
    public void Port_status_truncated_is_rejected()
    {
        var e = Rejects(Msg(OfpType.PortStatus, "00 00000000000000" + Zeros(40)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Group_desc_bucket_overrunning_its_entry_is_rejected()
    {
        // Entry of 24 bytes (8 + one 16-byte bucket) whose bucket claims 32 bytes.
        var entry = "0018 01 00 00000001" + "0020 0001 ffffffff ffffffff 00000000";
        var e = Rejects(Msg(OfpType.MultipartReply, "0007 0000 00000000" + entry + Zeros(16)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(e.Message, Does.Contain("bucket"));
    }

    [Test]
    public void Group_stats_length_not_a_whole_number_of_bucket_counters_is_rejected()
    {
        var entry = "0030 0000" + Zeros(44);
        var e = Rejects(Msg(OfpType.MultipartReply, "0006 0000 00000000" + entry));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
    }

    [Test]
    public void Meter_config_band_with_bad_length_is_rejected()
    {
        var entry = "0014 0001 00000001" + "0001 0008 000003e8 00000000";
        var e = Rejects(Msg(OfpType.MultipartReply, "000a 0000 00000000" + entry));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(e.Message, Does.Contain("meter band"));
    }

    [Test]
    public void Meter_stats_length_overrunning_the_body_is_rejected()
    {
        var entry = "00000001 0038 000000000000" + Zeros(32);
        var e = Rejects(Msg(OfpType.MultipartReply, "0009 0000 00000000" + entry));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
    }

    [Test]
    public void Desc_reply_short_is_rejected()
    {
        var e = Rejects(Msg(OfpType.MultipartReply, "0000 0000 00000000" + Zeros(1000)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Bytes_after_a_fixed_size_body_are_rejected()
    {
        var e = Rejects(Msg(OfpType.MultipartReply, "0002 0000 00000000" + Zeros(24) + Zeros(8)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        e = Rejects(Msg(OfpType.MultipartRequest, "0000 0000 00000000" + Zeros(8)));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
    }

    [Test]
    public void Unknown_multipart_type_is_kept_raw_and_reencoded()
    {
        // 14 is OFPMP_TABLE_DESC, an OpenFlow 1.4 kind unknown in 1.3.
        var bytes = Msg(OfpType.MultipartReply, "000e 0001 00000000 0102030405060708");
        var m = OfpDecoder.Decode(bytes);
        Assert.That(m, Is.TypeOf<RawMultipartReply>());
        var raw = (RawMultipartReply)m;
        Assert.That(raw.MultipartType, Is.EqualTo((MultipartType)14));
        Assert.That(raw.More, Is.True);
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));

        var req = Msg(OfpType.MultipartRequest, "ffff 0000 00000000 00002320 00000000");
        Assert.That(OfpDecoder.Decode(req), Is.TypeOf<RawMultipartRequest>());
        Assert.That(OfpEncoder.ToArray(OfpDecoder.Decode(req)), Is.EqualTo(req));
    }

    [Test]
    public void Flow_dump_split_with_more_combines_into_one_reply()
    {
        var parts = GoldenHex("flow-more.reply").Select(b => (FlowStatsReply)OfpDecoder.Decode(b)).ToList();
        Assert.That(parts, Has.Count.EqualTo(2));
        Assert.That(parts[0].More, Is.True);
        Assert.That(parts[1].More, Is.False);

        var all = FlowStatsReply.Combine(parts);
        Assert.That(all.Entries.Count, Is.EqualTo(400));
        Assert.That(all.Entries.Count, Is.EqualTo(parts[0].Entries.Count + parts[1].Entries.Count));
        Assert.That(all.Flags, Is.EqualTo(MultipartFlags.None));
        Assert.That(all.Xid, Is.EqualTo(parts[0].Xid));
        Assert.That(all.Entries.Select(e => e.Priority).Distinct().Count(), Is.EqualTo(400));
    }

    [Test]
    public void Combine_refuses_mixed_kinds_and_single_part_replies()
    {
        var flows = new FlowStatsReply { Flags = MultipartFlags.More };
        var ports = new PortDescReply();
        Assert.Throws<ArgumentException>(() => MultipartReply.Combine([flows, ports]));
        var agg = new AggregateStatsReply(1, 2, 3) { Flags = MultipartFlags.More };
        Assert.Throws<InvalidOperationException>(() => MultipartReply.Combine([agg, agg]));
        Assert.That(MultipartReply.Combine([agg]), Is.EqualTo(agg with { Flags = MultipartFlags.None }));
    }

    [Test]
    public void Raw_reply_parts_concatenate_their_bodies()
    {
        var a = new RawMultipartReply(MultipartType.Queue, new byte[] { 1, 2 }) { Flags = MultipartFlags.More };
        var b = new RawMultipartReply(MultipartType.Queue, new byte[] { 3 });
        var all = (RawMultipartReply)MultipartReply.Combine([a, b]);
        Assert.That(all.Body.Span.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    private static T RoundTrip<T>(T m) where T : OfpMessage
    {
        var bytes = OfpEncoder.ToArray(m);
        var back = OfpDecoder.Decode(bytes);
        Assert.That(back, Is.EqualTo(m));
        Assert.That(OfpEncoder.ToArray(back), Is.EqualTo(bytes));
        return (T)back;
    }

    [Test]
    public void Constructed_requests_round_trip_and_print_like_ovs()
    {
        var flow = new FlowStatsRequest
        {
            Xid = 2, TableId = 2, OutPort = 2, Cookie = 0x1234, CookieMask = ulong.MaxValue,
            Match = new OfpMatch(OxmEntry.For(MfId.EthType, 0x0800)),
        };
        RoundTrip(flow);
        Assert.That(flow.ToString(), Is.EqualTo("OFPST_FLOW request (OF1.3) (xid=0x2): table=2 out_port=2 ip"));
        Assert.That(RoundTrip(new AggregateStatsRequest { Xid = 2 }).ToString(), Is.EqualTo("OFPST_AGGREGATE request (OF1.3) (xid=0x2):"));
        Assert.That(RoundTrip(new PortStatsRequest { Xid = 2 }).ToString(), Is.EqualTo("OFPST_PORT request (OF1.3) (xid=0x2): port_no=ANY"));
        Assert.That(RoundTrip(new GroupStatsRequest(5) { Xid = 2 }).ToString(), Is.EqualTo("OFPST_GROUP request (OF1.3) (xid=0x2): group_id=5"));
        Assert.That(RoundTrip(new MeterConfigRequest { Xid = 2 }).ToString(), Is.EqualTo("OFPST_METER_CONFIG request (OF1.3) (xid=0x2): meter=all"));
        Assert.That(RoundTrip(EmptyMultipartRequest.PortDesc(2)).ToString(), Is.EqualTo("OFPST_PORT_DESC request (OF1.3) (xid=0x2): port=ANY"));
        Assert.That(RoundTrip(EmptyMultipartRequest.Desc(2) with { Flags = (MultipartFlags)3 }).ToString(),
            Is.EqualTo("OFPST_DESC request (OF1.3) (xid=0x2): flags=[more][***unknown flags 0x0002***]"));
    }

    [Test]
    public void Constructed_group_desc_reply_matches_the_captured_bytes()
    {
        var captured = GoldenHex("group-desc.reply").Single();
        var decoded = (GroupDescReply)OfpDecoder.Decode(captured);
        var indirect = decoded.Entries.Single(g => g.GroupId == 4);
        var built = new GroupDescEntry(GroupType.Indirect, 4,
            [new Bucket(0, [new SimpleAction(OfpActionType.DecNwTtl), new OutputAction(3, 0)])]);
        Assert.That(indirect, Is.EqualTo(built));
    }

    [Test]
    public void Flow_stats_entry_formats_like_dump_flows()
    {
        var e = new FlowStatsEntry
        {
            TableId = 1, DurationSec = 3, DurationNsec = 500, Priority = 7, HardTimeout = 9,
            Flags = FlowModFlags.SendFlowRem, Cookie = 0xab, PacketCount = ulong.MaxValue, ByteCount = 10,
            Instructions = [new GotoTableInstruction(2)],
        };
        Assert.That(e.ToString(), Is.EqualTo(
            "cookie=0xab, duration=3.0000005s, table=1, n_packets=?, n_bytes=10, hard_timeout=9, send_flow_rem priority=7 actions=goto_table:2"));
        RoundTrip(new FlowStatsReply { Entries = [e], Xid = 1 });
    }

    [Test]
    public void Duration_prints_milliseconds_or_exact_nanoseconds()
    {
        string D(uint s, uint ns)
        {
            var sb = new System.Text.StringBuilder();
            StatsFormat.Duration(sb, s, ns);
            return sb.ToString();
        }
        Assert.That(D(5, 0), Is.EqualTo("5s"));
        Assert.That(D(1, 234_000_000), Is.EqualTo("1.234s"));
        Assert.That(D(1, 1_000_000), Is.EqualTo("1.001s"));
        Assert.That(D(1, 120_000), Is.EqualTo("1.00012s"));
    }
}
