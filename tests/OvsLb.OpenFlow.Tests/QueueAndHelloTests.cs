using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// OFPT_QUEUE_GET_CONFIG_REQUEST/REPLY, OFPMP_QUEUE and HELLO version bitmaps. Hand-made bytes are
/// malformed inputs, or bytes whose text ovs-ofctl 3.1 ofp-print printed as asserted.
/// </summary>
[TestFixture]
public class QueueAndHelloTests
{
    private static byte[] Golden(string file, string name) => GoldenFile.Load(file).Single(e => e.Name == name).Bytes;

    private static OfpProtocolException Rejects(byte[] bytes) => Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;

    private static byte[] ConfigReply(string body) => MultipartTests.Msg(OfpType.QueueGetConfigReply, body, xid: 2);

    [Test]
    public void Queue_config_round_trips_typed()
    {
        Assert.That(OfpEncoder.ToArray(new QueueGetConfigRequest(1) { Xid = 2 }), Is.EqualTo(Golden("misc.golden", "queue-get-config.queue-get-config-request")));
        var reply = (QueueGetConfigReply)OfpDecoder.Decode(Golden("misc.golden", "queue-get-config.queue-get-config-reply"));
        Assert.That(reply.Port, Is.EqualTo(1u));
        Assert.That(reply.Queues.Single(), Is.EqualTo(new PacketQueue(0, 1, EquatableArray<QueueProperty>.Empty)));
    }

    [Test]
    public void Queue_config_reply_sorts_queues_and_prints_rates_like_ovs()
    {
        // Port 5: queue 2 (min 50.0%, max 100.1% = disabled), queue 1 (no rates).
        var bytes = ConfigReply("0000000500000000" +
            "00000002" + "00000005" + "0030" + "000000000000" +
            "0001" + "0010" + "00000000" + "01f4" + "000000000000" +
            "0002" + "0010" + "00000000" + "03e9" + "000000000000" +
            "00000001" + "00000005" + "0010" + "000000000000");
        var m = (QueueGetConfigReply)OfpDecoder.Decode(bytes);
        Assert.That(m.Queues[0].Rate(QueuePropertyType.MinRate), Is.EqualTo(500));
        Assert.That(OfpPrinter.Print(m), Is.EqualTo("OFPT_QUEUE_GET_CONFIG_REPLY (OF1.3) (xid=0x2): port=5\nqueue 1:\nqueue 2: min_rate:50.0% max_rate:(disabled)"));
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
    }

    [Test]
    public void Queue_config_ports_ovs_refuses_print_ovs_errors()
    {
        string Text(uint port) => OfpPrinter.Print(new QueueGetConfigRequest(port) { Xid = 2 });
        Assert.That(Text(OfctlFormat.Ports.Any), Is.EqualTo("OFPT_QUEUE_GET_CONFIG_REQUEST (OF1.3) (xid=0x2): port=ANY"));
        Assert.That(Text(OfctlFormat.Ports.Local), Does.StartWith("OFPT_QUEUE_GET_CONFIG_REQUEST (OF1.3) (xid=0x2): ***decode error: OFPQOFC_BAD_PORT***"));
        Assert.That(Text(0xfffe), Does.Contain("***decode error: OFPBAC_BAD_OUT_PORT***"));
    }

