using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using OvsLb.Cluster;

namespace OvsLb.Cluster.Tests;

/// <summary>An etcd nobody answers on fails each call after its deadline, with a message naming the endpoints and the deadline.</summary>
[TestFixture]
public class EtcdConnectionTests
{
    [Test]
    public async Task An_unreachable_etcd_fails_within_the_deadline_naming_the_endpoints()
    {
        // A loopback port with no listener: the port of a socket bound and closed again.
        int port;
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)s.LocalEndPoint!).Port;
        }
        string endpoints = $"http://127.0.0.1:{port},http://127.0.0.2:{port}";
        using var etcd = new EtcdConnection(new ClusterOptions
        {
            Etcd = endpoints, LeaseTtl = TimeSpan.FromSeconds(2), RequestTimeout = TimeSpan.FromMilliseconds(500), ConnectTimeout = TimeSpan.FromSeconds(1),
        });

        var sw = Stopwatch.StartNew();
        var put = Assert.ThrowsAsync<EtcdUnavailableException>(() => etcd.PutAsync("/ovslb/x", "y"));
        var putTook = sw.Elapsed;
        var grant = Assert.ThrowsAsync<EtcdUnavailableException>(() => InstanceLease.GrantAsync(etcd, NullLogger.Instance));
        var connect = Assert.ThrowsAsync<EtcdUnavailableException>(() => etcd.ConnectAsync());
        TestContext.Out.WriteLine($"{put!.Message} ({putTook.TotalMilliseconds:0} ms)");

        Assert.That(put.Message, Does.StartWith($"etcd at {endpoints} did not answer PUT /ovslb/x within 0.5 s: "));
        Assert.That(grant!.Message, Does.StartWith($"etcd at {endpoints} did not answer LEASE GRANT within 0.5 s"));
        Assert.That(connect!.Message, Does.StartWith($"etcd at {endpoints} did not answer a first read (connect) within 1 s"));
        Assert.That(putTook, Is.LessThan(TimeSpan.FromSeconds(2)), "bounded by the deadline, not the client's retries");
    }
}
