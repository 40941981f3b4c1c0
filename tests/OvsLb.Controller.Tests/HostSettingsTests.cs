using System.Text;
using Microsoft.Extensions.Configuration;
using OvsLb.Pipeline.Config;

namespace OvsLb.Controller.Tests;

/// <summary>
/// The host sections of the <c>--config</c> file, flattened from the file's one parse
/// (<see cref="ConfigDocument.HostSettings"/>), are exactly what Microsoft.Extensions.Configuration's JSON
/// provider, which <c>ovslb run</c> used to read the file with, makes of them: same keys, same values,
/// for nested sections, arrays, booleans, numbers as written, null, empty sections, escapes and comments.
/// The load-balancer part is left to its own binder.
/// </summary>
[TestFixture]
public class HostSettingsTests
{
    private const string File = """
        {
          // comments and trailing commas, as appsettings.json allows
          "Controller": {
            "Listen": [ "127.0.0.1:6653", "[::1]:6653", ],
            "EchoInterval": "00:00:02",
            "ManageForeignFlows": true,
            "CookieSignature": 19522,
            "GenerationId": 1e3,
            "Role": null,
            "Empty": {},
            "None": [],
            "Text": "tab\there \u00e9 \"quoted\""
          },
          "Status": { "Enabled": false, "Listen": "127.0.0.1:0" },
          "Logging": { "LogLevel": { "Default": "Information", "OvsLb.Switch": "Debug" } },
          "Nested": [ { "a": [ 1, [ 2, 3 ] ] }, "x" ],
          "LoadBalancer": { "bridges": [], "services": [] },
        }
        """;

    [Test]
    public void Host_settings_equal_the_json_providers_keys_and_values()
    {
        var root = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(File))).Build();
        // The provider's own entries: values, and empty sections (a key with a null value and no children).
        var provider = root.AsEnumerable()
            .Where(kv => !kv.Key.StartsWith("LoadBalancer", StringComparison.OrdinalIgnoreCase))
            .Where(kv => kv.Value is not null || !root.GetSection(kv.Key).GetChildren().Any())
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var ours = ConfigDocument.Parse(Encoding.UTF8.GetBytes(File)).HostSettings.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        Assert.That(ours, Is.EquivalentTo(provider));
        Assert.That(ours, Has.Count.EqualTo(18));
    }
}
