using System.Text.RegularExpressions;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// tests/golden/data/ovs-refuses.golden: hand-made messages OVS 3.1 refuses (bad set_field OXMs,
/// action prerequisites missing from the match, output ports outside OVS's range, unknown meter
/// bands, experimenter ids and instructions) or accepts (UTF-8 table names, output_trunc), with the
/// text ovs-ofctl ofp-print printed for each. (GoldenVectorTests and OvsChecksTests also run on it:
/// each decodes, re-encodes byte for byte, prints as OVS printed it and OvsChecks names OVS's error.)
/// </summary>
[TestFixture]
public partial class OvsRefusesTests
{
    [GeneratedRegex(@"\*\*\*decode error: (\w+)\*\*\*")]
    private static partial Regex DecodeError();

    private static IEnumerable<GoldenEntry> Entries => GoldenFile.Load("ovs-refuses.golden");

    public static IEnumerable<TestCaseData> Vectors() =>
        Entries.Select(e => new TestCaseData(e).SetName($"OvsRefuses.{e.Name}"));

    /// <summary>What `ovslb ofp-print` prints: <see cref="OfpPrinter.PrintBytes"/> at ovs-ofctl's verbosity 2.</summary>
    [TestCaseSource(nameof(Vectors))]
    public void Print_bytes_equals_ovs_ofp_print(GoldenEntry e) =>
        Assert.That(OfpPrinter.PrintBytes(e.Bytes, 2), Is.EqualTo(string.Join("\n", e.Text) + "\n"), e.Extra.GetValueOrDefault("note"));

    [Test]
    public void The_corpus_covers_every_class()
    {
        var names = Entries.Select(e => DecodeError().Match(string.Join("\n", e.Text))).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.That(names, Is.SupersetOf(new[]
        {
            "OFPBAC_BAD_SET_LEN", "OFPBAC_BAD_SET_TYPE", "OFPBAC_BAD_SET_MASK", "OFPBAC_BAD_SET_ARGUMENT",
            "OFPBAC_MATCH_INCONSISTENT", "OFPBAC_BAD_OUT_PORT", "OFPBRC_BAD_PORT", "OFPMMFC_BAD_BAND",
            "OFPBAC_BAD_VENDOR", "OFPBAC_BAD_VENDOR_TYPE", "OFPBAC_BAD_TYPE", "OFPBRC_BAD_VENDOR", "OFPBRC_BAD_SUBTYPE",
            "OFPBIC_DUP_INST", "OFPBIC_UNKNOWN_INST", "OFPBIC_BAD_EXPERIMENTER", "OFPBAC_BAD_ARGUMENT",
        }));
    }

    [Test]
    public void Set_field_without_its_prerequisite_is_refused_by_validate_with_a_typed_error()
    {
        var flow = new FlowMod
        {
            Match = OfpMatch.Create(OxmEntry.For(MfId.EthType, 0x0800)),
            Instructions = [new ApplyActionsInstruction([SetFieldAction.Of(MfId.TcpDst, 80)])],
        };
        var ex = Assert.Throws<OfpProtocolException>(() => OvsChecks.Validate(flow))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.ErrorName, Is.EqualTo("OFPBAC_MATCH_INCONSISTENT"));
            Assert.That(ex.Kind, Is.EqualTo(OfpErrorKind.BadAction));
        });
        var withTcp = flow with { Match = OfpMatch.Create(OxmEntry.For(MfId.EthType, 0x0800), OxmEntry.For(MfId.IpProto, 6)) };
        Assert.DoesNotThrow(() => OvsChecks.Validate(withTcp));
    }

    [Test]
    public void Output_trunc_builder_encodes_what_ovs_decodes()
    {
        var golden = Entries.Single(e => e.Name == "output-trunc-port-1");
        var built = new FlowMod { Priority = 0x8000, Instructions = [new ApplyActionsInstruction([new OutputTruncAction(1, 100)])], Xid = 1 };
        Assert.That(Convert.ToHexString(OfpEncoder.ToArray(built)), Is.EqualTo(Convert.ToHexString(golden.Bytes)));
        Assert.That(new OutputTruncAction(0xfffe, 64).ToString(), Is.EqualTo("output(port=LOCAL,max_len=64)"));
        Assert.That(new OutputTruncAction(0xfffe, 64).Port, Is.EqualTo(OfctlFormat.Ports.Local));
    }

    [Test]
    public void Output_trunc_round_trips_and_a_wrong_length_is_rejected()
    {
        ActionBytes.RoundTrip("ffff0010 00002320 0027 fffd 00000040", "output(port=CONTROLLER,max_len=64)");
        ActionBytes.Rejects("ffff0018 00002320 0027 0001 00000064 0000000000000000"); // OVS: OFPBAC_BAD_LEN
    }
}
