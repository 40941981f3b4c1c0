using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Nicira;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// Nicira extension messages: NXT_SET_PACKET_IN_FORMAT, NXT_CT_FLUSH_ZONE, NXT_CT_FLUSH and the TLV
/// table messages. Hand-made bytes below are malformed inputs, or (where text is checked) bytes whose
/// text ovs-ofctl 3.1 ofp-print printed as asserted.
/// </summary>
[TestFixture]
public class NiciraMessageTests
{
    private static byte[] Golden(string name) => GoldenFile.Load("misc.golden").Single(e => e.Name == name).Bytes;

    /// <summary>An NXT_* message with the given subtype and body (xid 2).</summary>
    private static byte[] Nx(uint subtype, string bodyHex) =>
        MultipartTests.Msg(OfpType.Experimenter, "00002320" + subtype.ToString("x8") + bodyHex, xid: 2);

    private static OfpProtocolException Rejects(byte[] bytes) => Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;

    [Test]
    public void Messages_built_in_code_equal_what_ovs_ofctl_sends()
    {
        var flush = CtFlush.Create(6,
            new CtTuple(CtTuple.MapIPv4(0x0a000001), CtTuple.MapIPv4(0x0a000064), SrcPort: 40000, DstPort: 80), zone: 5);
        Assert.That(OfpEncoder.ToArray(flush with { Xid = 2 }), Is.EqualTo(Golden("ct-flush-tuple")));
        Assert.That(OfpEncoder.ToArray(new CtFlushZone(5) { Xid = 2 }), Is.EqualTo(Golden("ct-flush-zone")));
        Assert.That(OfpEncoder.ToArray(new SetPacketInFormat(PacketInFormat.NxtPacketIn2) { Xid = 6 }), Is.EqualTo(Golden("monitor-packet-in2-watch.set-packet-in-format")));
        var add = new TlvTableMod(TlvTableCommand.Add, new[] { new TlvMap(0xffff, 0, 4, 0) }) { Xid = 2 };
        Assert.That(OfpEncoder.ToArray(add), Is.EqualTo(Golden("tlv-map-add")));
        Assert.That(OfpEncoder.ToArray(new TlvTableRequest { Xid = 2 }), Is.EqualTo(Golden("tlv-map-dump.tlv-table-request")));
    }

    [Test]
    public void Ct_flush_is_read_as_ovs_reads_it()
    {
        var m = ((CtFlush)OfpDecoder.Decode(Golden("ct-flush-tuple"))).Match;
        Assert.That(m.IpProto, Is.EqualTo(6));
        Assert.That(m.Family, Is.EqualTo(4));
        Assert.That(m.Zone, Is.EqualTo((ushort)5));
        Assert.That(m.Original, Is.EqualTo(new CtTuple(CtTuple.MapIPv4(0x0a000001), CtTuple.MapIPv4(0x0a000064), 40000, 80)));
        Assert.That(m.Reply, Is.EqualTo(CtTuple.Empty));
    }

    [Test]
    public void Ct_flush_of_icmpv6_prints_icmp_fields_and_ipv6_names()
    {
        // ip_proto 1 (ICMP), original tuple fe80::1, icmp_id 7, type 8, code 0.
        var bytes = Nx(32, "0100000000000000" + "0000003800000000" + "00000014fe800000000000000000000000000001" + "00000000" +
            "0004000800070000" + "0005000508000000" + "0006000500000000");
        var m = OfpDecoder.Decode(bytes);
        Assert.That(OfpPrinter.Print(m), Is.EqualTo("NXT_CT_FLUSH (OF1.3) (xid=0x2): zone=0 'ct_ipv6_src=fe80::1,ct_ipv6_dst=::,icmp_id=7,icmp_type=8,icmp_code=0,ct_nw_proto=1' 'ct_ipv6_src=::,ct_ipv6_dst=::,icmp_id=0,icmp_type=0,icmp_code=0'"));
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
    }

    [Test]
    public void Ct_flush_properties_not_in_ovs_encoding_are_kept_and_still_read()
    {
        // Zone as a 6-byte property (OVS writes 8), an unknown property type 7, an experimenter property.
        var bytes = Nx(32, "0600000000000000" + "0002000600030000" + "0007000800010000" + "ffff000c0000abcd0000000100000000");
        var m = (CtFlush)OfpDecoder.Decode(bytes);
        Assert.That(m.Properties.All(p => p is RawCtProperty), Is.True);
        Assert.That(m.Match.Zone, Is.EqualTo((ushort)3));
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
    }

