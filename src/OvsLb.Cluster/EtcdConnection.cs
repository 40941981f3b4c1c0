using dotnet_etcd;
using dotnet_etcd.interfaces;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace OvsLb.Cluster;

/// <summary>
/// etcd could not be reached, or did not answer within the call's deadline. The message names the operation,
/// the endpoints and the deadline, so an operator can tell a wrong URL from a dead cluster.
/// </summary>
public sealed class EtcdUnavailableException(string operation, string endpoints, TimeSpan deadline, Exception inner)
    : Exception($"etcd at {endpoints} did not answer {operation} within {deadline.TotalSeconds:0.###} s: {Describe(inner)}", inner)
{
    public string Operation { get; } = operation;
    public string Endpoints { get; } = endpoints;
    public TimeSpan Deadline { get; } = deadline;

    private static string Describe(Exception e) => e is RpcException r ? $"{r.StatusCode} ({r.Status.Detail})" : e.Message;
}

/// <summary>
/// The one etcd client of an instance: plain-HTTP gRPC (h2c) to every endpoint, balanced by the client, and
/// every call bounded by <see cref="ClusterOptions.RequestTimeout"/>: an outage shows up as an
/// <see cref="EtcdUnavailableException"/> after that long, never as a call that retries for seconds.
/// Streams (watch, keepalive) use the generated gRPC stubs directly: dotnet-etcd's own keepalive loop ends
/// for good when its stream breaks, so <see cref="InstanceLease"/> runs its own.
/// </summary>
public sealed class EtcdConnection : IDisposable
{
    private readonly EtcdClient _client;

    public ClusterOptions Options { get; }

    /// <summary>The endpoints as configured (for messages).</summary>
    public string Endpoints { get; }

    public EtcdConnection(ClusterOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0 || !options.Enabled)
        {
            throw new ArgumentException(errors.Count > 0 ? string.Join("; ", errors) : "Cluster:Etcd is empty: cluster mode is off", nameof(options));
        }
        Options = options;
        Endpoints = string.Join(',', options.EndpointUris.Select(u => u.GetLeftPart(UriPartial.Authority)));
        _client = new EtcdClient(Endpoints, configureChannelOptions: o =>
        {
            o.Credentials = ChannelCredentials.Insecure;
            // After an outage the channel retries a member no later than this: a returning etcd is used
            // within the lease TTL (the default backoff grows to 2 minutes).
            o.MaxReconnectBackoff = options.RequestTimeout;
        });
    }

    /// <summary>The generated gRPC stubs, for the streaming calls.</summary>
    internal IConnection Raw => _client.GetConnection();

    internal DateTime Deadline(TimeSpan? timeout = null) => DateTime.UtcNow + (timeout ?? Options.RequestTimeout);

    /// <summary>Runs one unary call with a deadline; a transport failure or an expired deadline becomes <see cref="EtcdUnavailableException"/>.</summary>
    internal async Task<T> CallAsync<T>(string operation, Func<DateTime, CancellationToken, Task<T>> call, CancellationToken ct, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Options.RequestTimeout;
        try
        {
            return await call(Deadline(limit), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e) && !ct.IsCancellationRequested)
        {
            throw new EtcdUnavailableException(operation, Endpoints, limit, e);
        }
    }

    /// <summary>Failures that mean "etcd not reachable / not answering", as opposed to a refused request.</summary>
    internal static bool IsUnavailable(Exception e) =>
        e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal }
        or HttpRequestException or IOException or TimeoutException;

    /// <summary>
    /// The first call of the instance: a read of the key prefix with <see cref="ClusterOptions.ConnectTimeout"/>, which
    /// also opens the connections (JIT and connect took 2-3 s on a loaded machine). Returns etcd's current revision.
    /// </summary>
    public async Task<long> ConnectAsync(CancellationToken ct = default)
    {
        var r = await CallAsync("a first read (connect)", (d, c) => _client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Options.KeyPrefix + "/"), CountOnly = true }, deadline: d, cancellationToken: c),
            ct, Options.ConnectTimeout).ConfigureAwait(false);
        return r.Header.Revision;
    }

    public Task<PutResponse> PutAsync(string key, string value, CancellationToken ct = default) =>
        CallAsync($"PUT {key}", (d, c) => _client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, deadline: d, cancellationToken: c), ct);

    /// <summary>Every key under <paramref name="prefix"/> and the store revision of that read.</summary>
    public Task<RangeResponse> GetPrefixAsync(string prefix, CancellationToken ct = default) =>
        CallAsync($"GET {prefix}*", (d, c) => _client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = RangeEnd(prefix) }, deadline: d, cancellationToken: c), ct);

    public Task<TxnResponse> TxnAsync(string what, TxnRequest txn, CancellationToken ct = default) =>
        CallAsync(what, (d, c) => _client.TransactionAsync(txn, deadline: d, cancellationToken: c), ct);

    public async Task<long> LeaseGrantAsync(TimeSpan ttl, CancellationToken ct = default) =>
        (await CallAsync("LEASE GRANT", (d, c) => _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)ttl.TotalSeconds }, deadline: d, cancellationToken: c), ct).ConfigureAwait(false)).ID;

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long lease, CancellationToken ct = default) =>
        CallAsync($"LEASE REVOKE {lease:x}", (d, c) => _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: d, cancellationToken: c), ct);

    /// <summary>Seconds left on a lease; -1 once it expired or was revoked.</summary>
    public async Task<long> LeaseTimeToLiveAsync(long lease, CancellationToken ct = default) =>
        (await CallAsync($"LEASE TIMETOLIVE {lease:x}", (d, c) => _client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease }, deadline: d, cancellationToken: c), ct).ConfigureAwait(false)).TTL;

    /// <summary>
    /// One keepalive: a fresh stream, one request, one answer, closed, all within the deadline. Returns the TTL etcd
    /// granted again, or 0 or less when the lease no longer exists.
    /// </summary>
    public Task<long> KeepAliveOnceAsync(long lease, CancellationToken ct = default) =>
        CallAsync($"LEASE KEEPALIVE {lease:x}", async (d, c) =>
        {
            using var call = Raw.LeaseClient.LeaseKeepAlive(deadline: d, cancellationToken: c);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, c).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(c).ConfigureAwait(false))
            {
                throw new IOException("the keepalive stream ended without an answer");
            }
            long ttl = call.ResponseStream.Current.TTL;
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            return ttl;
        }, ct);

    /// <summary>The range end that makes a range read or watch cover every key starting with <paramref name="prefix"/>.</summary>
    public static ByteString RangeEnd(string prefix)
    {
        var end = System.Text.Encoding.UTF8.GetBytes(prefix);
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }
        return ByteString.CopyFrom(0);   // every key
    }

    public void Dispose() => _client.Dispose();
}