    [Test]
    public void Queue_config_length_errors_are_rejected()
    {
        Assert.That(Rejects(MultipartTests.Msg(OfpType.QueueGetConfigRequest, "00000001000000", xid: 2)).Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(Rejects(ConfigReply("00000001000000000000000000000001000c0000")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(Rejects(ConfigReply("0000000100000000" + "0000000000000001000c000000000000")).Message, Does.Contain("packet queue length 12"));
        Assert.That(Rejects(ConfigReply("0000000100000000" + "00000000000000010018000000000000")).ErrorName, Is.EqualTo("OFPBRC_BAD_LEN"));
        Assert.That(Rejects(ConfigReply("0000000100000000" + "00000000000000010018000000000000" + "0001000400000000")).Message, Does.Contain("queue property length 4"));
        Assert.That(Rejects(ConfigReply("0000000100000000" + "00000000000000010018000000000000" + "0001000800000000")).Message, Does.Contain("is not 16"));
    }

    [Test]
    public void Unknown_queue_properties_are_kept()
    {
        var bytes = ConfigReply("0000000100000000" + "00000000000000010020000000000000" + "ffff001000000000" + "0000232000000000");
        var m = (QueueGetConfigReply)OfpDecoder.Decode(bytes);
        Assert.That(m.Queues[0].Properties.Single(), Is.TypeOf<RawQueueProperty>());
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
    }

    [Test]
    public void Queue_stats_round_trip_typed()
    {
        var golden = Golden("multipart-stats.golden", "queue-stats.queue-request");
        Assert.That(OfpEncoder.ToArray(new QueueStatsRequest { Xid = 2 }), Is.EqualTo(golden));
        var reply = (QueueStatsReply)OfpDecoder.Decode(Golden("multipart-stats.golden", "queue-stats.queue-reply"));
        Assert.That(reply.Entries.Select(e => e.PortNo), Is.EqualTo(new[] { OfctlFormat.Ports.Local, 1u, 2u }));
        Assert.That(reply.Entries[0].TxBytes, Is.EqualTo(ulong.MaxValue));
    }

    [Test]
    public void Queue_stats_reply_stops_at_a_port_ovs_refuses()
    {
        var ok = "000000010000000200000000000000640000000000000001000000000000000000000005000f4240";
        var bad = "0000ff00000000020000000000000064000000000000000100000000000000000000000500000000";
        var m = OfpDecoder.Decode(MultipartTests.Msg(OfpType.MultipartReply, "00050000 00000000" + ok + bad, xid: 2));
        Assert.That(OfpPrinter.Print(m), Does.StartWith(
            "OFPST_QUEUE reply (OF1.3) (xid=0x2): 1 queues\n  port 1 queue 2: bytes=100, pkts=1, errors=0, duration=5.001s\n***decode error: OFPBAC_BAD_OUT_PORT***\n"));
    }

    [Test]
    public void Queue_stats_bodies_of_the_wrong_size_are_rejected()
    {
        Assert.That(Rejects(MultipartTests.Msg(OfpType.MultipartRequest, "00050000 00000000 ffffffff", xid: 2)).Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(Rejects(MultipartTests.Msg(OfpType.MultipartRequest, "00050000 00000000 ffffffffffffffff00", xid: 2)).Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(Rejects(MultipartTests.Msg(OfpType.MultipartReply, "00050000 00000000 00000001", xid: 2)).Message, Does.Contain("queue stats entry"));
    }

    [Test]
    public void Hello_without_bitmap_allows_every_version_up_to_its_own()
    {
        var h = (HelloMessage)OfpDecoder.Decode(Golden("misc.golden", "hello-encode-0x1e"));
        Assert.That(h.AllowedVersions, Is.EqualTo(0b11110u));
        Assert.That(h.Supports(OfpMessage.Version13), Is.True);
        Assert.That(h.Supports(5), Is.False);
        Assert.That(((HelloMessage)OfpDecoder.Decode(Golden("misc.golden", "hello-switch-of10-to-of15"))).Supports(6), Is.True);
    }

    [Test]
    public void Hello_with_elements_ovs_does_not_understand_dumps_them()
    {
        // An element of type 2, then a bitmap whose only bit is "version 0".
        var unknown = MultipartTests.Msg(OfpType.Hello, "0002000800000012", xid: 1);
        Assert.That(OfpPrinter.Print(OfpDecoder.Decode(unknown)), Is.EqualTo(
            "OFPT_HELLO (OF1.3) (xid=0x1):\n version bitmap: 0x01, 0x02, 0x03, 0x04\n unknown data in hello:\n" +
            "00000000  04 00 00 10 00 00 00 01-00 02 00 08 00 00 00 12 |................|"));
        var zero = (HelloMessage)OfpDecoder.Decode(MultipartTests.Msg(OfpType.Hello, "0001000800000001", xid: 1));
        Assert.That((zero.AllowedVersions, zero.FullyUnderstood), Is.EqualTo((0b11110u, false)));
        var of13 = (HelloMessage)OfpDecoder.Decode(OfpEncoder.ToArray(HelloMessage.Offering(1)));
        Assert.That((of13.AllowedVersions, of13.FullyUnderstood), Is.EqualTo((0b10000u, true)));
    }

    [Test]
    public void Hello_element_lengths_are_checked()
    {
        Assert.That(Rejects(MultipartTests.Msg(OfpType.Hello, "0001000200000000", xid: 1)).Message, Does.Contain("below 4"));
        Assert.That(Rejects(MultipartTests.Msg(OfpType.Hello, "0001001000000010", xid: 1)).Message, Does.Contain("overruns"));
    }
}
