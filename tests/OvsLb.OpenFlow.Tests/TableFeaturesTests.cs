using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// OFPMP_TABLE_FEATURES: typed properties, byte-exact re-encoding, OVS's text and malformed bodies.
/// The hex messages below were assembled by hand; their expected text is what ovs-ofctl 3.1
/// ofp-print printed for exactly those bytes.
/// </summary>
[TestFixture]
public class TableFeaturesTests
{
    /// <summary>
    /// Table 3 with instructions goto/apply, next tables 4,5,6,9, write actions output, apply actions
    /// output/group/set_field, match eth_type, ip_src/M, tcp_dst, reg0, reg1/M, wildcards ip_src and reg0,
    /// set-field eth_dst (write) and eth_dst + ip_dscp (apply); 176 bytes.
    /// </summary>
    private const string Table3 =
        "00b0030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ff00000000000000000000000000000064" +
        "0000000c000100040004000400000000" + "0002000804050609" + "0004000800000004" + "00060010000000040016000400190004" +
        "0008001880000a028000170880001c020001000400010308" + "000a000c800016040001000400000000" + "000c000880000606" +
        "000e000c800006068000100100000000";

    private static byte[] Request(string entries) => MultipartTests.Msg(OfpType.MultipartRequest, "000c0000 00000000" + entries, xid: 9);

    private static OfpProtocolException Rejects(byte[] bytes) => Assert.Throws<OfpProtocolException>(() => OfpDecoder.Decode(bytes))!;

    [Test]
    public void Empty_request_is_what_dump_table_features_sends()
    {
        var golden = GoldenFile.Load("misc.golden").Single(e => e.Name == "table-features-request");
        Assert.That(OfpEncoder.ToArray(TableFeaturesRequest.Query(2)), Is.EqualTo(golden.Bytes));
        Assert.That(OfpDecoder.Decode(golden.Bytes), Is.EqualTo(TableFeaturesRequest.Query(2)));
    }

    [Test]
    public void Properties_decode_typed_and_reencode_byte_for_byte()
    {
        var bytes = Request(Table3);
        var m = (TableFeaturesRequest)OfpDecoder.Decode(bytes);
        var t = m.Tables.Single();
        Assert.That((t.TableId, t.Name, t.MetadataMatch, t.MaxEntries), Is.EqualTo(((byte)3, "", 0xffUL, 100u)));
        Assert.That(t.Properties[0], Is.EqualTo(new TableFeatureIdsProperty(TableFeaturePropType.Instructions, new ushort[] { 1, 4 })));
        Assert.That(t.Properties[1], Is.EqualTo(new NextTablesProperty(false, new byte[] { 4, 5, 6, 9 })));
        var match = (OxmIdsProperty)t.Properties[4];
        Assert.That(match.Ids.Select(i => (i.Class, i.Field, i.HasMask)), Is.EqualTo(new[]
        {
            ((ushort)0x8000, (byte)5, false), ((ushort)0x8000, (byte)11, true), ((ushort)0x8000, (byte)14, false),
            ((ushort)0x0001, (byte)0, false), ((ushort)0x0001, (byte)1, true),
        }));
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
    }

    [Test]
    public void Text_equals_ovs_for_one_table()
    {
        var m = OfpDecoder.Decode(Request(Table3));
        Assert.That(OfpPrinter.Print(m), Is.EqualTo(string.Join("\n",
            "OFPST_TABLE_FEATURES request (OF1.3) (xid=0x9):",
            "  table 3:",
            "    metadata: match=0xff write=0",
            "    max_entries=100",
            "    instructions (table miss and others):",
            "      next tables: 4-6,9",
            "      instructions: apply_actions goto_table",
            "      Write-Actions features:",
            "        actions: output",
            "        supported on Set-Field: eth_dst",
            "      Apply-Actions features:",
            "        actions: output group set_field",
            "        supported on Set-Field: eth_dst ip_dscp",
            "    matching:",
            "      arbitrary mask: reg1 ip_src",
            "      exact match or wildcard: reg0",
            "      must exact match: eth_type tcp_dst")));
    }