    [Test]
    public void Ct_flush_with_non_zero_padding_is_rejected()
    {
        var e = Rejects(Nx(32, "0601000000000000"));
        Assert.That(e.ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
    }

    [Test]
    public void Ct_flush_property_length_errors_are_rejected()
    {
        Assert.That(Rejects(Nx(32, "0600000000000000" + "00020002")).ErrorName, Is.EqualTo("OFPBPC_BAD_LEN"));
        Assert.That(Rejects(Nx(32, "0600000000000000" + "0002001000050000")).Message, Does.Contain("does not fit"));
        Assert.That(Rejects(Nx(32, "0600000000000000" + "0002000507000000")).Message, Does.Contain("needs 2"));
        Assert.That(Rejects(Nx(32, "0600000000000000" + "0000000600000000")).Message, Does.Contain("below 8"));
        Assert.That(Rejects(Nx(32, "0600000000000000" + "000200")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Ct_flush_mixing_ipv4_and_ipv6_is_rejected_as_ovs_does()
    {
        var bytes = Nx(32, "0600000000000000" +
            "0000002000000000" + "0000001400000000000000000000ffff0a000001" + "00000000" +
            "0001002000000000" + "00010014fe800000000000000000000000000001" + "00000000");
        var e = Rejects(bytes);
        Assert.That(e.ErrorName, Is.EqualTo("OFPBPC_BAD_VALUE"));
        Assert.That(OfpPrinter.PrintBytes(bytes), Does.StartWith("NXT_CT_FLUSH (OF1.3) (xid=0x2): ***decode error: OFPBPC_BAD_VALUE***"));
    }

    [Test]
    public void Ct_flush_experimenter_property_with_experimenter_0_is_rejected()
    {
        Assert.That(Rejects(Nx(32, "0600000000000000" + "ffff000c000000000000000100000000")).ErrorName, Is.EqualTo("OFPBPC_BAD_EXPERIMENTER"));
    }

    [Test]
    public void Ct_flush_zone_needs_zero_bytes_and_exactly_8_bytes()
    {
        Assert.That(Rejects(Nx(29, "0000000000010005")).ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
        Assert.That(Rejects(Nx(29, "000000000000")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(Rejects(Nx(29, "000000000000000500")).Kind, Is.EqualTo(OfpErrorKind.BadLength));
    }

    [Test]
    public void Set_packet_in_format_body_must_be_4_bytes_and_unknown_formats_print_eperm()
    {
        Assert.That(Rejects(Nx(16, "000002")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
        Assert.That(Rejects(Nx(16, "0000000200")).Kind, Is.EqualTo(OfpErrorKind.BadLength));
        var m = OfpDecoder.Decode(Nx(16, "00000007"));
        Assert.That(OfpPrinter.Print(m), Does.StartWith("NXT_SET_PACKET_IN_FORMAT (OF1.3) (xid=0x2): ***decode error: OFPBRC_EPERM***"));
    }

    [Test]
    public void Tlv_maps_must_be_whole_8_byte_entries_with_zero_padding()
    {
        Assert.That(Rejects(Nx(24, "0000000000000000" + "ffff0004000000")).Message, Does.Contain("not a multiple of 8"));
        Assert.That(Rejects(Nx(24, "0000000000000000" + "ffff000400000001")).ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
        Assert.That(Rejects(Nx(24, "0000000000000100")).ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
        Assert.That(Rejects(Nx(26, "00000100004000000000000000000001")).ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
        Assert.That(Rejects(Nx(24, "000000")).Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Tlv_values_ovs_refuses_print_ovs_errors()
    {
        string Text(string body) => OfpPrinter.Print(OfpDecoder.Decode(Nx(24, body)));
        Assert.That(Text("0003000000000000ffff000400000000"), Does.Contain("***decode error: NXTTMFC_BAD_COMMAND***"));
        Assert.That(Text("0000000000000000ffff000600000000"), Does.Contain("***decode error: NXTTMFC_BAD_OPT_LEN***"));
        Assert.That(Text("0000000000000000ffff000400400000"), Does.Contain("***decode error: NXTTMFC_BAD_FIELD_IDX***"));
        Assert.That(Text("0000000000000000abcdff7c003f00000102030400050000"), Is.EqualTo(string.Join("\n",
            "NXT_TLV_TABLE_MOD (OF1.3) (xid=0x2):",
            " ADD mapping table:",
            "  class  type  length  match field",
            " ------  ----  ------  --------------",
            " 0xabcd  0xff     124  tun_metadata63",
            "  0x102   0x3       4  tun_metadata5")));
    }
}
