using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Balancer;

/// <summary>A TCP health check: a connect from the controller host to the backend, within the timeout.</summary>
public static class TcpHealthCheck
{
    /// <summary>True when <paramref name="ip"/>:<paramref name="port"/> accepts a connection within <paramref name="timeout"/>.</summary>
    public static Task<bool> CheckAsync(Ipv4Address ip, ushort port, TimeSpan timeout, CancellationToken ct) =>
        CheckAsync(new IPAddress(new[] { (byte)(ip.Value >> 24), (byte)(ip.Value >> 16), (byte)(ip.Value >> 8), (byte)ip.Value }), port, timeout, ct);

    /// <summary>True when [<paramref name="ip"/>]:<paramref name="port"/> accepts a connection within <paramref name="timeout"/> (TCP over IPv6).</summary>
    public static Task<bool> CheckAsync(Ipv6Address ip, ushort port, TimeSpan timeout, CancellationToken ct)
    {
        var bytes = new byte[16];
        ip.Write(bytes);
        return CheckAsync(new IPAddress(bytes), port, timeout, ct);
    }

    private static async Task<bool> CheckAsync(IPAddress address, ushort port, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            ct.ThrowIfCancellationRequested();
            return false;
        }
    }
}
