using System.Net;
using System.Net.Sockets;

namespace OvsLb.Runtime.Transport;

/// <summary>A switch could not be reached, or did not speak OpenFlow 1.3 with us; the message names the target and why.</summary>
public sealed class SwitchUnreachableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Where to open an outbound OpenFlow connection, in ovs-ofctl's syntax: <c>unix:PATH</c> (a bridge's
/// management socket, <c>/var/run/openvswitch/BR.mgmt</c>, where <c>ovs-ofctl BR</c> connects),
/// <c>tcp:HOST:PORT</c> (a switch listening with <c>ovs-vsctl set-controller BR ptcp:PORT</c>), or a bare
/// bridge name (its management socket in <c>$OVS_RUNDIR</c>, default <c>/var/run/openvswitch</c>, as ovs-ofctl resolves it).
/// The controller itself only accepts; tools that read a switch (the debugging verbs) connect out.
/// </summary>
/// <param name="Text">The target as given, for messages.</param>
/// <param name="EndPoint">A <see cref="UnixDomainSocketEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
public sealed record SwitchTarget(string Text, EndPoint EndPoint)
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Syntax = "unix:PATH, tcp:HOST:PORT or a bridge name";

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming it when it is none of <see cref="Syntax"/>.</summary>
    public static SwitchTarget Parse(string text)
    {
        if (text.StartsWith("unix:", StringComparison.Ordinal) && text.Length > 5) return new(text, new UnixDomainSocketEndPoint(text[5..]));
        if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string hp = text[4..];
            int colon = hp.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(hp[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is <= 0 or > 65535)
            {
                throw new FormatException($"'{text}' is not tcp:HOST:PORT");
            }
            return new(text, new DnsEndPoint(hp[..colon].Trim('[', ']'), port));
        }
        if (text.Length > 0 && !text.Contains('/') && !text.Contains(':'))
        {
            string dir = Environment.GetEnvironmentVariable("OVS_RUNDIR") is { Length: > 0 } d ? d : "/var/run/openvswitch";
            return new(text, new UnixDomainSocketEndPoint(Path.Combine(dir, text + ".mgmt")));
        }
        throw new FormatException($"'{text}' is not {Syntax}");
    }

    /// <summary>
    /// Connects a stream socket to the target within <paramref name="timeout"/>. A missing socket file, a refused
    /// connection or the timeout throw <see cref="SwitchUnreachableException"/>: <c>cannot connect to switch TARGET: why</c>.
    /// </summary>
    public async Task<Socket> ConnectAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var socket = EndPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(EndPoint, cts.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            string why = e switch
            {
                // .NET reports connect()'s ENOENT on a Unix domain socket as "Cannot assign requested address".
                SocketException when EndPoint is UnixDomainSocketEndPoint u && !File.Exists(u.ToString()) =>
                    "No such file or directory (is ovs-vswitchd running, and is this the bridge's management socket?)",
                SocketException se => se.Message,
                _ => $"no connection within {timeout.TotalSeconds:0.#} s",
            };
            throw new SwitchUnreachableException($"cannot connect to switch {Text}: {why}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override string ToString() => Text;
}
