using System.Text.RegularExpressions;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// <see cref="OvsChecks"/> against the whole golden corpus: it refuses exactly the (non-error) messages
/// whose ofp-print text shows a decode error, with OVS's error name, and accepts every other one.
/// </summary>
[TestFixture]
public partial class OvsChecksTests
{
    [GeneratedRegex(@"\*\*\*decode error: (\w+)\*\*\*")]
    private static partial Regex DecodeError();

    public static IEnumerable<TestCaseData> Vectors() =>
        GoldenFile.LoadAll().Where(e => e.Bytes[1] != 1) // OFPT_ERROR carries the refused request as data
            .Select(e => new TestCaseData(e).SetName($"OvsChecks.{Path.GetFileNameWithoutExtension(e.File)}.{e.Name}"));

    [TestCaseSource(nameof(Vectors))]
    public void Refuses_what_ovs_refuses(GoldenEntry e)
    {
        var m = OfpDecoder.Decode(e.Bytes);
        var match = DecodeError().Match(string.Join("\n", e.Text));
        string? expected = match.Success ? match.Groups[1].Value : null;
        Assert.That(OvsChecks.ErrorName(m), Is.EqualTo(expected), e.Command);
        if (expected is null)
        {
            Assert.DoesNotThrow(() => OvsChecks.DecodeStrict(e.Bytes));
        }
        else
        {
            var ex = Assert.Throws<OfpProtocolException>(() => OvsChecks.DecodeStrict(e.Bytes))!;
            Assert.That(ex.ErrorName, Is.EqualTo(expected));
        }
    }

    [Test]
    public void Bad_prereq_flow_mod_is_a_bad_match()
    {
        var e = GoldenFile.Load("flowmods.golden").Single(x => x.Name == "match-ct-tuple-bad-prereq");
        var ex = Assert.Throws<OfpProtocolException>(() => OvsChecks.DecodeStrict(e.Bytes))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Kind, Is.EqualTo(OfpErrorKind.BadMatch));
            Assert.That(ex.ErrorName, Is.EqualTo("OFPBMC_BAD_PREREQ"));
            Assert.That(ex.Message, Does.Contain("ct_nw_src"));
            Assert.That(ex.OpenFlowError, Is.EqualTo(((ushort)4, (ushort)0)));
        });
    }

    [Test]
    public void Builders_sample_flows_pass()
    {
        Assert.DoesNotThrow(() => OvsChecks.Validate(SampleFlows.ArpResponder(1)));
        Assert.DoesNotThrow(() => OvsChecks.Validate(SampleFlows.FakeMacTranslation(2)));
        Assert.DoesNotThrow(() => OvsChecks.Validate(SampleFlows.ServiceFlow(3)));
        Assert.DoesNotThrow(() => OvsChecks.Validate(SampleFlows.TableMissDrop(0, 4)));
    }
}
