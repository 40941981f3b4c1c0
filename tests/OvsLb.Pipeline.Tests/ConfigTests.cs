using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;

namespace OvsLb.Pipeline.Tests;

public class ConfigTests
{
    private static string ExamplePath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "flows", Path.GetFileNameWithoutExtension(name), "config.json");

    private static LoadBalancerConfig LoadExample(string name)
    {
        var r = ConfigLoader.LoadFile(ExamplePath(name));
        Assert.That(r.Errors, Is.Empty, ConfigErrorFormatter.Format(r.Errors, name));
        return r.Config!;
    }

    /// <summary>A document with one bridge (line 2) and one service whose body starts on line 4.</summary>
    private static string OneService(string body) =>
        "{\n" +
        "  \"bridges\": [ { \"name\": \"br\", \"lbMac\": \"02:00:00:00:00:fe\", \"gateways\": [\"10.0.0.1\"] } ],\n" +
        "  \"services\": [ {\n" +
        body + "\n" +
        "  } ]\n}\n";

    private static ConfigError SingleError(string json, string path, string value, int line)
    {
        var r = ConfigLoader.Parse(json);
        Assert.That(r.IsValid, Is.False);
        var errs = r.Errors.Where(e => e.Path == path).ToList();
        Assert.That(errs, Has.Count.EqualTo(1), ConfigErrorFormatter.Format(r.Errors, "test.json"));
        Assert.Multiple(() =>
        {
            Assert.That(errs[0].Value, Is.EqualTo(value));
            Assert.That(errs[0].Line, Is.EqualTo(line));
            Assert.That(errs[0].Column, Is.GreaterThan(0));
        });
        return errs[0];
    }

    // ---- valid examples, one per mode ----

    [Test]
    public void DirectExample()
    {
        var c = LoadExample("direct.json");
        var s = c.Services.Single();
        Assert.Multiple(() =>
        {
            Assert.That(s.Mode, Is.EqualTo(ServiceMode.Direct));
            Assert.That(s.Vip, Is.EqualTo(Ipv4Address.Parse("10.0.0.100")));
            Assert.That(s.Port, Is.EqualTo((ushort)80));
            Assert.That(s.Backends.Select(b => b.Mac!.Value.ToString()), Is.EqualTo(new[] { "02:00:00:00:00:11", "02:00:00:00:00:12", "02:00:00:00:00:13" }));
            Assert.That(s.Backends[2].Weight, Is.EqualTo(2));
            Assert.That(s.Backends[0].Port, Is.EqualTo(PortRef.ByNumber(11)));
            Assert.That(c.Bridges.Single().Uplink, Is.EqualTo(PortRef.ByNumber(1)));
            Assert.That(c.Options, Is.EqualTo(LoadBalancerOptions.Default));
            Assert.That(s.HealthCheck, Is.EqualTo(HealthCheckConfig.Default));
        });
    }

    [Test]
    public void TranslateExample()
    {
        var c = LoadExample("translate.json");
        var api = c.Services[0];
        var dns = c.Services[1];
        Assert.Multiple(() =>
        {
            Assert.That(api.Mode, Is.EqualTo(ServiceMode.Translate));
            Assert.That(c.Options.FakeMac(api.Backends[0].Ip!.Value).ToString(), Is.EqualTo("aa:bb:0a:01:00:0b"));
            Assert.That(c.Bridges[0].DatapathId, Is.EqualTo(0xa1UL));
            Assert.That(c.Bridges[0].Uplink, Is.EqualTo(PortRef.ByName("uplink0")));
            Assert.That(c.Bridges[0].Gateways.Single(), Is.EqualTo(Ipv4Address.Parse("10.0.0.1")));
            Assert.That(api.HealthCheck, Is.EqualTo(new HealthCheckConfig(HealthCheckKind.Tcp, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), 2, 3, 8081)));
            // a service's healthCheck overrides only the keys it gives
            Assert.That(dns.HealthCheck, Is.EqualTo(api.HealthCheck with { Port = 5301 }));
            Assert.That(dns.Protocol, Is.EqualTo(ServiceProtocol.Udp));
            Assert.That(dns.Backends[0].Name, Is.EqualTo("10.1.0.21"));
        });
    }

    [Test]
    public void PortGroupExample()
    {
        var c = LoadExample("portgroup.json");
        var s = c.Services.Single();
        Assert.Multiple(() =>
        {
            Assert.That(s.Mode, Is.EqualTo(ServiceMode.PortGroup));
            Assert.That(s.AllPorts, Is.True);
            Assert.That(c.Options.Buckets, Is.EqualTo(64));
            Assert.That(s.Backends.Select(b => b.Ip), Is.All.EqualTo(s.Vip), "port-group backends default to the VIP");
            Assert.That(s.Backends.Select(b => b.Port!.Value.Number), Is.EqualTo(new uint?[] { 2, 3, 4 }));
        });
    }

    [Test]
    public void DistributedExample()
    {
        var c = LoadExample("distributed.json");
        Assert.Multiple(() =>
        {
            Assert.That(c.Bridges.Select(b => b.Role), Is.All.EqualTo(BridgeRole.Distributed));
            Assert.That(c.Bridges.Select(b => b.DatapathId), Is.EqualTo(new ulong?[] { 1, 2 }));
            Assert.That(c.Bridges[0].LbMac, Is.Not.EqualTo(c.Bridges[1].LbMac));
            Assert.That(c.Services[0].Bridges, Is.EqualTo(new[] { "br-host1", "br-host2" }));
            Assert.That(c.Services[0].Backends.Select(b => b.Bridge), Is.EqualTo(new[] { "br-host1", "br-host2" }));
        });
    }

    [Test]
    public void LoadBalancerSectionOfTheOvslbConfigFile()
    {
        string json = """
            {
              "Controller": { "EchoInterval": "00:00:05" },
              "Logging": { "LogLevel": { "Default": "Information" } },
              "LoadBalancer": {
                "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe" } ],
                "services": [ { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                                "backends": [ { "mac": "02:00:00:00:00:11", "bogus": 1 } ] } ]
              }
            }
            """;
        var e = SingleError(json, "LoadBalancer.services[0].backends[0].bogus", "bogus", 7);
        Assert.That(ConfigLoader.Parse(json.Replace(", \"bogus\": 1", "")).Config!.Services.Single().Name, Is.EqualTo("web"));
        Assert.That(e.Column, Is.EqualTo(65));
    }

    // ---- one test per error kind ----

    [Test]
    public void FormatterPrintsFileLineColumnPathMessage()
    {
        string json = OneService("""
                "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "translate",
                "backends": [ { "ip": "10.0.0.300" } ]
            """);
        var e = SingleError(json, "services[0].backends[0].ip", "10.0.0.300", 5);
        Assert.That(ConfigErrorFormatter.Format(e, "lb.json"),
            Is.EqualTo("lb.json:5:27: services[0].backends[0].ip: '10.0.0.300' is not an IPv4 address"));
    }

    [Test]
    public void InvalidJsonReportsJsonsPosition()
    {
        var r = ConfigLoader.Parse("{\n  \"services\": [\n    { \"name\": \"a\" \n  ]\n}");
        Assert.That(r.Errors.Single().Message, Does.StartWith("invalid JSON"));
        Assert.That(r.Errors.Single().Line, Is.EqualTo(4));
    }

    [Test]
    public void UnknownKeyIsAnError() =>
        SingleError("{\n  \"options\": { \"bukets\": 64 }\n}", "options.bukets", "bukets", 2);

    [Test]
    public void UnknownTopLevelKeyIsAnError() =>
        SingleError("{\n  \"bridges\": [],\n  \"Controller\": {}\n}", "Controller", "Controller", 3);

    [Test]
    public void DuplicateKeyIsAnError() =>
        SingleError("{\n  \"options\": { \"buckets\": 64,\n   \"buckets\": 128 }\n}", "options.buckets", "buckets", 3);

    [Test]
    public void BadMac() =>
        SingleError(OneService("""
                "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                "backends": [ { "mac": "02:00:00:00:00" } ]
            """), "services[0].backends[0].mac", "02:00:00:00:00", 5);

    [Test]
    public void MulticastMac() =>
        SingleError("{\n \"bridges\": [ { \"name\": \"br\",\n \"lbMac\": \"01:00:5e:00:00:01\" } ]\n}", "bridges[0].lbMac", "01:00:5e:00:00:01", 3);

    [Test]
    public void DuplicateServiceName()
    {
        string json = """
            {
              "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "dns", "vip": "10.0.0.100", "protocol": "udp", "port": 53, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "web", "vip": "10.0.0.101", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] }
              ]
            }
            """;
        SingleError(json, "services[2].name", "web", 6);
    }

    [Test]
    public void DuplicateVipPortProtocol()
    {
        string json = """
            {
              "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "web-udp", "vip": "10.0.0.100", "protocol": "udp", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "web2", "vip": "10.0.0.100", "protocol": "TCP", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "all", "vip": "10.0.0.100", "port": "all", "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] }
              ]
            }
            """;
        var e = SingleError(json, "services[2].vip", "10.0.0.100", 6);
        Assert.That(e.Message, Does.Contain("'web'"));
        Assert.That(SingleError(json, "services[3].vip", "10.0.0.100", 7).Message, Does.Contain("10.0.0.100:all/tcp"));
    }

    [Test]
    public void PortOutOfRange() =>
        SingleError(OneService("""
                "name": "web", "vip": "10.0.0.100", "mode": "direct",
                "port": 65536,
                "backends": [ { "mac": "02:00:00:00:00:11" } ]
            """), "services[0].port", "65536", 5);

    [Test]
    public void PortNotANumberNorAll() =>
        SingleError(OneService("""
                "name": "web", "vip": "10.0.0.100", "mode": "direct", "port": "http",
                "backends": [ { "mac": "02:00:00:00:00:11" } ]
            """), "services[0].port", "http", 4);

    [TestCase("0")]
    [TestCase("-2")]
    [TestCase("1001")]
    public void WeightOutOfRange(string weight)
    {
        var e = SingleError(OneService($$"""
                "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                "backends": [ { "mac": "02:00:00:00:00:11" },
                              { "mac": "02:00:00:00:00:12", "weight": {{weight}} } ]
            """), "services[0].backends[1].weight", weight, 6);
        Assert.That(e.Message, Does.Contain("between 1 and 1000"));
    }

    [TestCase("100", "is not a power of two")]
    [TestCase("2048", "out of range")]
    [TestCase("1", "out of range")]
    public void BucketCount(string buckets, string message)
    {
        var e = SingleError($"{{\n  \"options\": {{\n    \"buckets\": {buckets}\n  }}\n}}", "options.buckets", buckets, 3);
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void FakeMacPrefix()
    {
        SingleError("{ \"options\": { \"fakeMacPrefix\": \"aa:bb:cc\" } }", "options.fakeMacPrefix", "aa:bb:cc", 1);
        var e = SingleError("{ \"options\": { \"fakeMacPrefix\": \"ab:cd\" } }", "options.fakeMacPrefix", "ab:cd", 1);
        Assert.That(e.Message, Does.Contain("multicast"));
    }

    [Test]
    public void TranslateBackendWithoutIp()
    {
        var e = SingleError(OneService("""
                "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "translate",
                "backends": [ { "ip": "10.1.0.1" },
                              { "mac": "02:00:00:00:00:12" } ]
            """), "services[0].backends[1].ip", "", 6);
        Assert.That(e.Message, Does.Contain("'ip' is required"));
    }

    [Test]
    public void TranslateWithoutGateway() =>
        SingleError("""
            {
              "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [ { "name": "web", "vip": "10.0.0.100", "port": 80,
                "mode": "translate", "backends": [ { "ip": "10.1.0.1" } ] } ]
            }
            """, "services[0].mode", "translate", 4);

    [Test]
    public void DirectBackendWithoutMac() =>
        SingleError(OneService("""
                "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                "backends": [ { "ip": "10.0.0.11", "port": 3 } ]
            """), "services[0].backends[0].mac", "", 5);

    [Test]
    public void PortGroupBackendWithAnotherIp() =>
        SingleError(OneService("""
                "name": "pg", "vip": "10.0.0.50", "port": "all", "mode": "portgroup",
                "backends": [ { "mac": "02:00:00:00:00:11", "port": 2 },
                              { "mac": "02:00:00:00:00:12", "port": 3, "ip": "10.0.0.51" } ]
            """), "services[0].backends[1].ip", "10.0.0.51", 6);

    [Test]
    public void PortGroupDuplicateMacAndPort()
    {
        string json = OneService("""
                "name": "pg", "vip": "10.0.0.50", "port": "all", "mode": "portgroup",
                "backends": [ { "mac": "02:00:00:00:00:11", "port": 2 },
                              { "mac": "02:00:00:00:00:12", "port": 2 },
                              { "mac": "02:00:00:00:00:11", "port": 4 },
                              { "mac": "02:00:00:00:00:14" } ]
            """);
        Assert.That(SingleError(json, "services[0].backends[1].port", "2", 6).Message, Does.Contain("also services[0].backends[0]"));
        SingleError(json, "services[0].backends[2].mac", "02:00:00:00:00:11", 7);
        SingleError(json, "services[0].backends[3].port", "", 8);
    }

    [Test]
    public void UndeclaredBridge() =>
        SingleError(OneService("""
                "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                "backends": [ { "mac": "02:00:00:00:00:11", "bridge": "br-nope", "port": 1 } ]
            """), "services[0].backends[0].bridge", "br-nope", 5);

    [Test]
    public void MissingRequiredKeysAreAllReported()
    {
        var r = ConfigLoader.Parse("{\n \"bridges\": [ { \"lbMac\": \"02:00:00:00:00:fe\" } ],\n \"services\": [ { \"backends\": [] } ]\n}");
        Assert.That(r.Errors.Select(e => e.Path), Is.SupersetOf(new[]
        {
            "bridges[0].name", "services[0].name", "services[0].vip", "services[0].port", "services[0].mode", "services[0].backends",
        }), ConfigErrorFormatter.Format(r.Errors, null));
    }

    [Test]
    public void WrongTypeAndBadEnum()
    {
        string json = OneService("""
                "name": "web", "vip": 10, "port": 80, "mode": "dsr",
                "protocol": "sctp",
                "backends": [ { "mac": "02:00:00:00:00:11" } ]
            """);
        Assert.That(SingleError(json, "services[0].vip", "10", 4).Message, Does.Contain("expected a string"));
        Assert.That(SingleError(json, "services[0].mode", "dsr", 4).Message, Does.Contain("direct, translate, portgroup"));
        SingleError(json, "services[0].protocol", "sctp", 5);
    }

    [Test]
    public void HealthCheckTimeoutAboveIntervalAndTcpWithoutPort()
    {
        SingleError("{\n \"healthCheck\": { \"interval\": \"1s\",\n \"timeout\": \"2s\" }\n}", "healthCheck.timeout", "2s", 3);
        SingleError("{ \"healthCheck\": { \"interval\": \"soon\" } }", "healthCheck.interval", "soon", 1);
        SingleError(OneService("""
                "name": "dns", "vip": "10.0.0.100", "protocol": "udp", "port": 53, "mode": "direct",
                "healthCheck": { "kind": "tcp" },
                "backends": [ { "mac": "02:00:00:00:00:11" } ]
            """), "services[0].healthCheck.port", "", 5);
    }

    [Test]
    public void BridgeErrors()
    {
        string json = """
            {
              "bridges": [
                { "name": "h1", "datapathId": "0x1", "lbMac": "02:00:00:00:00:01", "role": "distributed" },
                { "name": "h2", "datapathId": 1, "lbMac": "02:00:00:00:00:01", "role": "distributed", "gateways": [ "10.0.0.1", "10.0.0.1" ] },
                { "name": "h1", "datapathId": "xyz", "lbMac": "02:00:00:00:00:03" }
              ]
            }
            """;
        SingleError(json, "bridges[1].datapathId", "1", 4);
        SingleError(json, "bridges[1].lbMac", "02:00:00:00:00:01", 4);
        SingleError(json, "bridges[1].gateways[1]", "10.0.0.1", 4);
        SingleError(json, "bridges[2].name", "h1", 5);
        SingleError(json, "bridges[2].datapathId", "xyz", 5);
    }

    [Test]
    public void EveryErrorIsCollected()
    {
        var r = ConfigLoader.Parse("""
            {
              "options": { "buckets": 3, "extra": 1 },
              "bridges": [ { "name": "br", "lbMac": "zz" } ],
              "services": [ { "name": "a", "vip": "1.2.3.999", "port": 0, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:01", "weight": 0 } ] } ]
            }
            """);
        Assert.That(r.Errors.Select(e => e.Path), Is.EquivalentTo(new[]
        {
            "options.extra", "options.buckets", "bridges[0].lbMac", "services[0].vip", "services[0].port", "services[0].backends[0].weight",
        }));
    }

    // ---- diff ----

    [Test]
    public void DiffOfIdenticalConfigsIsEmpty() =>
        Assert.That(ConfigDiff.Compute(LoadExample("translate.json"), LoadExample("translate.json")).IsEmpty, Is.True);

    [Test]
    public void DiffFindsAddedRemovedChanged()
    {
        var old = LoadExample("translate.json");
        var api = old.Services[0];
        var changedApi = api with { Backends = api.Backends.Skip(1).ToArray() };
        var web = api with { Name = "web", Port = 80 };
        var br2 = old.Bridges[0] with { Name = "br2", DatapathId = 2 };
        var @new = old with
        {
            Services = new[] { changedApi, web },
            Bridges = new[] { old.Bridges[0] with { Gateways = new[] { Ipv4Address.Parse("10.0.0.254") } }, br2 },
            Options = old.Options with { Buckets = 128 },
        };
        var d = ConfigDiff.Compute(old, @new);
        Assert.Multiple(() =>
        {
            Assert.That(d.ServicesAdded.Select(s => s.Name), Is.EqualTo(new[] { "web" }));
            Assert.That(d.ServicesRemoved.Select(s => s.Name), Is.EqualTo(new[] { "dns" }));
            Assert.That(d.ServicesChanged.Single().Old, Is.EqualTo(api));
            Assert.That(d.ServicesChanged.Single().New, Is.EqualTo(changedApi));
            Assert.That(d.BridgesAdded.Single().Name, Is.EqualTo("br2"));
            Assert.That(d.BridgesRemoved, Is.Empty);
            Assert.That(d.BridgesChanged.Single().New.Gateways.Single().ToString(), Is.EqualTo("10.0.0.254"));
            Assert.That(d.OptionsChanged!.New.Buckets, Is.EqualTo(128));
            Assert.That(d.HealthCheckChanged, Is.Null);
        });
    }

    [Test]
    public void DiffAfterReparseOfEditedFileSeesOnlyTheEdit()
    {
        string text = File.ReadAllText(ExamplePath("direct.json"));
        var a = ConfigLoader.Parse(text).GetOrThrow();
        var b = ConfigLoader.Parse(text.Replace("\"port\": 13, \"weight\": 2", "\"port\": 13, \"weight\": 5")).GetOrThrow();
        var d = ConfigDiff.Compute(a, b);
        Assert.That(d.ServicesChanged.Single().New.Backends[2].Weight, Is.EqualTo(5));
        Assert.That(d with { ServicesChanged = new Changed<ServiceConfig>[0] }, Has.Property("IsEmpty").True);
    }
}

