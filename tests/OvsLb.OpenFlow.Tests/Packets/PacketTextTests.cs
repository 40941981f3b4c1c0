using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// PACKET_IN/PACKET_OUT corner cases a running switch does not produce (buffered packets, a
/// total_len that disagrees with the data, reasons OVS only uses internally, frames shorter than
/// an Ethernet header). The messages are hand-made; each expected text is what
/// `ovs-ofctl -O OpenFlow13 ofp-print HEX` (Open vSwitch 3.1) printed for exactly that hex.
/// </summary>
[TestFixture]
public class PacketTextTests
{
    private const string Arp = "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a0000fe";
    private const string ArpLine = "arp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.0.1,arp_tpa=10.0.0.254,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00";

    [TestCase("040a004c0000000700001234003c0000ffffffffffffffff00010004000000000000" + Arp,
        "OFPT_PACKET_IN (OF1.3) (xid=0x7): total_len=60  (via no_match) data_len=42 buffer=0x00001234")]
    [TestCase("040a004c00000007ffffffff00640305000000000000000100010004000000000000" + Arp,
        "OFPT_PACKET_IN (OF1.3) (xid=0x7): table_id=5 cookie=0x1 total_len=100  (via action_set) data_len=42 (unbuffered) (***total_len != data_len***)")]
    [TestCase("040a004c00000007ffffffff002a06ff000000000000000000010004000000000000" + Arp,
        "OFPT_PACKET_IN (OF1.3) (xid=0x7): table_id=255 cookie=0x0 total_len=42  (via ) data_len=42 (unbuffered)")]
    [TestCase("040a004c00000007ffffffff002a0900000000000000000000010004000000000000" + Arp,
        "OFPT_PACKET_IN (OF1.3) (xid=0x7): cookie=0x0 total_len=42  (via 9) data_len=42 (unbuffered)")]
    [TestCase("040a004c00000007ffffffff00100400000000000000000000010004000000000000" + Arp,
        "OFPT_PACKET_IN (OF1.3) (xid=0x7): cookie=0x0 total_len=16  (via group) data_len=42 (unbuffered) (***total_len != data_len***)")]
    [TestCase("040a004c000000070000000100100500000000000000000000010004000000000000" + Arp,
        "OFPT_PACKET_IN (OF1.3) (xid=0x7): cookie=0x0 total_len=16  (via packet_out) data_len=42 buffer=0x00000001 (***total_len < data_len***)")]
    public void Packet_in(string hex, string firstLine)
    {
        var m = OfpDecoder.Decode(Convert.FromHexString(hex));
        Assert.That(OfpPrinter.Print(m), Is.EqualTo(firstLine + "\n" + ArpLine));
        Assert.That(Convert.ToHexString(OfpEncoder.ToArray(m)).ToLowerInvariant(), Is.EqualTo(hex));
    }

    [TestCase("040d0018000000090000abcdfffffffd0000000000000000",
        "OFPT_PACKET_OUT (OF1.3) (xid=0x9): in_port=CONTROLLER actions=drop buffer=0x0000abcd")]
    [TestCase("040d001800000009fffffffffffffffe0000000000000000",
        "OFPT_PACKET_OUT (OF1.3) (xid=0x9): in_port=LOCAL actions=drop data_len=0")]
    [TestCase("040d001e00000009fffffffffffffffd0000000000000000010203040506",
        "OFPT_PACKET_OUT (OF1.3) (xid=0x9): in_port=CONTROLLER actions=drop data_len=6\nvlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,dl_type=0x0000")]
    [TestCase("040d0028000000090000abcd00000001001000000000000000000010000000020000000000000000",
        "OFPT_PACKET_OUT (OF1.3) (xid=0x9): in_port=1 actions=output:2 buffer=0x0000abcd")]
    public void Packet_out(string hex, string text)
    {
        var m = OfpDecoder.Decode(Convert.FromHexString(hex));
        Assert.That(OfpPrinter.Print(m), Is.EqualTo(text));
        Assert.That(Convert.ToHexString(OfpEncoder.ToArray(m)).ToLowerInvariant(), Is.EqualTo(hex));
    }
}
