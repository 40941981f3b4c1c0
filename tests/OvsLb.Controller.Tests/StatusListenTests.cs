using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using OvsLb.Controller.Status;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// Where the status endpoint listens: loopback port 9100 by default (checked inside a private network
/// namespace, where that port is surely free and a second address exists to be refused on), nowhere
/// with <c>Status:Enabled=false</c>, and a clear stop when its port is taken or its setting is wrong.
/// </summary>
[TestFixture]
public class StatusListenTests
{
    [Test]
    public void Defaults_are_on_and_loopback_only()
    {
        var o = new StatusOptions();
        Assert.That((o.Enabled, o.Listen), Is.EqualTo((true, "127.0.0.1:9100")));
        Assert.That(IPAddress.IsLoopback(o.Endpoint.Address), Is.True);
        Assert.That(o.Validate(), Is.Empty);
        Assert.That(new StatusOptions { Listen = "localhost" }.Validate(), Is.EqualTo(new[] { "Status:Listen: 'localhost' is not ADDRESS:PORT (e.g. 127.0.0.1:9100)" }));
        Assert.That(new StatusOptions { Listen = "localhost", Enabled = false }.Validate(), Is.Empty, "a disabled endpoint's address is not used");
    }

    [Test]
    public void A_taken_port_stops_ovslb_run_with_a_message_naming_the_setting_and_the_way_out()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var r = OvslbRun.RunToExit("--Controller:Listen:0=127.0.0.1:0", $"--Status:Listen=127.0.0.1:{port}");

        Assert.That(r.ExitCode, Is.EqualTo(1), "a taken port is the machine's state, not a usage error: " + r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"ovslb run: Status:Listen 127.0.0.1:{port}: address already in use: another process listens on port {port}"));
        Assert.That(r.Stderr, Does.Contain("--Status:Enabled=false"));
        Assert.That(r.Stdout, Does.Not.Contain("Listening for OpenFlow"), "the controller must not start accepting switches");
    }

    [Test]
    public void A_malformed_listen_setting_is_named()
    {
        var r = OvslbRun.RunToExit("--Controller:Listen:0=127.0.0.1:0", "--Status:Listen=localhost");
        Assert.That(r.ExitCode, Is.EqualTo(64), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain("ovslb run: Status:Listen: 'localhost' is not ADDRESS:PORT"));
    }

    /// <summary>A namespace with loopback and a veth pair, one end 192.0.2.1 (TEST-NET-1), to probe from inside.</summary>
    private static NetNamespace Namespace()
    {
        var ns = NetNamespace.Create("ovslb-st-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            ns.Ip("link", "add", "v0", "type", "veth", "peer", "name", "v1");
            ns.Ip("addr", "add", "192.0.2.1/24", "dev", "v0");
            ns.Ip("link", "set", "v0", "up");
            ns.Ip("link", "set", "v1", "up");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>TCP listening sockets in the namespace, "ADDRESS:PORT" as ss prints them.</summary>
    private static List<string> Listeners(NetNamespace ns) =>
        ns.Exec("ss", "-Hltn").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]).ToList();

    /// <summary>Connects from inside the namespace with Python; returns its result.</summary>
    private static CommandResult Python(NetNamespace ns, string code, params string[] args) =>
        ProcessRunner.Run("ip", ["netns", "exec", ns.Name, "python3", "-c", code, .. args], timeout: TimeSpan.FromSeconds(15));

    [Test, Category("Netns")]
    public void By_default_it_serves_on_127_0_0_1_port_9100_and_not_on_other_addresses()
    {
        using var ns = Namespace();
        using var run = OvslbRun.Start(["--Controller:Listen:0=127.0.0.1:0"], ns.Name);
        Assert.That(run.StatusUrl().ToString(), Is.EqualTo("http://127.0.0.1:9100/"));
        int openflow = run.OpenFlowPort();

        Assert.That(Listeners(ns), Is.EquivalentTo(new[] { "127.0.0.1:9100", $"127.0.0.1:{openflow}" }));
        var get = Python(ns, "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())", "http://127.0.0.1:9100/status");
        Assert.That(get.ExitCode, Is.Zero, get.Stderr);
        Assert.That((string?)JsonNode.Parse(get.Stdout)!["controller"]!["statusListen"], Is.EqualTo("127.0.0.1:9100"));
        var other = Python(ns, "import socket; socket.create_connection(('192.0.2.1', 9100), timeout=5)");
        Assert.That(other.ExitCode, Is.Not.Zero);
        Assert.That(other.Stderr, Does.Contain("ConnectionRefusedError"), "the namespace's other address must refuse the status port");
    }

    [Test, Category("Netns")]
    public void Enabled_false_listens_nowhere_but_the_controller_runs()
    {
        using var ns = Namespace();
        using var run = OvslbRun.Start(["--Controller:Listen:0=127.0.0.1:0", "--Status:Enabled=false"], ns.Name);
        int openflow = run.OpenFlowPort();
        run.Process.WaitForLine("Status endpoint disabled", TimeSpan.FromSeconds(10));
        Assert.That(Listeners(ns), Is.EqualTo(new[] { $"127.0.0.1:{openflow}" }));
        Assert.That(run.Process.Stdout.Any(l => l.Contains("Status endpoint on", StringComparison.Ordinal)), Is.False);
    }
}
