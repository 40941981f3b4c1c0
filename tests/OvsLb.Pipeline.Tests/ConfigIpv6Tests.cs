using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;

namespace OvsLb.Pipeline.Tests;

/// <summary>IPv6 VIPs in the configuration: one address or an array of one per family; every mode, protocol or
/// option not built for IPv6 yet is refused at the IPv6 address with FILE:LINE:COL, never ignored.</summary>
public class ConfigIpv6Tests
{
    /// <summary>One bridge (line 2) and one service whose body starts on line 4.</summary>
    private static string OneService(string body) =>
        "{\n" +
        "  \"bridges\": [ { \"name\": \"br\", \"lbMac\": \"02:00:00:00:00:fe\", \"gateways\": [\"10.0.0.1\"] } ],\n" +
        "  \"services\": [ {\n" +
        body + "\n" +
        "  } ]\n}\n";

    private const string DirectBackends = "\"backends\": [ { \"ip\": \"10.0.0.11\", \"mac\": \"02:00:00:00:00:11\" } ]";

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

    private static ServiceConfig Valid(string json)
    {
        var r = ConfigLoader.Parse(json);
        Assert.That(r.Errors, Is.Empty, ConfigErrorFormatter.Format(r.Errors, "test.json"));
        return r.Config!.Services.Single();
    }

    [Test]
    public void Single_ipv6_vip_is_an_ipv6_only_service()
    {
        var s = Valid(OneService($"\"name\": \"web6\", \"vip\": \"fd00::100\", \"port\": 80, \"mode\": \"direct\", {DirectBackends}"));
        Assert.Multiple(() =>
        {
            Assert.That(s.Vip, Is.Null);
            Assert.That(s.Vip6, Is.EqualTo(Ipv6Address.Parse("fd00::100")));
            Assert.That(s.Views().Single().IsIpv6, Is.True);
        });
    }

    [Test]
    public void Array_of_one_address_per_family_is_dual_stack()
    {
        var s = Valid(OneService($"\"name\": \"web\", \"vip\": [\"fd00::100\", \"10.0.0.100\"], \"port\": 80, \"mode\": \"direct\", {DirectBackends}"));
        Assert.Multiple(() =>
        {
            Assert.That(s.Vip, Is.EqualTo(Ipv4Address.Parse("10.0.0.100")));
            Assert.That(s.Vip6, Is.EqualTo(Ipv6Address.Parse("fd00::100")));
            Assert.That(s.Views().Select(v => v.IsIpv6), Is.EqualTo(new[] { false, true }), "IPv4 view first, then IPv6");
            Assert.That(s.VipText, Is.EqualTo("10.0.0.100, fd00::100"));
        });
    }

    [Test]
    public void Single_ipv4_string_is_unchanged()
    {
        var s = Valid(OneService($"\"name\": \"web\", \"vip\": \"10.0.0.100\", \"port\": 80, \"mode\": \"direct\", {DirectBackends}"));
        Assert.That((s.Vip, s.Vip6), Is.EqualTo((Ipv4Address.Parse("10.0.0.100"), (Ipv6Address?)null)));
    }

    [Test]
    public void Two_addresses_of_one_family_are_refused_at_the_second() =>
        SingleError(OneService($"\"name\": \"web\",\n\"vip\": [\"fd00::100\", \"fd00::101\"], \"port\": 80, \"mode\": \"direct\", {DirectBackends}"),
            "services[0].vip[1]", "fd00::101", 5);

    [TestCase("fe80::1", "link-local")]
    [TestCase("ff02::1", "multicast")]
    [TestCase("::", "unspecified")]
    [TestCase("::1", "loopback")]
    [TestCase("::ffff:10.0.0.1", "IPv4-mapped")]
    [TestCase("fd00::1%2", "is not an IPv4 or IPv6 address")]
    [TestCase("fd00:::1", "is not an IPv4 or IPv6 address")]
    public void Addresses_that_cannot_be_a_vip_are_refused(string vip, string why)
    {
        var e = SingleError(OneService($"\"name\": \"web\",\n\"vip\": \"{vip}\", \"port\": 80, \"mode\": \"direct\", {DirectBackends}"), "services[0].vip", vip, 5);
        Assert.That(e.Message, Does.Contain(why));
    }

    [TestCase("translate", "translate mode does not carry IPv6 yet")]
    [TestCase("nat", "nat mode does not carry IPv6 yet")]
    [TestCase("fullnat", "fullnat mode does not carry IPv6 yet")]
    [TestCase("portgroup", "portgroup mode does not carry IPv6 yet")]
    public void Modes_without_ipv6_are_refused_at_the_ipv6_vip(string mode, string message)
    {
        string backends = "\"backends\": [ { \"ip\": \"10.0.0.11\", \"mac\": \"02:00:00:00:00:11\", \"port\": 11 } ]";
        var r = ConfigLoader.Parse(OneService($"\"name\": \"web\",\n\"vip\": [\"10.0.0.100\",\n\"fd00::100\"], \"port\": 80, \"mode\": \"{mode}\", {backends}"));
        var e = r.Errors.Where(x => x.Path == "services[0].vip[1]").ToList();
        Assert.That(e, Has.Count.EqualTo(1), ConfigErrorFormatter.Format(r.Errors, "test.json"));
        Assert.Multiple(() =>
        {
            Assert.That(e[0].Line, Is.EqualTo(6), "the line of the IPv6 address");
            Assert.That(e[0].Value, Is.EqualTo("fd00::100"));
            Assert.That(e[0].Message, Does.Contain(message));
            Assert.That(ConfigErrorFormatter.Format(e, "lb.json"), Does.StartWith("lb.json:6:"));
        });
    }

    [TestCase("\"fd00::53\"")]
    [TestCase("[\"10.0.0.53\", \"fd00::53\"]")]
    public void Udp_with_an_ipv6_vip_is_accepted(string vip)
    {
        var s = Valid(OneService($"\"name\": \"dns\",\n\"vip\": {vip}, \"protocol\": \"udp\", \"port\": 53, \"mode\": \"direct\", {DirectBackends}"));
        Assert.That(s.Vip6, Is.EqualTo(Ipv6Address.Parse("fd00::53")));
    }

    [Test]
    public void Reject_with_an_ipv6_vip_is_refused()
    {
        var e = SingleError(OneService($"\"name\": \"web\",\n\"vip\": \"fd00::100\", \"onEmpty\": \"reject\", \"port\": 80, \"mode\": \"direct\", {DirectBackends}"), "services[0].vip", "fd00::100", 5);
        Assert.That(e.Message, Does.Contain("onEmpty \"reject\""));
    }

    [Test]
    public void Overlapping_ipv6_endpoints_are_refused()
    {
        var r = ConfigLoader.Parse("""
            {
              "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [
                { "name": "a", "vip": ["10.0.0.100", "fd00::100"], "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "b", "vip": "fd00:0::100", "port": "all", "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] }
              ]
            }
            """);
        var e = r.Errors.Single(x => x.Path == "services[1].vip");
        Assert.Multiple(() =>
        {
            Assert.That(e.Line, Is.EqualTo(5));
            Assert.That(e.Message, Does.Contain("'[fd00::100]:all/tcp' overlaps service 'a'"));
        });
    }
}
