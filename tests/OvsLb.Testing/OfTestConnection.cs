using System.Buffers;
using System.Net.Sockets;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.Testing;

/// <summary>
/// A minimal blocking OpenFlow 1.3 connection for tests: connects to a bridge's management socket
/// (or any stream), exchanges HELLO, sends messages and reads replies with timeouts. It is test
/// plumbing, not the controller runtime.
/// </summary>
public sealed class OfTestConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly OfpFramer _framer = new();
    private byte[] _buf = new byte[1 << 16];
    private int _len;
    private uint _xid = 0x1000;

    private OfTestConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public HelloMessage? PeerHello { get; private set; }

    /// <summary>Connects to a unix socket (e.g. <c>br0.mgmt</c>) and completes the HELLO exchange.</summary>
    public static OfTestConnection ConnectUnix(string path, TimeSpan? timeout = null)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(path));
        var c = new OfTestConnection(s);
        c.Handshake(timeout ?? TimeSpan.FromSeconds(5));
        return c;
    }

    private void Handshake(TimeSpan timeout)
    {
        Send(HelloMessage.Offering(NextXid()));
        var m = Receive(timeout) ?? throw new TimeoutException("no HELLO from the switch");
        PeerHello = m as HelloMessage ?? throw new InvalidOperationException($"expected HELLO, got {m.OvsName}");
    }

    public uint NextXid() => ++_xid;

    public void Send(OfpMessage m)
    {
        var bytes = OfpEncoder.ToArray(m);
        _stream.Write(bytes);
    }

    public void SendRaw(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    /// <summary>Next message, answering ECHO_REQUESTs on the way; null on timeout.</summary>
    public OfpMessage? Receive(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var seq = new ReadOnlySequence<byte>(_buf, 0, _len);
            if (_framer.TryReadMessage(ref seq, out var msg))
            {
                var bytes = msg.ToArray();
                int used = bytes.Length;
                Buffer.BlockCopy(_buf, used, _buf, 0, _len - used);
                _len -= used;
                var m = OfpDecoder.Decode(bytes);
                if (m is EchoMessage { IsReply: false } echo)
                {
                    Send(echo.ReplyTo());
                    continue;
                }
                return m;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return null;
            _socket.ReceiveTimeout = Math.Max(1, (int)left.TotalMilliseconds);
            if (_len == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
            int n;
            try
            {
                n = _stream.Read(_buf, _len, _buf.Length - _len);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                return null;
            }
            if (n == 0) throw new EndOfStreamException("switch closed the connection");
            _len += n;
        }
    }

    /// <summary>
    /// Sends the messages then a barrier, and returns everything received before the barrier reply
    /// (errors included). Throws if the barrier reply does not come in time.
    /// </summary>
    public IReadOnlyList<OfpMessage> SendWithBarrier(IEnumerable<OfpMessage> messages, TimeSpan? timeout = null)
    {
        foreach (var m in messages) Send(m);
        uint barrierXid = NextXid();
        Send(EmptyMessage.BarrierRequest(barrierXid));
        var got = new List<OfpMessage>();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        while (true)
        {
            var m = Receive(limit) ?? throw new TimeoutException("no BARRIER_REPLY from the switch");
            if (m is EmptyMessage { Kind: OfpType.BarrierReply } && m.Xid == barrierXid) return got;
            got.Add(m);
        }
    }

    /// <summary>Sends one request and returns the first message with the same xid.</summary>
    public OfpMessage Request(OfpMessage request, TimeSpan? timeout = null)
    {
        Send(request);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        while (true)
        {
            var m = Receive(limit) ?? throw new TimeoutException($"no reply to {request.OvsName} xid={request.Xid:x}");
            if (m.Xid == request.Xid) return m;
        }
    }

    public void Dispose() => _stream.Dispose();
}
