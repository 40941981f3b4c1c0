using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb probe</c>'s answers to bad input: one line on stderr naming the verb, and the exit code of the other debugging
/// verbs (64 for a command-line mistake, 1 for an error, 2, as which's, for a packet that reaches no backend). The
/// switch cases use a real bridge (namespaces <c>ovslb-pb*</c>) with no controller: fail_mode=secure drops everything.
/// </summary>
[TestFixture, Category("Ovs"), NonParallelizable]
public sealed class ProbeErrorTests
{
    private const string Config = """
        {
          "bridges": [ { "name": "br-pe", "datapathId": "0xe1", "lbMac": "02:00:00:00:00:fe", "uplink": 1 } ],
          "services": [
            { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
              "backends": [ { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 2 } ] }
          ]
        }
        """;

    private LbTopology _topo = null!;
    private Ovslb.TempFile _cfg = null!;

    private string[] Switch => ["--config", _cfg.Path, "--switch", "unix:" + _topo.Ovs.MgmtSocket("br-pe"), "--netns", _topo.Switch.Name];

    [OneTimeSetUp]
    public void Start()
    {
        var spec = new TopologySpec()
            .Bridge("br-pe", 0xe1).Bridge("br-pe2", 0xe2)
            .Host("pbc", "br-pe", 1, "10.0.0.2/24")
            .Host("pbs1", "br-pe", 2, "10.0.0.11/24", mac: "02:00:00:00:00:11")
            .Link(new BridgeLinkSpec("br-pe", 9, "br-pe2", 9, BridgeLinkKind.Patch, "pbpatch", "pbpatch2"));
        _topo = LbTopology.Start(spec);
        _cfg = new Ovslb.TempFile(Config);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _cfg?.Dispose();
        _topo?.Dispose();
    }

    [TestCase(new[] { "tcp", "10.0.0.9", "10.0.0.100:80" }, "'10.0.0.9' is not IPV4:PORT")]
    [TestCase(new[] { "icmp", "10.0.0.9:1", "10.0.0.100:80" }, "'icmp' is not a protocol the pipeline balances (tcp or udp)")]
    [TestCase(new[] { "tcp", "10.0.0.9:1" }, "expected PROTO SRC_IP:SRC_PORT DST_IP:DST_PORT, e.g. tcp 192.0.2.7:40000 10.0.0.100:80 or tcp [fd00::2]:40000 [fd00::100]:80")]
    [TestCase(new[] { "tcp", "[fd00::2]:1", "[fd00::100]:80" }, "probe sends IPv4 frames only in this version (IPv6 VIPs: use which, or real IPv6 traffic)")]
    public void A_bad_tuple_is_a_usage_error(string[] tuple, string message)
    {
        var r = Ovslb.Run(["probe", .. Switch, "--port", "pbc", .. tuple]);
        Assert.That((r.Code, r.Err, r.Out), Is.EqualTo((64, $"ovslb probe: {message}\n", "")));
    }

    [TestCase("--port", "--port needs a value")]
    [TestCase("--timeout=soon", "--timeout: 'soon' is not a number of seconds (e.g. 2 or 0.5)")]
    [TestCase("--ports=a=1", "--ports and --down are which's: probe reads the ports from the switch, and the datapath decides")]
    public void Bad_options_are_usage_errors(string option, string message)
    {
        string[] args = option == "--port" ? ["probe", .. Switch, "tcp", "10.0.0.9:1", "10.0.0.100:80", option] : ["probe", .. Switch, "--port", "pbc", option, "tcp", "10.0.0.9:1", "10.0.0.100:80"];
        var r = Ovslb.Run(args);
        Assert.That((r.Code, r.Err), Is.EqualTo((64, $"ovslb probe: {message}\n")));
    }

    [Test]
    public void Without_port_it_says_port_is_required()
    {
        var r = Ovslb.Run(["probe", .. Switch, "tcp", "10.0.0.9:1", "10.0.0.100:80"]);
        Assert.That((r.Code, r.Err), Is.EqualTo((64, "ovslb probe: --port NAME is required (the bridge port the packet enters on)\n")));
    }

    [Test]
    public void An_unknown_port_is_named_with_the_bridges_ports()
    {
        var r = Ovslb.Run(["probe", .. Switch, "--port", "nope", "tcp", "10.0.0.9:1", "10.0.0.100:80"]);
        Assert.That((r.Code, r.Err), Is.EqualTo((1, "ovslb probe: bridge br-pe has no port 'nope' (ports: 1 (pbc), 2 (pbs1), 9 (pbpatch), LOCAL (br-pe))\n")));
    }