    [Test]
    public void Following_tables_print_as_ditto_or_same_features_like_ovs()
    {
        // Table 4 = table 3 without next table 4 (a table cannot go to itself: still "the same"),
        // table 5 named "x" = table 3 (its next tables include 4, so only "(same ...)" lines).
        string table4 = "00b004" + Table3[6..160] + "0002000705060900" + Table3[176..];
        string table5 = "00b0050000000000" + "78" + Table3[18..];
        var bytes = MultipartTests.Msg(OfpType.MultipartReply, "000c0001 00000000" + Table3 + table4 + table5, xid: 9);
        var m = (TableFeaturesReply)OfpDecoder.Decode(bytes);
        Assert.That(m.Entries.Select(e => e.Name), Is.EqualTo(new[] { "", "", "x" }));
        Assert.That(OfpEncoder.ToArray(m), Is.EqualTo(bytes));
        var text = OfpPrinter.Print(m);
        Assert.That(text, Does.StartWith("OFPST_TABLE_FEATURES reply (OF1.3) (xid=0x9): flags=[more]\n  table 3:\n"));
        Assert.That(text, Does.EndWith(string.Join("\n",
            "      must exact match: eth_type tcp_dst",
            "",
            "  table 4: ditto",
            "",
            "  table 5 (\"x\"):",
            "    metadata: match=0xff write=0",
            "    max_entries=100",
            "    instructions (table miss and others):",
            "      next tables: 4-6,9",
            "      (same instructions)",
            "      (same actions)",
            "    (same matching)")));
    }

    [Test]
    public void Ovs_decode_errors_are_printed_like_ovs()
    {
        // Table id 255 (OFPTT_ALL) and a table without the required properties.
        var all = OfpDecoder.Decode(Request("00b0ff" + Table3[6..]));
        Assert.That(OfpPrinter.Print(all), Does.StartWith("OFPST_TABLE_FEATURES request (OF1.3) (xid=0x9): ***decode error: OFPTFFC_BAD_TABLE***\n00000000  04 12"));
        var bare = OfpDecoder.Decode(Request("0040030000000000" + Table3[16..128]));
        Assert.That(OfpPrinter.Print(bare), Does.StartWith("OFPST_TABLE_FEATURES request (OF1.3) (xid=0x9): ***decode error: OFPTFFC_BAD_FEATURES***"));
    }

    [Test]
    public void Properties_that_are_not_plain_id_lists_are_kept_raw()
    {
        // An experimenter instruction id (8 bytes) and an unknown property type 20.
        string extra = "0001000c" + "ffff0008" + "00002320" + "00000000" + "0014000501000000";
        string entry = "00c8" + Table3[4..] + extra;
        var bytes = Request(entry);
        var t = ((TableFeaturesRequest)OfpDecoder.Decode(bytes)).Tables.Single();
        Assert.That(t.Properties[^2], Is.TypeOf<RawTableFeatureProperty>());
        Assert.That(t.Properties[^1], Is.TypeOf<RawTableFeatureProperty>());
        Assert.That(t.Properties[^1].Type, Is.EqualTo((TableFeaturePropType)20));
        Assert.That(OfpEncoder.ToArray(OfpDecoder.Decode(bytes)), Is.EqualTo(bytes));
    }

    [Test]
    public void Entry_shorter_than_64_bytes_is_rejected()
    {
        var e = Rejects(Request("0038" + Table3[4..]));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.BadLength));
        Assert.That(e.ErrorName, Is.EqualTo("OFPBPC_BAD_LEN"));
    }

    [Test]
    public void Entry_length_not_a_multiple_of_8_or_past_the_body_is_rejected()
    {
        Assert.That(Rejects(Request("00ac" + Table3[4..])).Message, Does.Contain("multiple of 8"));
        Assert.That(Rejects(Request("00b8" + Table3[4..])).Kind, Is.EqualTo(OfpErrorKind.BadLength));
    }

    [Test]
    public void Truncated_entry_header_is_rejected()
    {
        var e = Rejects(Request(Table3[..96]));
        Assert.That(e.Kind, Is.EqualTo(OfpErrorKind.Truncated));
    }

    [Test]
    public void Property_length_below_4_or_overrunning_the_entry_is_rejected()
    {
        // First property header at entry offset 64 (hex offset 128).
        Assert.That(Rejects(Request(Table3[..128] + "00000002" + Table3[136..])).ErrorName, Is.EqualTo("OFPBPC_BAD_LEN"));
        Assert.That(Rejects(Request(Table3[..128] + "000000f0" + Table3[136..])).Message, Does.Contain("does not fit"));
    }

    [Test]
    public void Non_zero_padding_and_bad_names_are_rejected()
    {
        Assert.That(Rejects(Request("00b00301" + Table3[8..])).ErrorName, Is.EqualTo("NXBRC_MUST_BE_ZERO"));
        string noNul = "00b0030000000000" + string.Concat(Enumerable.Repeat("41", 32)) + Table3[80..];
        Assert.That(Rejects(Request(noNul)).Message, Does.Contain("table name"));
        string junkAfterNul = "00b0030000000000" + "410042" + Table3[22..];
        Assert.That(Rejects(Request(junkAfterNul)).Kind, Is.EqualTo(OfpErrorKind.BadValue));
    }
}
