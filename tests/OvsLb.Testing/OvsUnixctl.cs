using System.Net.Sockets;
using System.Text.Json;

namespace OvsLb.Testing;

/// <summary>
/// A persistent connection to a daemon's unixctl socket (the one <c>ovs-appctl -t</c> talks to),
/// speaking its JSON-RPC 1.0 protocol directly (OVS lib/unixctl.c: request
/// <c>{"method":cmd,"params":[args],"id":n}</c>, reply <c>{"result":text,"error":null,"id":n}</c>,
/// objects back to back without a delimiter).
/// <para>
/// <b>Why it exists.</b> Measurements such as the disruption test ask <c>ofproto/trace</c> thousands
/// of questions; one <c>ovs-appctl</c> process per question costs ~10 ms of process start, this
/// costs one round trip in ovs-vswitchd. Requests are pipelined (a bounded window outstanding), the
/// daemon answers them in order (it handles one request per connection at a time).
/// </para>
/// </summary>
public sealed class OvsUnixctl : IDisposable
{
    /// <summary>Requests kept outstanding by default: well below the 50 queued replies at which OVS's jsonrpc logs a backlog warning.</summary>
    public const int DefaultWindow = 16;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly MemoryStream _pending = new();
    private int _nextId;

    private OvsUnixctl(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>Connects to a unixctl socket, e.g. <see cref="OvsSandbox.VswitchdCtl"/>.</summary>
    public static OvsUnixctl Connect(string socketPath)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(socketPath));
            return new OvsUnixctl(s);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Runs one command and returns its text; throws <see cref="InvalidOperationException"/> naming the command when OVS answers with an error.</summary>
    public string Call(string method, params string[] args) => CallMany(method, [args])[0];

    /// <summary>
    /// Runs <paramref name="method"/> once per argument list, pipelined, and returns the answers in
    /// order. Throws <see cref="InvalidOperationException"/> naming the first request OVS refused.
    /// <paramref name="window"/> bounds the requests outstanding; 1 lets the daemon run its main loop
    /// between requests (e.g. netdev-dummy/receive: a dummy port queues at most 100 packets and drops the rest).
    /// </summary>
    public IReadOnlyList<string> CallMany(string method, IReadOnlyList<string[]> argLists, int window = DefaultWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var results = new string[argLists.Count];
        int sent = 0, received = 0;
        int firstId = _nextId;
        while (received < argLists.Count)
        {
            while (sent < argLists.Count && sent - received < window)
            {
                Send(method, argLists[sent], _nextId++);
                sent++;
            }
            var reply = ReadObject();
            using var doc = JsonDocument.Parse(reply);
            var root = doc.RootElement;
            int id = root.GetProperty("id").GetInt32();
            int index = id - firstId;
            if (index < 0 || index >= results.Length || results[index] is not null)
            {
                throw new InvalidOperationException($"unixctl: reply with unexpected id {id} (expected {firstId}..{firstId + results.Length - 1})");
            }
            if (root.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null)
            {
                throw new InvalidOperationException($"ovs-appctl {method} {string.Join(' ', argLists[index])}: {err}");
            }
            results[index] = root.GetProperty("result").GetString() ?? "";
            received++;
        }
        return results;
    }

    private void Send(string method, string[] args, int id)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Request(method, args, id), UnixctlJson.Default.Request);
        _stream.Write(json);
    }

    /// <summary>Reads until one complete top-level JSON object is buffered and returns it (strings and escapes respected).</summary>
    private byte[] ReadObject()
    {
        while (true)
        {
            if (TryTakeObject() is { } obj) return obj;
            int n = _stream.Read(_buffer);
            if (n == 0) throw new IOException("unixctl: the daemon closed the connection");
            _pending.Write(_buffer, 0, n);
        }
    }

    private byte[]? TryTakeObject()
    {
        var data = _pending.GetBuffer();
        int len = (int)_pending.Length, depth = 0, start = -1;
        bool inString = false, escaped = false;
        for (int i = 0; i < len; i++)
        {
            byte c = data[i];
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c == '{')
            {
                if (depth++ == 0) start = i;
            }
            else if (c == '}' && --depth == 0)
            {
                var obj = data.AsSpan(start, i + 1 - start).ToArray();
                var rest = data.AsSpan(i + 1, len - i - 1).ToArray();
                _pending.SetLength(0);
                _pending.Write(rest);
                return obj;
            }
        }
        return null;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }

    internal sealed record Request(
        [property: System.Text.Json.Serialization.JsonPropertyName("method")] string Method,
        [property: System.Text.Json.Serialization.JsonPropertyName("params")] string[] Params,
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] int Id);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(OvsUnixctl.Request))]
internal sealed partial class UnixctlJson : System.Text.Json.Serialization.JsonSerializerContext;
