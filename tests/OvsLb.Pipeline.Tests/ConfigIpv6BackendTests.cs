using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;

namespace OvsLb.Pipeline.Tests;

/// <summary>IPv6 backend addresses (issue 12, second slice): a direct-mode backend of a service with an IPv6 VIP may give
/// its "ip" as IPv6 (its health checks use it); anywhere else an IPv6 backend address is refused at FILE:LINE:COL.</summary>
public class ConfigIpv6BackendTests
{
    /// <summary>One bridge (line 2) and one service; the backend's "ip" is on line 5.</summary>
    private static string OneService(string vip, string mode, string ip, string extra = "") =>
        "{\n" +
        "  \"bridges\": [ { \"name\": \"br\", \"lbMac\": \"02:00:00:00:00:fe\", \"gateways\": [\"10.0.0.1\"] } ],\n" +
        "  \"services\": [ {\n" +
        $"    \"name\": \"web\", \"vip\": {vip}, \"port\": 80, \"mode\": \"{mode}\", {extra}\n" +
        $"    \"backends\": [ {{ \"ip\": \"{ip}\", \"mac\": \"02:00:00:00:00:11\", \"port\": 11 }} ]\n" +
        "  } ]\n}\n";

    private static ConfigError SingleError(string json)
    {
        var r = ConfigLoader.Parse(json);
        var e = r.Errors.Where(x => x.Path == "services[0].backends[0].ip").ToList();
        Assert.That(e, Has.Count.EqualTo(1), ConfigErrorFormatter.Format(r.Errors, "test.json"));
        Assert.Multiple(() =>
        {
            Assert.That(e[0].Line, Is.EqualTo(5));
            Assert.That(ConfigErrorFormatter.Format(e, "lb.json"), Does.StartWith("lb.json:5:"));
        });
        return e[0];
    }

    [TestCase("\"fd00::100\"")]
    [TestCase("[\"10.0.0.100\", \"fd00::100\"]")]
    public void Direct_backend_of_an_ipv6_service_takes_an_ipv6_address(string vip)
    {
        var r = ConfigLoader.Parse(OneService(vip, "direct", "fd00::11", "\"healthCheck\": { \"kind\": \"arp\" },"));
        Assert.That(r.Errors, Is.Empty, ConfigErrorFormatter.Format(r.Errors, "test.json"));
        var b = r.Config!.Services.Single().Backends.Single();
        Assert.Multiple(() =>
        {
            Assert.That(b.Ip, Is.Null);
            Assert.That(b.Ip6, Is.EqualTo(Ipv6Address.Parse("fd00::11")));
            Assert.That(b.IpText, Is.EqualTo("fd00::11"));
        });
    }

    [Test]
    public void Ipv6_backend_without_an_ipv6_vip_is_refused() =>
        Assert.That(SingleError(OneService("\"10.0.0.100\"", "direct", "fd00::11")).Message, Does.Contain("the service has no IPv6 VIP"));

    [TestCase("translate")]
    [TestCase("nat")]
    [TestCase("fullnat")]
    [TestCase("portgroup")]
    public void Ipv6_backend_in_an_ipv4_only_mode_is_refused(string mode) =>
        Assert.That(SingleError(OneService("\"10.0.0.100\"", mode, "fd00::11")).Message, Does.Contain("only direct mode takes IPv6 backends"));

    [TestCase("fe80::11", "link-local")]
    [TestCase("ff02::1", "multicast")]
    [TestCase("::1", "loopback")]
    [TestCase("::", "unspecified")]
    [TestCase("fd00:::11", "is not an IPv4 or IPv6 address")]
    public void Ipv6_addresses_that_cannot_be_a_backend_are_refused(string ip, string why) =>
        Assert.That(SingleError(OneService("\"fd00::100\"", "direct", ip)).Message, Does.Contain(why));

    [Test]
    public void Ipv4_backend_of_a_dual_stack_service_is_unchanged()
    {
        var r = ConfigLoader.Parse(OneService("[\"10.0.0.100\", \"fd00::100\"]", "direct", "10.0.0.11"));
        Assert.That(r.Errors, Is.Empty, ConfigErrorFormatter.Format(r.Errors, "test.json"));
        var b = r.Config!.Services.Single().Backends.Single();
        Assert.That((b.Ip, b.Ip6), Is.EqualTo((Ipv4Address.Parse("10.0.0.11"), (Ipv6Address?)null)));
    }
}