/// <summary>Health checks that could not check the mode's backends are refused at load (review findings).</summary>
public sealed class HealthCheckFitTests
{
    private static string Errors(string json) => string.Join("\n", ConfigLoader.Parse(json).Errors.Select(e => e.ToString()));

    private const string Bridge = """ "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe", "gateways": ["10.0.0.1"] } ] """;

    [TestCase("translate", """{ "kind": "arp" }""", """[ { "ip": "10.1.0.1" } ]""", "an arp check cannot reach translate-mode backends")]
    [TestCase("translate", """{ "kind": "tcp" }""", """[ { "ip": "10.1.0.1" } ]""", "needs 'healthCheck.port' other than the service port")]
    [TestCase("translate", """{ "kind": "tcp", "port": 80 }""", """[ { "ip": "10.1.0.1" } ]""", "needs 'healthCheck.port' other than the service port")]
    [TestCase("portgroup", """{ "kind": "tcp" }""", """[ { "mac": "02:00:00:00:00:01", "port": 1 } ]""", "cannot tell port-group servers apart")]
    [TestCase("direct", """{ "kind": "arp" }""", """[ { "mac": "02:00:00:00:00:01" } ]""", "'ip' is required for a direct-mode backend when the service has a arp health check")]
    public void A_check_that_cannot_work_for_the_mode_is_an_error(string mode, string check, string backends, string expected)
    {
        string json = $$"""{ {{Bridge}}, "services": [ { "name": "s", "vip": "10.0.0.100", "port": 80, "mode": "{{mode}}", "healthCheck": {{check}}, "backends": {{backends}} } ] }""";
        Assert.That(Errors(json), Does.Contain(expected));
    }

