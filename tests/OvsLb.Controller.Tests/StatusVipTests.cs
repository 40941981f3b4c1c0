using System.Text.Json;
using System.Text.Json.Nodes;
using OvsLb.Controller.Status;
using OvsLb.Pipeline.Config;

namespace OvsLb.Controller.Tests;

/// <summary>/status names a service's VIPs in two fields: <c>vip</c>, always one address (IPv4, or the IPv6 VIP of an
/// IPv6-only service), and <c>vip6</c>, the IPv6 VIP whenever there is one (null otherwise).</summary>
public sealed class StatusVipTests
{
    [Test]
    public void Vip_is_one_address_and_vip6_the_ipv6_one()
    {
        var r = ConfigLoader.Parse("""
            {
              "bridges": [ { "name": "br", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [
                { "name": "four", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "six", "vip": "fd00::100", "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] },
                { "name": "dual", "vip": ["10.0.0.101", "fd00::101"], "port": 80, "mode": "direct", "backends": [ { "mac": "02:00:00:00:00:11" } ] }
              ]
            }
            """);
        Assert.That(r.Errors, Is.Empty);
        var vips = r.Config!.Services.ToDictionary(s => s.Name, StatusReport.Vips);
        var json = JsonNode.Parse(JsonSerializer.Serialize(
            new ServiceStatus("dual", vips["dual"].Vip, "tcp", 80, "direct", "none", [], []) { Vip6 = vips["dual"].Vip6 }, StatusReport.Json))!;
        Assert.Multiple(() =>
        {
            Assert.That(vips["four"], Is.EqualTo(("10.0.0.100", (string?)null)));
            Assert.That(vips["six"], Is.EqualTo(("fd00::100", (string?)"fd00::100")));
            Assert.That(vips["dual"], Is.EqualTo(("10.0.0.101", (string?)"fd00::101")));
            Assert.That(((string?)json["vip"], (string?)json["vip6"]), Is.EqualTo(("10.0.0.101", (string?)"fd00::101")), json.ToJsonString());
        });
    }
}
