using System.Diagnostics;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// How long a bridge takes from <c>set-controller</c> to Ready over <c>ssl:</c>, against <c>tcp:</c> in the same run (the
/// baseline): one warm controller listening on both, one bridge, the two targets alternating. Explicit: a measurement for
/// README's TLS section, not a check. Run: <c>dotnet test tests/OvsLb.Runtime.Tests --filter
/// "FullyQualifiedName=OvsLb.Runtime.Tests.TlsConnectTimeTests.Set_controller_to_ready_over_tcp_and_ssl" --logger "console;verbosity=detailed"</c>.
/// </summary>
[TestFixture, Category("Ovs"), Explicit("a measurement")]
public class TlsConnectTimeTests
{
    private const ulong Dpid = 0x7160;

    [Test]
    public async Task Set_controller_to_ready_over_tcp_and_ssl()
    {
        int runs = int.TryParse(Environment.GetEnvironmentVariable("OVSLB_CONNECT_RUNS"), out var n) ? n : 10;
        using var pki = OvsPki.Init();
        var ctl = pki.Issue("ctl", "controller");
        var sw = pki.Issue("sw", "switch");
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("br0", Dpid);
        ovs.SetSsl(sw.PrivateKey, sw.Certificate, pki.ControllerCa);
        await using var c = new RunningController(TestStates.Patch(), o =>
        {
            o.Listen = ["127.0.0.1:0", "ssl:127.0.0.1:0"];
            o.Tls = new TlsSettings { PrivateKey = ctl.PrivateKey, Certificate = ctl.Certificate, CaCertificate = pki.SwitchCa };
        });
        var ports = c.Controller.LocalEndpoints.Select(e => e.Port).ToList();
        var times = new Dictionary<string, List<double>> { ["tcp"] = [], ["ssl"] = [] };
        // The first connection of each kind warms the process up (JIT, OpenSSL's first context) and is not counted.
        for (int i = 0; i < 2 * (runs + 1); i++)
        {
            string kind = i % 2 == 0 ? "tcp" : "ssl";
            var before = c.Controller.Sessions.GetValueOrDefault(Dpid);
            var clock = Stopwatch.StartNew();
            ovs.SetController("br0", $"{kind}:127.0.0.1:{ports[i % 2]}");
            Assert.That(ProcessRunner.WaitUntil(() => c.Controller.Sessions.TryGetValue(Dpid, out var s) && !ReferenceEquals(s, before) && s.LastReconcile is not null,
                TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(1)), Is.True, $"{kind} connection {i / 2} not ready");
            if (i >= 2) times[kind].Add(clock.Elapsed.TotalMilliseconds);
            ovs.Vsctl("del-controller", "br0");
            Assert.That(ProcessRunner.WaitUntil(() => !c.Controller.Sessions.ContainsKey(Dpid), TimeSpan.FromSeconds(20)), Is.True);
        }
        foreach (var (kind, list) in times)
        {
            list.Sort();
            TestContext.Out.WriteLine($"{kind}: median {list[list.Count / 2]:0} ms, range {list[0]:0}–{list[^1]:0} ms ({string.Join(" ", list.Select(x => x.ToString("0")))})");
        }
        TestContext.Out.WriteLine($"ssl/tcp median ratio {times["ssl"][runs / 2] / times["tcp"][runs / 2]:0.0}");
        foreach (var l in c.Log.Lines.Where(l => l.Contains("TLS from", StringComparison.Ordinal)).Take(3)) TestContext.Out.WriteLine(l);
    }
}
