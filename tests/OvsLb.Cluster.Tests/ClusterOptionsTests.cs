using OvsLb.Cluster;

namespace OvsLb.Cluster.Tests;

/// <summary>Bad <c>Cluster</c> settings are refused with a message naming the setting, the value and what is expected.</summary>
[TestFixture]
public class ClusterOptionsTests
{
    [Test]
    public void Defaults_are_off_and_valid()
    {
        var o = new ClusterOptions();
        Assert.That(o.Enabled, Is.False);
        Assert.That(o.Validate(), Is.Empty);
        Assert.That(new ClusterOptions { Etcd = "http://127.0.0.1:2379, http://10.0.0.2:2379" }.Validate(), Is.Empty);
    }

    [TestCase("127.0.0.1:2379", "Cluster:Etcd: '127.0.0.1:2379' is not an etcd client URL")]
    [TestCase("https://10.0.0.1:2379", "https is not supported yet")]
    [TestCase("http://10.0.0.1", "Cluster:Etcd: 'http://10.0.0.1' is not an etcd client URL http://HOST:PORT")]
    public void A_bad_endpoint_is_named(string etcd, string message)
    {
        Assert.That(new ClusterOptions { Etcd = etcd }.Validate(), Has.One.Contains(message));
    }

    [Test]
    public void Lease_ttl_below_two_seconds_or_not_whole_seconds_is_refused()
    {
        var short1 = new ClusterOptions { Etcd = "http://127.0.0.1:2379", LeaseTtl = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromMilliseconds(200) };
        var frac = new ClusterOptions { Etcd = "http://127.0.0.1:2379", LeaseTtl = TimeSpan.FromMilliseconds(3500) };

        Assert.That(short1.Validate(), Has.One.StartsWith("Cluster:LeaseTtl: 00:00:01 must be whole seconds, at least 2 s"));
        Assert.That(frac.Validate(), Has.One.StartsWith("Cluster:LeaseTtl: 00:00:03.5000000 must be whole seconds"));
    }

    [Test]
    public void Request_timeout_longer_than_a_third_of_the_ttl_prefix_and_instance_are_checked()
    {
        var o = new ClusterOptions { Etcd = "http://127.0.0.1:2379", LeaseTtl = TimeSpan.FromSeconds(2), RequestTimeout = TimeSpan.FromSeconds(1), Prefix = "ovslb", Instance = "a/b" };

        Assert.That(o.Validate(), Is.EquivalentTo(new[]
        {
            "Cluster:Prefix: 'ovslb' must be an absolute key prefix like /ovslb",
            "Cluster:Instance: 'a/b' must be a non-empty name without '/'",
            "Cluster:RequestTimeout: 00:00:01 must be positive and at most a third of Cluster:LeaseTtl (00:00:02), so a slow call cannot outlast the lease",
        }));
        Assert.Throws<ArgumentException>(() => new EtcdConnection(o));
    }
}