    [Test]
    public void A_patch_port_has_no_local_interface()
    {
        var r = Ovslb.Run(["probe", .. Switch, "--port", "pbpatch", "tcp", "10.0.0.9:1", "10.0.0.100:80"]);
        Assert.That((r.Code, r.Err), Is.EqualTo((1, $"ovslb probe: port 'pbpatch' of bridge br-pe has no local interface: no network device of that name in network namespace {_topo.Switch.Name} (a patch, tunnel or dummy port; give --netns where ovs-vswitchd runs)\n")));
    }

    [Test]
    public void Without_netns_the_ports_devices_are_not_found()
    {
        var r = Ovslb.Run(["probe", "--config", _cfg.Path, "--switch", "unix:" + _topo.Ovs.MgmtSocket("br-pe"), "--port", "pbc", "tcp", "10.0.0.9:1", "10.0.0.100:80"]);
        Assert.That(r.Code, Is.EqualTo(1));
        Assert.That(r.Err, Does.StartWith("ovslb probe: port 'pbc' of bridge br-pe has no local interface: no network device of that name in this host's network namespace"));
    }

    [Test]
    public void An_unknown_namespace_is_an_error()
    {
        var r = Ovslb.Run(["probe", "--config", _cfg.Path, "--switch", "unix:" + _topo.Ovs.MgmtSocket("br-pe"), "--netns", "ovslb-pb-none", "--port", "pbc", "tcp", "10.0.0.9:1", "10.0.0.100:80"]);
        Assert.That((r.Code, r.Err), Is.EqualTo((1, "ovslb probe: --netns: network namespace 'ovslb-pb-none' does not exist (ip netns list)\n")));
    }

    [Test]
    public void A_packet_that_leaves_nowhere_is_exit_2_within_the_timeout()
    {
        // No controller: the fail_mode=secure bridge has no flow and drops the packet.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = Ovslb.Run(["probe", .. Switch, "--port", "pbc", "--timeout", "0.3", "udp", "10.0.0.9:1000", "10.0.0.100:53"]);
        clock.Stop();
        Assert.That((r.Code, r.Err), Is.EqualTo((2, "ovslb probe: the packet did not leave bridge br-pe on any of its 2 captured ports within 0.3 s (dropped by the pipeline?)\n")), r.Out);
        Assert.That(r.Out, Does.StartWith("udp 10.0.0.9:1000 -> 10.0.0.100:53 on bridge br-pe\nsent:     UDP datagram "));
        Assert.That(r.Out, Does.Contain("unseen:   ports without a local device, not captured: pbpatch\n"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void Without_CAP_NET_RAW_capturing_is_refused_in_one_line()
    {
        // The real executable, with CAP_NET_RAW out of its bounding set: root, but no packet socket.
        var r = ProcessRunner.Run("setpriv", ["--bounding-set", "-net_raw", "--", "dotnet", OvslbRun.Dll, "probe", .. Switch, "--port", "pbc", "tcp", "10.0.0.9:1", "10.0.0.100:80"],
            timeout: TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine(r.Stderr);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr + r.Stdout);
        Assert.That(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr, Does.StartWith("ovslb probe: capturing on ").And.Contain(" is not permitted: run as root or with CAP_NET_RAW ("));
    }

    [Test]
    public void From_an_internal_port_the_packet_is_sent_on_the_device_itself()
    {
        // The bridge's LOCAL port is a tap in the userspace datapath: what the host sends on it, OVS receives.
        _topo.Switch.Ip("link", "set", "br-pe", "up");
        _topo.Ovs.Ofctl("-O", "OpenFlow13", "add-flow", "br-pe", "priority=10,in_port=LOCAL,ip,actions=set_field:02:00:00:00:00:11->eth_dst,output:2");
        try
        {
            var r = Ovslb.Run(["probe", .. Switch, "--port", "LOCAL", "tcp", "10.0.0.9:1000", "10.0.0.100:80"]);
            TestContext.Out.WriteLine(r.Out + r.Err);
            string mac = _topo.Switch.Ip("-j", "link", "show", "br-pe").Stdout.Split("\"address\":\"")[1][..17];
            Assert.That((r.Code, r.Err), Is.EqualTo((0, "")), r.Out);
            Assert.That(r.Out, Does.Contain($"sent:     TCP SYN {mac} -> 02:00:00:00:00:fe into port LOCAL (br-pe), sent on br-pe itself (a tap: OVS reads what the host sends on it)\n"));
            Assert.That(r.Out, Does.Contain("egress:   port 2 (pbs1)\n").And.Contain("backend:  s1 (service web, direct: eth_dst is its mac 02:00:00:00:00:11)"));
            Assert.That(r.Out, Does.Not.Contain("egress:   port 4294967294"), "the copy entering on LOCAL is not an egress");
        }
        finally
        {
            _topo.Ovs.Ofctl("-O", "OpenFlow13", "del-flows", "br-pe", "in_port=LOCAL");
            _topo.Switch.Ip("link", "set", "br-pe", "down");
        }
    }
}