    /// <summary>A check inherited from the global healthCheck is reported at the service's mode, with its position in the file.</summary>
    [Test]
    public void A_global_check_that_cannot_work_for_the_mode_is_reported_at_the_mode()
    {
        string json = $$"""
            { {{Bridge}}, "healthCheck": { "kind": "arp" },
              "services": [ { "name": "s", "vip": "10.0.0.100", "port": 80,
                "mode": "translate", "backends": [ { "ip": "10.1.0.1" } ] } ] }
            """;
        var e = ConfigLoader.Parse(json).Errors.Single();
        int column = json.Split('\n')[2].IndexOf("\"translate\"", StringComparison.Ordinal) + 1;
        Assert.That((e.Path, e.Value, e.Line, e.Column), Is.EqualTo(("services[0].mode", "arp", 3, column)), e.ToString());
        Assert.That(e.Message, Does.Contain("an arp check cannot reach translate-mode backends"));
    }

    [Test]
    public void A_translate_tcp_check_on_another_port_is_fine()
    {
        string json = $$"""{ {{Bridge}}, "services": [ { "name": "s", "vip": "10.0.0.100", "port": 80, "mode": "translate", "healthCheck": { "kind": "tcp", "port": 81 }, "backends": [ { "ip": "10.1.0.1" } ] } ] }""";
        Assert.That(ConfigLoader.Parse(json).IsValid, Is.True, Errors(json));
    }

    [Test]
    public void Backend_names_are_unique_and_port_group_servers_default_to_their_mac()
    {
        string dup = $$"""{ {{Bridge}}, "services": [ { "name": "s", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "name": "a", "mac": "02:00:00:00:00:01" }, { "name": "a", "mac": "02:00:00:00:00:02" } ] } ] }""";
        Assert.That(Errors(dup), Does.Contain("duplicate backend name 'a'"));
        string pg = $$"""{ {{Bridge}}, "services": [ { "name": "s", "vip": "10.0.0.100", "port": 80, "mode": "portgroup", "backends": [ { "mac": "02:00:00:00:00:01", "port": 1 }, { "mac": "02:00:00:00:00:02", "port": 2 } ] } ] }""";
        var r = ConfigLoader.Parse(pg);
        Assert.That(r.IsValid, Is.True, Errors(pg));
        Assert.That(r.Config!.Services[0].Backends.Select(b => b.Name), Is.EqualTo(new[] { "02:00:00:00:00:01", "02:00:00:00:00:02" }));
    }
}
