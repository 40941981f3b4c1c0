using OvsLb.Controller.Cli;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb validate</c>: every error with its file, line and column (where the offending value is in the
/// file), the Controller section checked as <c>ovslb run</c> checks it, the builder's warnings, a summary.
/// </summary>
[TestFixture]
public class ValidateCommandTests
{
    /// <summary>1-based line and column of the first occurrence of <paramref name="needle"/>.</summary>
    internal static string At(string text, string needle)
    {
        int i = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.That(i, Is.GreaterThanOrEqualTo(0), needle);
        int line = text[..i].Count(c => c == '\n') + 1;
        int col = i - (text.LastIndexOf('\n', i - 1) + 1) + 1;
        return $"{line}:{col}";
    }

    [TestCaseSource(typeof(Ovslb), nameof(Ovslb.Scenarios))]
    public void The_scenarios_are_valid_with_a_summary(string scenario)
    {
        var r = Ovslb.Run("validate", Ovslb.Config(scenario));
        Assert.That(r.Code, Is.Zero, r.Out);
        string expected = scenario switch
        {
            "direct" => "1 service (direct 1), 3 backends, 1 bridge (standalone 1), 256 buckets per group",
            "translate" => "2 services (translate 2), 5 backends, 1 bridge (standalone 1), 256 buckets per group",
            "portgroup" => "1 service (portgroup 1), 3 backends, 1 bridge (standalone 1), 64 buckets per group",
            "ipv6" or "dualstack" => "1 service (direct 1), 3 backends, 1 bridge (standalone 1), 256 buckets per group",
            _ => "1 service (direct 1), 2 backends, 2 bridges (distributed 2), 256 buckets per group",
        };
        Assert.That(r.Out, Is.EqualTo($"{Ovslb.Config(scenario)}: valid: {expected}\n"));
    }

    [Test]
    public void Every_error_is_printed_with_its_position_in_the_file()
    {
        const string text = """
            {
              "bridges": [ { "name": "br0", "lbMac": "not-a-mac" } ],
              "services": [
                { "name": "web", "vip": "10.0.0.300", "protocol": "tcp", "port": 80, "mode": "direct",
                  "backends": [ { "name": "a", "mac": "02:00:00:00:00:01", "port": 1, "weight": 0 } ] }
              ],
              "options": { "buckets": 100 }
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EquivalentTo(new[]
        {
            $"{f.Path}:{At(text, "\"not-a-mac\"")}: bridges[0].lbMac: 'not-a-mac' is not a MAC address (expected aa:bb:cc:dd:ee:ff)",
            $"{f.Path}:{At(text, "\"10.0.0.300\"")}: services[0].vip: '10.0.0.300' is not an IPv4 or IPv6 address",
            $"{f.Path}:{At(text, "0 }")}: services[0].backends[0].weight: '0' is out of range: the weight must be between 1 and 1000",
            $"{f.Path}:{At(text, "100 }")}: options.buckets: '100' is not a power of two",
            $"{f.Path}: 4 errors",
        }));
    }

    [Test]
    public void An_ipv6_vip_where_ipv6_is_not_built_is_refused_at_the_address()
    {
        const string text = """
            {
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe", "snatIp": "10.0.0.250" } ],
              "services": [
                { "name": "web", "vip": ["10.0.0.100", "fd00::100"], "port": 80, "mode": "fullnat",
                  "backends": [ { "ip": "10.1.0.11" } ] },
                { "name": "dns", "vip": "fd00::53", "protocol": "udp", "port": 53, "mode": "direct", "onEmpty": "reject",
                  "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "ok", "vip": ["fd00::80", "10.0.0.80"], "port": 80, "mode": "direct",
                  "backends": [ { "mac": "02:00:00:00:00:11" } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EquivalentTo(new[]
        {
            $"{f.Path}:{At(text, "\"fd00::100\"")}: services[0].vip[1]: 'fd00::100' is an IPv6 VIP, and fullnat mode does not carry IPv6 yet: only direct mode does (use an IPv4 VIP for this service, or mode \"direct\")",
            $"{f.Path}:{At(text, "\"fd00::53\"")}: services[1].vip: 'fd00::53' is an IPv6 VIP, and onEmpty \"reject\" does not answer IPv6 yet (the controller builds IPv4 resets only): use onEmpty \"drop\"",
            $"{f.Path}: 2 errors",
        }));
    }

    [Test]
    public void The_tls_files_of_an_ssl_listener_are_read_and_each_problem_placed_at_its_setting()
    {
        const string text = """
            { "Controller": { "Listen": [ "ssl:0.0.0.0:6653" ],
                              "Tls": { "PrivateKey": "/nonexistent/ctl-privkey.pem",
                                       "Certificate": "/nonexistent/ctl-cert.pem",
                                       "CaCertificate": "/nonexistent/cacert.pem" } },
              "LoadBalancer": { "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ], "services": [] } }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
        {
            $"{f.Path}:{At(text, "\"/nonexistent/ctl-cert.pem")}: Controller:Tls:Certificate: cannot read '/nonexistent/ctl-cert.pem': Could not find a part of the path '/nonexistent/ctl-cert.pem'.",
            $"{f.Path}:{At(text, "\"/nonexistent/cacert.pem")}: Controller:Tls:CaCertificate: cannot read '/nonexistent/cacert.pem': Could not find a part of the path '/nonexistent/cacert.pem'.",
            $"{f.Path}:{At(text, "\"/nonexistent/ctl-privkey.pem")}: Controller:Tls:PrivateKey: cannot read '/nonexistent/ctl-privkey.pem': Could not find a part of the path '/nonexistent/ctl-privkey.pem'.",
            $"{f.Path}: 3 errors",
        }));
    }

    [Test]
    public void The_controller_section_is_checked_too()
    {
        const string text = """
            { "Controller": { "Listen": [ "nowhere" ], "Transport": "carrier-pigeon", "CookieSignature": 0 },
              "LoadBalancer": { "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ], "services": [] } }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
        {
            $"{f.Path}:{At(text, "[ \"nowhere\"")}: Controller:Listen: 'nowhere' is not ADDRESS:PORT, tcp:ADDRESS:PORT or ssl:ADDRESS:PORT",
            $"{f.Path}:{At(text, "\"carrier-pigeon\"")}: Controller:Transport: 'carrier-pigeon' is not one of dotnetty, pipelines",
            $"{f.Path}:{At(text, "0 }")}: Controller:CookieSignature: 0 would make every cookie-less flow ours",
            $"{f.Path}: 3 errors",
        }));
        // A value the binder cannot convert, and a key given twice (the JSON provider's rules: without case), at their positions.
        const string bad = """
            { "Controller": { "EchoInterval": "soon",
                              "echoInterval": "00:00:01" } }
            """;
        using var b = new Ovslb.TempFile(bad);
        var br = Ovslb.Run("validate", b.Path);
        Assert.That(Ovslb.Lines(br.Out), Is.EqualTo(new[]
        {
            $"{b.Path}:{At(bad, "\"00:00:01\"")}: Controller:echoInterval: duplicate key 'Controller:echoInterval' (keys are compared without case)",
            $"{b.Path}:{At(bad, "\"soon\"")}: Controller:EchoInterval: Failed to convert configuration value 'soon' at 'Controller:EchoInterval' to type 'System.TimeSpan': soon is not a valid value for TimeSpan.",
            $"{b.Path}: 2 errors",
        }), br.Out);
    }

    [TestCase("nat", "2 services (nat 2), 5 backends, 1 bridge (standalone 1), 256 buckets per group")]
    [TestCase("fullnat", "1 service (fullnat 1), 2 backends, 1 bridge (standalone 1), 256 buckets per group")]
    public void The_nat_scenarios_are_valid_with_a_summary(string scenario, string expected)
    {
        var r = Ovslb.Run("validate", Ovslb.Config(scenario));
        Assert.That((r.Code, r.Out), Is.EqualTo((0, $"{Ovslb.Config(scenario)}: valid: {expected}\n")));
    }

    [Test]
    public void Nat_keys_out_of_range_are_errors_at_their_position()
    {
        // targetPort 0 and 70000, an affinity timeout above 16 bits: each at its value, with the range.
        const string text = """
            {
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "nat", "affinity": { "timeout": 70000 },
                  "backends": [ { "ip": "10.0.0.11", "targetPort": 0 }, { "ip": "10.0.0.12", "targetPort": 70000 } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EquivalentTo(new[]
        {
            $"{f.Path}:{At(text, "70000 }")}: services[0].affinity.timeout: '70000' is out of range: the affinity timeout (seconds; OVS keeps a learned flow's idle timeout in 16 bits) must be between 1 and 65535",
            $"{f.Path}:{At(text, "0 }, {")}: services[0].backends[0].targetPort: '0' is out of range: the target port must be between 1 and 65535",
            $"{f.Path}:{At(text, "70000 } ]")}: services[0].backends[1].targetPort: '70000' is out of range: the target port must be between 1 and 65535",
            $"{f.Path}: 3 errors",
        }), r.Out);
    }

    [Test]
    public void What_the_stateful_keys_do_not_offer_is_an_error_at_its_position()
    {
        // persistence "none" in a NAT mode, targetPort outside the NAT modes, targetPort on an all-ports
        // service: README's configuration table lists each (onEmpty "reject" is valid, in every mode). Persistence "connection" and
        // affinity in a stateless mode are valid (services b and c): they bring no error of their own.
        const string text = """
            {
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe", "gateways": [ "10.0.0.254" ] } ],
              "services": [
                { "name": "a", "vip": "10.0.0.1", "port": 80, "mode": "nat", "persistence": "none",
                  "backends": [ { "ip": "10.0.0.11" } ] },
                { "name": "b", "vip": "10.0.0.2", "port": 80, "mode": "direct", "persistence": "connection",
                  "backends": [ { "mac": "02:00:00:00:00:11", "targetPort": 8080 } ] },
                { "name": "c", "vip": "10.0.0.3", "port": 80, "mode": "translate", "affinity": { "timeout": 60 },
                  "backends": [ { "ip": "10.1.0.11" } ] },
                { "name": "d", "vip": "10.0.0.4", "port": "all", "mode": "nat", "onEmpty": "reject",
                  "backends": [ { "ip": "10.0.0.14", "targetPort": 8443 } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EquivalentTo(new[]
        {
            $"{f.Path}:{At(text, "\"none\"")}: services[0].persistence: nat mode always keeps a connection on its backend (its connection-tracker entry holds the translation): remove 'persistence' or use \"connection\"",
            $"{f.Path}:{At(text, "8080")}: services[1].backends[0].targetPort: 'targetPort' needs a NAT mode (nat or fullnat): direct mode does not rewrite ports",
            $"{f.Path}:{At(text, "8443")}: services[3].backends[0].targetPort: 'targetPort' needs a service port: a service balancing all ports keeps each connection's port",
            $"{f.Path}: 3 errors",
        }), r.Out);
    }

    [Test]
    public void A_reject_rate_out_of_range_is_an_error_at_its_position_and_reject_is_valid_in_every_mode()
    {
        foreach (var (value, ok) in new[] { ("0", false), ("100001", false), ("1", true), ("100000", true) })
        {
            string text = $$"""
                {
                  "options": { "rejectRate": {{value}} },
                  "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe", "gateways": [ "10.0.0.254" ], "snatIp": "10.0.0.250" } ],
                  "services": [
                    { "name": "a", "vip": "10.0.0.1", "port": 80, "mode": "direct", "onEmpty": "reject", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                    { "name": "b", "vip": "10.0.0.2", "port": 80, "mode": "translate", "onEmpty": "reject", "backends": [ { "ip": "10.1.0.11" } ] },
                    { "name": "c", "vip": "10.0.0.3", "port": 80, "mode": "nat", "onEmpty": "reject", "backends": [ { "ip": "10.0.0.13" } ] },
                    { "name": "d", "vip": "10.0.0.4", "port": 80, "mode": "fullnat", "onEmpty": "reject", "backends": [ { "ip": "10.0.0.14" } ] },
                    { "name": "e", "vip": "10.0.0.5", "port": "all", "mode": "portgroup", "onEmpty": "reject", "backends": [ { "mac": "02:00:00:00:00:15", "port": 5 } ] }
                  ]
                }
                """;
            using var f = new Ovslb.TempFile(text);
            var r = Ovslb.Run("validate", f.Path);
            if (ok)
            {
                Assert.That(r.Code, Is.EqualTo(0), r.Out);
                continue;
            }
            Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError), value);
            Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
            {
                $"{f.Path}:{At(text, value + " }")}: options.rejectRate: '{value}' is out of range: the reject rate (packets per second a bridge sends to the controller to be refused) must be between 1 and 100000",
                $"{f.Path}: 1 error",
            }), r.Out);
        }
    }

    [Test]
    public void Persistence_and_affinity_are_valid_in_every_mode_and_none_outside_the_nat_modes()
    {
        // Persistence "connection" (the default) and "none" in direct mode, affinity in translate, direct and
        // portgroup modes, the idle timeout of learned connection entries: a valid file, no error, no warning.
        const string text = """
            {
              "options": { "connectionIdleTimeout": "600s" },
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe", "gateways": [ "10.0.0.254" ] } ],
              "services": [
                { "name": "a", "vip": "10.0.0.1", "port": 80, "mode": "direct", "persistence": "connection",
                  "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "b", "vip": "10.0.0.2", "port": 80, "mode": "direct", "persistence": "none",
                  "backends": [ { "mac": "02:00:00:00:00:12" } ] },
                { "name": "c", "vip": "10.0.0.3", "port": 80, "mode": "translate", "affinity": { "timeout": 60 },
                  "backends": [ { "ip": "10.1.0.11" } ] },
                { "name": "d", "vip": "10.0.0.4", "port": 80, "mode": "direct", "persistence": "none", "affinity": { "timeout": 30 },
                  "backends": [ { "mac": "02:00:00:00:00:14" } ] },
                { "name": "e", "vip": "10.0.0.5", "port": "all", "mode": "portgroup", "affinity": { "timeout": 3600 },
                  "backends": [ { "mac": "02:00:00:00:00:15", "port": 5 } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That((r.Code, r.Out), Is.EqualTo((0,
            $"{f.Path}: valid: 5 services (direct 3, translate 1, portgroup 1), 5 backends, 1 bridge (standalone 1), 256 buckets per group\n")));
    }

    [Test]
    public void A_connection_idle_timeout_that_is_not_whole_seconds_in_16_bits_is_an_error_at_its_position()
    {
        // OVS keeps a learned flow's idle timeout in whole seconds, 16 bits: "1.5s" and "70000s" are refused
        // (the first is no duration this parser reads, the second out of range), and so is a bare number of seconds.
        foreach (var (value, message) in new[]
        {
            ("\"1.5s\"", "'1.5s' is not a duration (e.g. \"500ms\", \"2s\", \"00:00:02\")"),
            ("\"1500ms\"", "'1500ms' is not a whole number of seconds (OVS keeps a flow's idle timeout in seconds)"),
            ("\"70000s\"", "'70000s' is out of range: must be between 00:00:01 and 18:12:15"),
            ("70000", "expected a string, got a number"),
        })
        {
            string text = $$"""
                {
                  "options": { "connectionIdleTimeout": {{value}} },
                  "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
                  "services": [
                    { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                      "backends": [ { "mac": "02:00:00:00:00:11" } ] }
                  ]
                }
                """;
            using var f = new Ovslb.TempFile(text);
            var r = Ovslb.Run("validate", f.Path);
            Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError), value);
            Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
            {
                $"{f.Path}:{At(text, value + " }")}: options.connectionIdleTimeout: {message}",
                $"{f.Path}: 1 error",
            }), r.Out);
        }
    }

    [Test]
    public void An_snatIp_no_bridge_can_own_and_fullnat_without_snatIp_are_errors_at_their_position()
    {
        // br0..br3 claim addresses that are already someone's: a VIP, a backend, a gateway, another bridge's snatIp.
        // 'edge' is fullnat on br5, which has no snatIp: the error is at the service's mode.
        const string text = """
            {
              "bridges": [
                { "name": "br0", "lbMac": "02:00:00:00:00:f0", "snatIp": "10.0.0.100" },
                { "name": "br1", "lbMac": "02:00:00:00:00:f1", "snatIp": "10.0.0.11" },
                { "name": "br2", "lbMac": "02:00:00:00:00:f2", "snatIp": "10.0.0.1" },
                { "name": "br3", "lbMac": "02:00:00:00:00:f3", "snatIp": "10.0.0.250", "gateways": [ "10.0.0.1" ] },
                { "name": "br4", "lbMac": "02:00:00:00:00:f4", "SnatIp": "10.0.0.250" },
                { "name": "br5", "lbMac": "02:00:00:00:00:f5" }
              ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "nat", "bridges": [ "br0" ],
                  "backends": [ { "ip": "10.0.0.11", "targetPort": 8080 } ] },
                { "name": "edge", "vip": "10.0.0.101", "port": 443, "mode": "fullnat", "bridges": [ "br5" ],
                  "backends": [ { "ip": "10.1.0.21" } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EquivalentTo(new[]
        {
            $"{f.Path}:{At(text, "\"10.0.0.100\" }")}: bridges[0].snatIp: snatIp '10.0.0.100' cannot be owned by bridge 'br0': it is the VIP of service 'web'",
            $"{f.Path}:{At(text, "\"10.0.0.11\" }")}: bridges[1].snatIp: snatIp '10.0.0.11' cannot be owned by bridge 'br1': it is backend '10.0.0.11' of service 'web'",
            $"{f.Path}:{At(text, "\"10.0.0.1\" }")}: bridges[2].snatIp: snatIp '10.0.0.1' cannot be owned by bridge 'br2': it is a gateway of bridge 'br3'",
            $"{f.Path}:{At(text, "\"10.0.0.250\" }")}: bridges[4].snatIp: snatIp '10.0.0.250' cannot be owned by bridge 'br4': it is already the snatIp of bridge 'br3'",
            $"{f.Path}:{At(text, "\"fullnat\"")}: services[1].mode: fullnat needs a source address: bridge 'br5' serves this service but declares no 'snatIp'",
            $"{f.Path}: 5 errors",
        }), r.Out);
    }

    [Test]
    public void What_the_builder_would_warn_about_is_a_warning_and_the_file_stays_valid()
    {
        using var f = new Ovslb.TempFile("""
            {
              "bridges": [
                { "name": "br0", "lbMac": "02:00:00:00:00:fe", "gateways": [ "10.0.0.1" ] },
                { "name": "br1", "lbMac": "02:00:00:00:01:fe" }
              ],
              "services": [
                { "name": "api", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "translate",
                  "backends": [ { "name": "a", "ip": "10.1.0.1" } ] },
                { "name": "pg", "vip": "10.0.0.50", "protocol": "tcp", "port": "all", "mode": "portgroup", "bridges": [ "br1" ],
                  "backends": [ { "name": "p1", "mac": "02:00:00:00:02:01", "port": "eth1", "bridge": "br1" } ] }
              ]
            }
            """);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.Zero, r.Out);
        Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
        {
            $"{f.Path}: warning: port-group service 'pg' on bridge 'br1': no gateway declared, so servers' replies are switched as they are (no external-MAC rewrite)",
            $"{f.Path}: warning: bridge 'br1' balances translate-mode services but declares no gateway: translated packets are dropped",
            $"{f.Path}: valid: 2 services (translate 1, portgroup 1), 2 backends, 2 bridges (standalone 2), 256 buckets per group; 2 warnings",
        }));
    }

    [Test]
    public void A_service_no_bridge_carries_and_a_bridge_with_nothing_to_do_are_warnings()
    {
        // The port group lists br1, but its only server is on br0: no bridge can balance it, and br1 has nothing to do.
        using var f = new Ovslb.TempFile("""
            {
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" }, { "name": "br1", "lbMac": "02:00:00:00:01:fe" } ],
              "services": [
                { "name": "pg", "vip": "10.0.0.50", "protocol": "tcp", "port": "all", "mode": "portgroup", "bridges": [ "br1" ],
                  "backends": [ { "name": "p1", "mac": "02:00:00:00:02:01", "port": 2, "bridge": "br0" } ] }
              ]
            }
            """);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.Zero, r.Out);
        Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
        {
            $"{f.Path}: warning: bridge 'br1' carries no service and hosts no backend (each service lists other bridges, or is a port group whose servers are elsewhere)",
            $"{f.Path}: warning: port-group service 'pg' is on no bridge: all its servers must be on one bridge (set 'bridge' on every backend, or have a single bridge)",
            $"{f.Path}: valid: 1 service (portgroup 1), 1 backend, 2 bridges (standalone 2), 256 buckets per group; 2 warnings",
        }));
    }

    [Test]
    public void A_file_with_only_host_settings_is_valid_and_says_it_has_no_services()
    {
        using var f = new Ovslb.TempFile("""{ "Controller": { "Listen": [ "127.0.0.1:6653" ] }, "Logging": { "LogLevel": { "Default": "Debug" } } }""");
        var r = Ovslb.Run("validate", f.Path);
        Assert.That((r.Code, r.Out), Is.EqualTo((0, $"{f.Path}: valid: no load-balancer configuration (no LoadBalancer section, no services or bridges): ovslb run starts with no services\n")));
        using var typo = new Ovslb.TempFile("""{ "service": [] }""");
        var t = Ovslb.Run("validate", typo.Path);
        Assert.That((t.Code, Ovslb.Lines(t.Out)[0]), Is.EqualTo((1, $"{typo.Path}:1:3: service: unknown key 'service' (expected one of: services, bridges, options, healthCheck)")));
        var missing = Ovslb.Run("validate", "/nonexistent/x.json");
        Assert.That(missing.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(missing.Out, Does.StartWith("/nonexistent/x.json: cannot read: "));
    }
}
