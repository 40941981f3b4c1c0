using System.Buffers;
using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Wire;
using OvsLb.State;

namespace OvsLb.Controller.Cli;

/// <summary>What the debugging verbs read from a switch: its identity, ports and installed state.</summary>
/// <param name="DatapathId">From FEATURES_REPLY.</param>
/// <param name="Ports">From the PORT_DESC reply, by port number (the LOCAL port carries the bridge name).</param>
/// <param name="Installed">Every flow (all tables) and group, as the reconciler reads them.</param>
public sealed record SwitchSnapshot(ulong DatapathId, IReadOnlyDictionary<uint, PortDescription> Ports, SwitchState Installed);

/// <summary>
/// Reads a switch's ports, flows and groups over OpenFlow 1.3 with this project's codec: a short-lived
/// connection to the bridge's management socket (<c>unix:/var/run/openvswitch/BR.mgmt</c>, what
/// <c>ovs-ofctl BR</c> uses) or to a passive TCP endpoint (<c>tcp:HOST:PORT</c>, for
/// <c>ovs-vsctl set-controller BR ptcp:PORT</c>). Reading the state with the same decoder and the same
/// <see cref="FlowEntry"/>/<see cref="GroupEntry"/> texts as the reconciler (<c>ReadInstalledAsync</c>)
/// makes <c>ovslb diff</c> show exactly what the controller would change, with no dependency on
/// ovs-ofctl. Such a connection is a service connection to OVS: it does not disturb the controller.
/// </summary>
public sealed class SwitchReader : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly OfpFramer _framer = new();
    private readonly TimeSpan _timeout;
    private byte[] _buf = new byte[1 << 16];
    private int _len;
    private uint _xid = 0x0b5_0000;

    private SwitchReader(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _timeout = timeout;
    }

    /// <summary>
    /// Resolves <paramref name="target"/>: <c>unix:PATH</c>, <c>tcp:HOST:PORT</c>, or a bridge name
    /// (its management socket in <c>$OVS_RUNDIR</c>, default <c>/var/run/openvswitch</c>, as ovs-ofctl does).
    /// </summary>
    public static (Socket Socket, EndPoint EndPoint) Resolve(string target)
    {
        if (target.StartsWith("unix:", StringComparison.Ordinal)) return (new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), new UnixDomainSocketEndPoint(target[5..]));
        if (target.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string hp = target[4..];
            int colon = hp.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(hp[(colon + 1)..], out int port) || port is <= 0 or > 65535) throw new UsageException($"--switch: '{target}' is not tcp:HOST:PORT");
            string host = hp[..colon].Trim('[', ']');
            return (new Socket(SocketType.Stream, ProtocolType.Tcp), new DnsEndPoint(host, port));
        }
        if (!target.Contains('/') && !target.Contains(':'))
        {
            string dir = Environment.GetEnvironmentVariable("OVS_RUNDIR") is { Length: > 0 } d ? d : "/var/run/openvswitch";
            return Resolve("unix:" + Path.Combine(dir, target + ".mgmt"));
        }
        throw new UsageException($"--switch: '{target}' is not unix:PATH, tcp:HOST:PORT or a bridge name");
    }

    /// <summary>Connects, reads FEATURES, PORT_DESC, and (when <paramref name="state"/>) flows and groups, and disconnects.</summary>
    public static async Task<SwitchSnapshot> ReadAsync(string target, bool state, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var (socket, ep) = Resolve(target);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            cts.CancelAfter(limit);
            try
            {
                await socket.ConnectAsync(ep, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                throw new IOException($"cannot connect to switch {target}: {(e is SocketException se ? se.Message : "timed out")}", e);
            }
        }
        await using var r = new SwitchReader(socket, limit);
        await r.HandshakeAsync(target, ct).ConfigureAwait(false);
        var features = await r.RequestAsync<FeaturesReply>(EmptyMessage.FeaturesRequest(), ct).ConfigureAwait(false);
        var ports = await r.RequestAsync<PortDescReply>(new EmptyMultipartRequest(MultipartType.PortDesc), ct).ConfigureAwait(false);
        var installed = SwitchState.Empty;
        if (state)
        {
            var flows = await r.RequestAsync<FlowStatsReply>(new FlowStatsRequest(), ct).ConfigureAwait(false);
            var groups = await r.RequestAsync<GroupDescReply>(new EmptyMultipartRequest(MultipartType.GroupDesc), ct).ConfigureAwait(false);
            installed = SwitchState.Create(flows.Entries.Select(FlowEntry.From), groups.Entries.Select(GroupEntry.From));
        }
        return new SwitchSnapshot(features.DatapathId, ports.Entries.ToDictionary(p => p.PortNo), installed);
    }

    private async Task HandshakeAsync(string target, CancellationToken ct)
    {
        await SendAsync(HelloMessage.Offering(++_xid), ct).ConfigureAwait(false);
        var m = await ReceiveAsync(ct).ConfigureAwait(false);
        if (m is ErrorMessage e) throw new IOException($"switch {target} refused the OpenFlow 1.3 handshake ({e.Name}): does the bridge allow it? (ovs-vsctl set bridge BR protocols=OpenFlow13)");
        if (m is not HelloMessage) throw new IOException($"switch {target} answered HELLO with {m.OvsName}");
    }

    private async Task<T> RequestAsync<T>(OfpMessage request, CancellationToken ct) where T : OfpMessage
    {
        request = request with { Xid = ++_xid };
        await SendAsync(request, ct).ConfigureAwait(false);
        var parts = new List<MultipartReply>();
        while (true)
        {
            var m = await ReceiveAsync(ct).ConfigureAwait(false);
            if (m.Xid != request.Xid) continue; // asynchronous messages (none are enabled on a service connection)
            if (m is ErrorMessage e) throw new IOException($"switch refused {request.OvsName}: {e.Name}");
            if (m is MultipartReply { More: true } part)
            {
                parts.Add(part);
                continue;
            }
            if (parts.Count > 0 && m is MultipartReply last)
            {
                parts.Add(last);
                m = MultipartReply.Combine(parts);
            }
            return m as T ?? throw new IOException($"switch answered {request.OvsName} with {m.OvsName}");
        }
    }

    private async Task SendAsync(OfpMessage m, CancellationToken ct) => await _stream.WriteAsync(OfpEncoder.ToArray(m), ct).ConfigureAwait(false);

    /// <summary>The next message, answering ECHO_REQUESTs; throws <see cref="IOException"/> on timeout or close.</summary>
    private async Task<OfpMessage> ReceiveAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        while (true)
        {
            var seq = new ReadOnlySequence<byte>(_buf, 0, _len);
            if (_framer.TryReadMessage(ref seq, out var msg))
            {
                var bytes = msg.ToArray();
                Buffer.BlockCopy(_buf, bytes.Length, _buf, 0, _len - bytes.Length);
                _len -= bytes.Length;
                OfpMessage m;
                try
                {
                    m = OfpDecoder.Decode(bytes);
                }
                catch (OfpProtocolException e)
                {
                    throw new IOException($"cannot decode a message from the switch: {e.Message}", e);
                }
                if (m is EchoMessage { IsReply: false } echo)
                {
                    await SendAsync(echo.ReplyTo(), ct).ConfigureAwait(false);
                    continue;
                }
                return m;
            }
            if (_len == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
            int n;
            try
            {
                n = await _stream.ReadAsync(_buf.AsMemory(_len), cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new IOException($"the switch did not answer within {_timeout.TotalSeconds:0.#} s");
            }
            if (n == 0) throw new IOException("the switch closed the connection");
            _len += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
