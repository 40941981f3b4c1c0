using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb config put/get</c> against a real 3-member etcd: a valid file is stored and read back byte for byte; an
/// invalid one is refused with FILE:LINE:COL and nothing is written; host sections are refused (they are each
/// instance's own); a missing or unreachable etcd is a clear error.
/// </summary>
[TestFixture, Category("Etcd")]
public class ConfigCommandTests
{
    private const string Good = """
        {
          "bridges": [ { "name": "br0", "lbMac": "02:00:00:00:00:fe" } ],
          "services": [
            { "name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "mode": "direct",
              "backends": [ { "name": "s1", "ip": "10.0.0.11", "mac": "02:00:00:00:00:11", "port": 11 } ] }
          ]
        }
        """;

    [Test]
    public void Put_validates_and_stores_get_reads_it_back()
    {
        using var etcd = EtcdCluster.Start();
        string[] at = [$"--Cluster:Etcd={etcd.Endpoints}", "--Cluster:Prefix=/ovslb-cli"];
        using var good = new Ovslb.TempFile(Good);
        using var bad = new Ovslb.TempFile(Good.Replace("10.0.0.100", "10.0.0.300", StringComparison.Ordinal));
        // An ovslb run file: host settings beside the load balancer's part.
        using var host = new Ovslb.TempFile($$"""{ "Controller": { "Listen": [ "127.0.0.1:6653" ] }, "LoadBalancer": {{Good}} }""");

        var empty = Ovslb.Run(["config", "get", .. at]);
        Assert.That((empty.Code, empty.Err), Is.EqualTo((1, "ovslb config: no configuration at /ovslb-cli/config (etcd " + etcd.Endpoints + "); write one with: ovslb config put FILE\n")));

        var put = Ovslb.Run(["config", "put", good.Path, .. at]);
        Assert.That(put.Code, Is.Zero, put.Err);
        Assert.That(put.Out, Does.Match($@"^{System.Text.RegularExpressions.Regex.Escape(good.Path)}: written to /ovslb-cli/config at revision \d+\n$"));
        var get = Ovslb.Run(["config", "get", .. at]);
        Assert.That((get.Code, get.Out), Is.EqualTo((0, Good + "\n")));
        Assert.That(get.Err, Does.Match(@"^/ovslb-cli/config revision \d+\n$"));
        TestContext.Out.WriteLine(put.Out + get.Err);

        var refused = Ovslb.Run(["config", "put", bad.Path, .. at]);
        TestContext.Out.WriteLine(refused.Err);
        Assert.That(refused.Code, Is.EqualTo(1));
        Assert.That(refused.Err, Does.Contain($"{bad.Path}:4:29: services[0].vip:"), "the error is placed at FILE:LINE:COL");
        Assert.That(refused.Err, Does.Contain("10.0.0.300"));
        Assert.That(Ovslb.Run(["config", "get", .. at]).Out, Is.EqualTo(Good + "\n"), "nothing was written");

        var hosted = Ovslb.Run(["config", "put", host.Path, .. at]);
        Assert.That(hosted.Code, Is.EqualTo(1), hosted.Err);
        Assert.That(hosted.Err, Does.Contain("found host sections (Controller:Listen:0=127.0.0.1:6653), which each instance takes from its own file or command line"), hosted.Err);
        Assert.That(Etcdctl(etcd, "get", "/ovslb-cli/config", "--print-value-only"), Is.EqualTo(Good + "\n"), "etcdctl reads what put wrote");
    }

    [Test]
    public void No_etcd_or_an_unreachable_one_is_a_clear_error()
    {
        using var good = new Ovslb.TempFile(Good);
        var none = Ovslb.Run("config", "put", good.Path);
        Assert.That((none.Code, none.Err), Is.EqualTo((64, "ovslb config: no etcd given: --Cluster:Etcd=http://HOST:PORT[,...] (or OVSLB_Cluster__Etcd)\n")));
        var usage = Ovslb.Run("config", "list");
        Assert.That(usage.Code, Is.EqualTo(64));
        // A loopback port nothing listens on (bound and released).
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)) { l.Start(); port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; }
        var gone = Ovslb.Run("config", "get", $"--Cluster:Etcd=http://127.0.0.1:{port}", "--Cluster:ConnectTimeout=00:00:01");
        TestContext.Out.WriteLine(gone.Err);
        Assert.That(gone.Code, Is.EqualTo(1));
        Assert.That(gone.Err, Does.Contain($"http://127.0.0.1:{port}").And.Contain("did not answer"));
    }

    private static string Etcdctl(EtcdCluster etcd, params string[] args) =>
        ProcessRunner.Run("etcdctl", ["--endpoints", etcd.Endpoints, .. args]).EnsureSuccess().Stdout;
}
