using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Text;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// Every flow of the IPv6 golden scenarios (NDP responder, tcp6 service/pick, IPv6 learns, the reuse twins), encoded
/// by our codec as the FLOW_MOD the reconciler sends: <c>ovs-ofctl ofp-print</c> of those bytes equals our printer's
/// text (what <c>ovslb ofp-print</c> prints). (GoldenFlowsOvsTests shows OVS installs them and dumps the golden text.)
/// </summary>
[TestFixture, Category("Ovs")]
public class Ipv6FlowPrintTests
{
    public static IEnumerable<TestCaseData> Flows() =>
        new[] { "ipv6", "dualstack" }.SelectMany(n =>
        {
            var s = Scenario.Load(n);
            return s.Config.Bridges.SelectMany(b => s.Build(b).State.Flows.Values
                .Where(f => f.Match.Fields.Any(e => e.Field?.Id is OvsLb.OpenFlow.Match.MfId.EthType && (ushort)e.Value == 0x86dd) || f.TableId is 11 or 12)
                .OrderBy(f => f.Text, StringComparer.Ordinal)
                .Select((f, i) => new TestCaseData(f.Text, Convert.ToHexString(OfpEncoder.ToArray(f.ToAdd() with { Xid = 1 }))).SetName($"{n}.{i:00}.table{f.TableId}.prio{f.Priority}")));
        });

    [TestCaseSource(nameof(Flows))]
    public void Ofp_print_of_our_bytes_equals_ovs_ofctls(string flow, string hex)
    {
        var ovs = ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "ofp-print", hex]).EnsureSuccess().Stdout;
        var ours = OfpPrinter.Print(OfpDecoder.Decode(Convert.FromHexString(hex)));
        Assert.That(ours.TrimEnd('\n'), Is.EqualTo(ovs.TrimEnd('\n')), flow);
    }
}
