using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvsLb.Controller.Hosting;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// One load of the <c>--config</c> file is one read: at the start of <c>ovslb run</c> (which used to open it
/// three times, with three parsers) and at a reload. The kernel counts the opens (<see cref="FileOpenCounter"/>),
/// whichever library makes them. A reload that edits
/// the <c>Controller</c> section applies the load-balancer part and warns that the rest needs a restart.
/// </summary>
[TestFixture]
public class ConfigFileLoadTests
{
    private static string Lb() => File.ReadAllText(Ovslb.Config("translate"));

    private static string File_(string controller) => $$"""{ "Controller": { {{controller}} }, "Status": { "Listen": "127.0.0.1:0" }, "LoadBalancer": {{Lb()}} }""";

    private static IHost Build(string path, RecordingLoggerProvider? log = null) =>
        RunHost.CreateBuilder(["--config", path], services =>
        {
            if (log is not null) services.AddSingleton<ILoggerProvider>(log);
        }).Build();

    private static LoadBalancerService Reloader(IHost host) => host.Services.GetServices<IHostedService>().OfType<LoadBalancerService>().Single();

    [Test]
    public async Task A_start_and_a_reload_each_open_the_file_once()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "ovslb.json");
        File.WriteAllText(path, File_("""  "Listen": [ "127.0.0.1:0" ], "EchoInterval": "00:00:02" """));
        using var opens = new FileOpenCounter(path);
        using var host = Build(path);
        await host.StartAsync();
        try
        {
            Assert.That(opens.Opens, Is.EqualTo(1), "building and starting the host opens the configuration file once");
            var reloader = Reloader(host);
            reloader.Dispose(); // reloads by hand only: the file watcher would reload on the write below
            File.WriteAllText(path, File_("""  "Listen": [ "127.0.0.1:0" ], "EchoInterval": "00:00:03" """));
            opens.Reset();
            reloader.Reload(Path.GetFullPath(path));
            Assert.That(opens.Opens, Is.EqualTo(1), "a reload opens it once");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public async Task A_reload_that_edits_the_controller_section_warns_and_one_that_does_not_is_quiet()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "ovslb.json");
        File.WriteAllText(path, File_("""  "Listen": [ "127.0.0.1:0" ], "EchoInterval": "00:00:02" """));
        var log = new RecordingLoggerProvider();
        using var host = Build(path, log);
        await host.StartAsync();
        try
        {
            var reloader = Reloader(host);
            reloader.Dispose(); // reloads by hand only
            const string warning = "the Controller/Status/Logging settings changed; they take effect when ovslb run is restarted";

            // Only the load-balancer part (and the layout) changes: no warning.
            File.WriteAllText(path, File_("""  "Listen": [ "127.0.0.1:0" ],    "EchoInterval": "00:00:02" """).Replace("\"name\": \"api\"", "\"name\": \"api2\"", StringComparison.Ordinal));
            reloader.Reload(Path.GetFullPath(path));
            Assert.That(log.Lines.Where(l => l.Contains(warning, StringComparison.Ordinal)), Is.Empty, string.Join("\n", log.Lines));
            Assert.That(log.Lines.Where(l => l.Contains("not reloaded", StringComparison.Ordinal)), Is.Empty, string.Join("\n", log.Lines));

            File.WriteAllText(path, File_("""  "Listen": [ "127.0.0.1:0" ], "EchoInterval": "00:00:05" """));
            reloader.Reload(Path.GetFullPath(path));
            Assert.That(log.Lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(warning, StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", log.Lines));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("ovslb-cfg-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
