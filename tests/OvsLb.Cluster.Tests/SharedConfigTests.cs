using Microsoft.Extensions.Logging;
using OvsLb.Cluster;
using OvsLb.Testing;

namespace OvsLb.Cluster.Tests;

/// <summary>
/// The shared configuration document against a real 3-member etcd: written once, read back, seen by every watching
/// instance within a second, a refused revision leaves the last good one applied, and a deletion changes nothing.
/// (Validation itself is the caller's: here a document is "valid" when it parses as a JSON object.)
/// </summary>
[TestFixture, Category("Etcd")]
public class SharedConfigTests
{
    private static IReadOnlyList<string> Validate(StoredConfig doc)
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(doc.Text).RootElement.ValueKind == System.Text.Json.JsonValueKind.Object ? [] : ["not a JSON object"];
        }
        catch (System.Text.Json.JsonException e)
        {
            return [e.Message];
        }
    }

    [Test]
    public async Task A_document_put_once_reaches_every_instance_and_a_refused_one_keeps_the_last_good()
    {
        using var etcd = EtcdCluster.Start();
        var options = ClusterNode.Options(etcd, "/ovslb-cfg", "writer", 3);
        using var writer = new EtcdConnection(options);
        await writer.ConnectAsync();
        Assert.That(await SharedConfig.GetAsync(writer), Is.Null, "nothing stored yet");
        long r1 = await SharedConfig.PutAsync(writer, """{ "services": [] }""");
        Assert.That(await SharedConfig.GetAsync(writer), Is.EqualTo(new StoredConfig("""{ "services": [] }""", r1)));

        var logs = new[] { new RecordingLoggerProvider(), new RecordingLoggerProvider() };
        var conns = new List<EtcdConnection>();
        var instances = new List<SharedConfig>();
        try
        {
            foreach (var (log, i) in logs.Select((l, i) => (l, i)))
            {
                var c = new EtcdConnection(ClusterNode.Options(etcd, "/ovslb-cfg", $"inst{i}", 3));
                conns.Add(c);
                await c.ConnectAsync();
                instances.Add(await SharedConfig.StartAsync(c, Validate, log.Factory().CreateLogger("config")));
            }
            Assert.That(instances.Select(s => s.Applied?.ModRevision), Is.All.EqualTo(r1), "the stored document is applied at start");

            // A new document reaches both within a second.
            long r2 = await SharedConfig.PutAsync(writer, """{ "services": [ { "name": "web" } ] }""");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Assert.That(ProcessRunner.WaitUntil(() => instances.All(s => s.Applied?.ModRevision == r2), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5)), Is.True,
                "both instances applied the new revision within 1 s");
            TestContext.Out.WriteLine($"revision {r2} applied by both instances {sw.ElapsedMilliseconds} ms after the put returned");

            // Written by other means than 'ovslb config put': refused by validation, the last good one stays.
            long bad = await SharedConfig.PutAsync(writer, "{ not json");
            Assert.That(ProcessRunner.WaitUntil(() => instances.All(s => s.LastRefused == bad), TimeSpan.FromSeconds(2)), Is.True);
            Assert.That(instances.Select(s => s.Applied?.ModRevision), Is.All.EqualTo(r2));
            var line = logs[0].WaitFor(TimeSpan.FromSeconds(2), $"revision {bad} refused, keeping revision {r2}");
            Assert.That(line, Is.Not.Null);
            TestContext.Out.WriteLine(line);

            // Deleted: nothing changes, and it says so.
            ProcessRunner.Run("etcdctl", ["--endpoints", etcd.Endpoints, "del", "/ovslb-cfg/config"]).EnsureSuccess();
            Assert.That(logs[1].WaitFor(TimeSpan.FromSeconds(2), "deleted", $"keeping revision {r2}"), Is.Not.Null);
            Assert.That(instances.Select(s => s.Applied?.ModRevision), Is.All.EqualTo(r2));

            // A good one again is applied.
            long r3 = await SharedConfig.PutAsync(writer, """{ "services": [] }""");
            Assert.That(ProcessRunner.WaitUntil(() => instances.All(s => s.Applied?.ModRevision == r3), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(5)), Is.True);
        }
        finally
        {
            foreach (var s in instances) await s.DisposeAsync();
            foreach (var c in conns) c.Dispose();
        }
    }
}
