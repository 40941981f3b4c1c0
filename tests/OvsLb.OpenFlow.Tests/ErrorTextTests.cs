using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// OFPT_ERROR text for embedded requests OVS itself never truncates (it echoes up to 65523 bytes; see
/// errors.golden for that case). The error bytes are hand-made; each expected text is what
/// <c>ovs-ofctl -O OpenFlow13 ofp-print HEX</c> (OVS 3.1) printed for exactly those bytes.
/// </summary>
[TestFixture]
public class ErrorTextTests
{
    private static string Print(string hex) => OfpPrinter.Print(OfpDecoder.Decode(Convert.FromHexString(hex)));

    [Test]
    public void Request_truncated_to_64_bytes_prints_its_header_line_then_a_hex_dump()
    {
        // first 64 bytes of parse-flow 'table=1,priority=100,tcp,nw_src=10.0.0.0/8,nw_dst=192.168.1.1,tp_dst=443
        // actions=set_field:02:00:00:00:00:01->eth_dst,dec_ttl,group:7' (136 bytes)
        var text = Print("0401004c0000004200020009040e008800000001000000000000000000000000000000000100000000000064ffffffffffffffffffffffff000000000001002980000a020800800017080a00");
        Assert.That(text, Is.EqualTo(
            "OFPT_ERROR (OF1.3) (xid=0x42): OFPBAC_BAD_OUT_GROUP\n" +
            "OFPT_FLOW_MOD (OF1.3) (xid=0x1):\n" +
            "(***truncated to 64 bytes from 136***)\n" +
            "00000000  04 0e 00 88 00 00 00 01-00 00 00 00 00 00 00 00 |................|\n" +
            "00000010  00 00 00 00 00 00 00 00-01 00 00 00 00 00 00 64 |...............d|\n" +
            "00000020  ff ff ff ff ff ff ff ff-ff ff ff ff 00 00 00 00 |................|\n" +
            "00000030  00 01 00 29 80 00 0a 02-08 00 80 00 17 08 0a 00 |...)............|"));
    }

    [Test]
    public void Truncated_request_too_short_to_identify_has_no_header_line()
    {
        Assert.That(Print("0401001400000042000100060404004000000042"), Is.EqualTo(
            "OFPT_ERROR (OF1.3) (xid=0x42): OFPBRC_BAD_LEN\n" +
            "(***truncated to 8 bytes from 64***)\n" +
            "00000000  04 04 00 40 00 00 00 42-                        |...@...B        |"));
    }

    [Test]
    public void Truncated_bundle_add_is_identified_by_its_experimenter_header()
    {
        Assert.That(Print("04010020000000420001000604040040000000424f4e4600000008fd00000000"), Is.EqualTo(
            "OFPT_ERROR (OF1.3) (xid=0x42): OFPBRC_BAD_LEN\n" +
            "ONFT_BUNDLE_ADD_MESSAGE (OF1.3) (xid=0x42):\n" +
            "(***truncated to 20 bytes from 64***)\n" +
            "00000000  04 04 00 40 00 00 00 42-4f 4e 46 00 00 00 08 fd |...@...BONF.....|\n" +
            "00000010  00 00 00 00                                     |....            |"));
    }

    [Test]
    public void Echo_payload_is_dumped_at_top_level_but_not_inside_an_error()
    {
        Assert.That(Print("0402000c00000001aabbccdd"), Is.EqualTo(
            "OFPT_ECHO_REQUEST (OF1.3) (xid=0x1): 4 bytes of payload\n" +
            "00000000  aa bb cc dd                                     |....            |"));
        Assert.That(Print("0401001800000009000100000402000c00000009aabbccdd"), Is.EqualTo(
            "OFPT_ERROR (OF1.3) (xid=0x9): OFPBRC_BAD_VERSION\n" +
            "OFPT_ECHO_REQUEST (OF1.3) (xid=0x9): 4 bytes of payload"));
    }
}
