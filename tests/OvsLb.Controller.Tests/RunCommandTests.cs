using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb run</c> as a real process: configuration from --config and the command line, a bridge
/// connecting to it, structured log lines with the datapath id, and a SIGTERM shutdown that exits 0
/// and leaves the bridge's flows in place.
/// </summary>
[TestFixture, Category("Ovs")]
public class RunCommandTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ovslb.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    [Test]
    public void Runs_with_a_config_file_serves_a_bridge_and_stops_on_sigterm_leaving_flows()
    {
        int port = FreePort();
        var config = Path.Combine(Path.GetTempPath(), $"ovslb-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, $$"""{ "Controller": { "Listen": [ "127.0.0.1:{{port}}" ], "EchoInterval": "00:00:01" } }""");
        using var ovs = OvsSandbox.Start();
        ovs.AddBridge("brrun", 0xd4);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // Status on a free port: the default 127.0.0.1:9100 may be taken by another controller on this machine.
        using var p = Start("run", "--config", config, "--Logging:LogLevel:Default=Information", "--Status:Listen=127.0.0.1:0");
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            Assert.That(ProcessRunner.WaitUntil(() => output.Any(l => l.Contains($"Listening for OpenFlow 1.3 switches on 127.0.0.1:{port}")), TimeSpan.FromSeconds(20)),
                Is.True, string.Join("\n", output));
            ovs.SetController("brrun", $"tcp:127.0.0.1:{port}");
            Assert.That(ProcessRunner.WaitUntil(() => output.Any(l => l.Contains("Switch 00000000000000d4 (brrun) connected")), TimeSpan.FromSeconds(20)),
                Is.True, string.Join("\n", output));
            Assert.That(ProcessRunner.WaitUntil(() => output.Any(l => l.Contains("DatapathId=00000000000000d4") && l.Contains("Reconciled")), TimeSpan.FromSeconds(10)),
                Is.True, "per-datapath log scope: " + string.Join("\n", output));
            // A flow the controller does not own (cookie 0) must survive shutdown. (Added after
            // set-controller: OVS flushes a bridge's flows when it gets its first controller.)
            ovs.Ofctl("add-flow", "brrun", "priority=5,actions=drop");

            ProcessRunner.Run("kill", ["-TERM", p.Id.ToString()]).EnsureSuccess();
            Assert.That(p.WaitForExit(15000), Is.True, "ovslb run did not stop on SIGTERM");
            Assert.That(p.ExitCode, Is.Zero, string.Join("\n", output));
            Assert.That(ovs.DumpFlows("brrun"), Is.EqualTo(new[] { "priority=5 actions=drop" }));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            File.Delete(config);
        }
    }

    [Test]
    public void Bad_settings_stop_the_controller_with_a_message_naming_them()
    {
        using var p = Start("run", "--Controller:Listen:0=not-an-endpoint", "--Controller:EchoInterval=00:00:00.001");
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        Assert.That(p.WaitForExit(20000), Is.True);
        Assert.That(p.ExitCode, Is.Not.Zero);
        Assert.That(err, Does.Contain("Controller:Listen: 'not-an-endpoint' is not ADDRESS:PORT"));
        Assert.That(err, Does.Contain("Controller:EchoInterval"));
    }

    [Test]
    public void A_missing_config_file_is_named()
    {
        using var p = Start("run", "--config", "/nonexistent/ovslb.json");
        string err = p.StandardError.ReadToEnd();
        Assert.That(p.WaitForExit(20000), Is.True);
        Assert.That(p.ExitCode, Is.EqualTo(64));
        Assert.That(err, Does.Contain("/nonexistent/ovslb.json"));
    }
}
