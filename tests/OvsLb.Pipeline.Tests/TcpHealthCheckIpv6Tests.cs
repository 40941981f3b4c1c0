using System.Net;
using System.Net.Sockets;
using OvsLb.Balancer;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Tests;

/// <summary>The TCP health check over IPv6: a connect to [ip]:port from the controller host, against a real listener on
/// the loopback address ::1 (accepted) and a port nothing listens on (refused).</summary>
public sealed class TcpHealthCheckIpv6Tests
{
    [Test]
    public async Task A_tcp_check_connects_over_ipv6()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        ushort open = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        ushort closed;
        using (var probe = new TcpListener(IPAddress.IPv6Loopback, 0))
        {
            probe.Start();
            closed = (ushort)((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var loopback = Ipv6Address.Parse("::1");
        var accept = listener.AcceptTcpClientAsync();
        bool up = await TcpHealthCheck.CheckAsync(loopback, open, TimeSpan.FromSeconds(2), CancellationToken.None);
        bool refused = await TcpHealthCheck.CheckAsync(loopback, closed, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(up, Is.True, "a listener on [::1] accepts the check");
            Assert.That(accept.Wait(TimeSpan.FromSeconds(2)), Is.True, "and saw the connection");
            Assert.That(refused, Is.False, "a port nothing listens on refuses it");
        });
        accept.Result.Dispose();
    }
}
