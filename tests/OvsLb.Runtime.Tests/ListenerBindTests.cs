using System.Net;
using System.Net.Sockets;
using OvsLb.Runtime.Session;
using OvsLb.Runtime.Transport;
using OvsLb.Testing;
using OvsLb.Transport.DotNetty;

namespace OvsLb.Runtime.Tests;

/// <summary>
/// Start-up with several listeners where a later one cannot be bound (its port is taken): the start fails with the bind
/// error, and the listeners bound before it are released, so their port refuses connections instead of accepting into a
/// backlog nobody reads.
/// </summary>
[TestFixture(PipelinesTransport.TransportName), TestFixture(DotNettyTransport.TransportName)]
public class ListenerBindTests(string transport)
{
    [Test]
    public async Task A_failed_bind_of_the_second_listener_releases_the_first()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var busy = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var recording = new RecordingTransport(transport == DotNettyTransport.TransportName ? new DotNettyTransport() : new PipelinesTransport());
        var options = new ControllerOptions { Listen = ["127.0.0.1:0", $"127.0.0.1:{busy}"] };
        await using var server = new SwitchServer(options, new StaticDesiredState(TestStates.Patch()), transport: recording);

        var e = Assert.CatchAsync(() => server.StartAsync());
        TestContext.Out.WriteLine($"StartAsync threw {e!.GetType().Name}: {e.Message}");
        Assert.That(recording.Listeners, Has.Count.EqualTo(1), "only the first endpoint was bound");
        var (first, disposed) = recording.Listeners[0];
        Assert.That(disposed.Wait(TimeSpan.FromSeconds(5)), Is.True, "the first listener was left undisposed");
        Assert.That(server.LocalEndpoints, Is.Empty);

        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = Assert.CatchAsync<SocketException>(async () => await probe.ConnectAsync(first).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused), $"{first} still accepts connections");
    }
}
