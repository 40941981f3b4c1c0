using OvsLb.Controller.Cli;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb validate</c> on <c>options.maxConnections</c> and <c>options.connectionCapInterval</c>: a bad value,
/// and a cap in a file with a NAT service (whose connection-tracker entries the controller cannot bound), are errors at
/// their position; "unlimited" and a count are valid in the stateless modes.
/// </summary>
[TestFixture]
public class ValidateConnectionCapTests
{
    private static string At(string text, string needle) => ValidateCommandTests.At(text, needle);

    [Test]
    public void A_bad_cap_or_interval_is_an_error_at_its_position()
    {
        const string text = """
            {
              "options": { "maxConnections": 0, "connectionCapInterval": "5ms" },
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct",
                  "backends": [ { "ip": "10.0.0.11", "mac": "02:00:00:00:00:11" } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        var lines = Ovslb.Lines(r.Out);
        Assert.That(lines, Has.Some.StartsWith($"{f.Path}:{At(text, "0, ")}: options.maxConnections: '0' is out of range: the cap of learned connection entries per bridge must be between 1 and 10000000"), r.Out);
        Assert.That(lines, Has.Some.StartsWith($"{f.Path}:{At(text, "\"5ms\"")}: options.connectionCapInterval:"), r.Out);
        Assert.That(lines.Last(), Is.EqualTo($"{f.Path}: 2 errors"), r.Out);
    }

    [Test]
    public void A_word_other_than_unlimited_is_an_error_at_its_position()
    {
        const string text = """
            {
              "options": { "maxConnections": "lots" },
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [ { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "ip": "10.0.0.11", "mac": "02:00:00:00:00:11" } ] } ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
        {
            $"{f.Path}:{At(text, "\"lots\"")}: options.maxConnections: 'lots' is not a connection count: use an integer 1..10000000 or \"unlimited\"",
            $"{f.Path}: 1 error",
        }), r.Out);
    }

    [Test]
    public void A_cap_with_a_nat_service_is_an_error_naming_the_command_for_the_switch_host()
    {
        const string text = """
            {
              "options": { "maxConnections": 5000 },
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe", "snatIp": "10.0.0.254" } ],
              "services": [
                { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "ip": "10.0.0.11", "mac": "02:00:00:00:00:11" } ] },
                { "name": "api", "vip": "10.0.0.101", "port": 80, "mode": "fullnat", "backends": [ { "ip": "10.0.0.12" } ] }
              ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.EqualTo(CommandLine.ExitError));
        Assert.That(Ovslb.Lines(r.Out), Is.EqualTo(new[]
        {
            $"{f.Path}:{At(text, "5000")}: options.maxConnections: 'maxConnections' caps learned connection entries, but service 'api' is fullnat: " +
            "its connections are entries of the connection tracker, which the controller cannot bound on OVS 3.1. Remove 'maxConnections' (the default, 100000, then caps the other services' learned entries) or set it to \"unlimited\", " +
            "and set the connection tracker's limit on the switch host: ovs-appctl dpctl/ct-set-limits zone=64256,limit=N zone=64257,limit=N",
            $"{f.Path}: 1 error",
        }), r.Out);
    }

    [TestCase("\"unlimited\"")]
    [TestCase("50")]
    public void A_cap_in_the_stateless_modes_is_valid(string value)
    {
        string text = $$"""
            {
              "options": { "maxConnections": {{value}}, "connectionCapInterval": "200ms" },
              "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
              "services": [ { "name": "web", "vip": "10.0.0.100", "port": 80, "mode": "direct", "backends": [ { "ip": "10.0.0.11", "mac": "02:00:00:00:00:11" } ] } ]
            }
            """;
        using var f = new Ovslb.TempFile(text);
        var r = Ovslb.Run("validate", f.Path);
        Assert.That(r.Code, Is.Zero, r.Out);
    }
}
