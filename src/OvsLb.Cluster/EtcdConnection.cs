using dotnet_etcd;
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
/// The etcd connection of an instance: plain-HTTP gRPC (h2c), one client per member (<see cref="EtcdMembers"/>:
/// calls go round the members, passing over one that just failed to answer), and every call bounded by
/// <see cref="ClusterOptions.RequestTimeout"/>: an outage shows up as an <see cref="EtcdUnavailableException"/>
/// after that long, never as a call that retries for seconds. Keepalives and the first read go to every member
/// at once (first answer wins). Streams (watch, keepalive) use the generated gRPC stubs directly: dotnet-etcd's
/// own keepalive loop ends for good when its stream breaks, so <see cref="InstanceLease"/> runs its own.
/// </summary>
public sealed class EtcdConnection : IDisposable
{
    private readonly EtcdMembers _members;

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
        var urls = options.EndpointUris.Select(u => u.GetLeftPart(UriPartial.Authority)).ToList();
        Endpoints = string.Join(',', urls);
        _members = new EtcdMembers(urls, options.RequestTimeout);
    }

    internal EtcdMembers Members => _members;

    internal DateTime Deadline(TimeSpan? timeout = null) => DateTime.UtcNow + (timeout ?? Options.RequestTimeout);

    /// <summary>
    /// Runs one unary call on the next trusted member, with a deadline; a transport failure or an expired deadline
    /// makes that member suspect and becomes <see cref="EtcdUnavailableException"/>.
    /// </summary>
    internal async Task<T> CallAsync<T>(string operation, Func<EtcdClient, DateTime, CancellationToken, Task<T>> call, CancellationToken ct, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Options.RequestTimeout;
        int member = _members.Pick();
        try
        {
            return await call(_members[member], Deadline(limit), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e) && !ct.IsCancellationRequested)
        {
            _members.Suspect(member);
            throw new EtcdUnavailableException(operation, Endpoints, limit, e);
        }
    }

    /// <summary>
    /// Runs a read-only or idempotent call on every trusted member at once and returns the first answer: one hung
    /// member cannot delay it. Members that fail become suspect; all failing is <see cref="EtcdUnavailableException"/>.
    /// </summary>
    internal async Task<T> HedgedAsync<T>(string operation, Func<EtcdClient, DateTime, CancellationToken, Task<T>> call, CancellationToken ct, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Options.RequestTimeout;
        var deadline = Deadline(limit);
        using var rest = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pending = _members.Trusted().ToDictionary(m => call(_members[m], deadline, rest.Token), m => m);
        Exception? last = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending.Keys).ConfigureAwait(false);
            int member = pending[done];
            pending.Remove(done);
            try
            {
                var result = await done.ConfigureAwait(false);
                await rest.CancelAsync().ConfigureAwait(false);   // the other answers are not needed
                _members.Trust(member);
                return result;
            }
            catch (Exception e) when (IsUnavailable(e) && !ct.IsCancellationRequested)
            {
                _members.Suspect(member);
                last = e;
            }
        }
        throw new EtcdUnavailableException(operation, Endpoints, limit, last ?? new TimeoutException("no member asked"));
    }

    /// <summary>Failures that mean "etcd not reachable / not answering", as opposed to a refused request.</summary>
    internal static bool IsUnavailable(Exception e) =>
        e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal }
        or HttpRequestException or IOException or TimeoutException or OperationCanceledException;

    /// <summary>
    /// The first call of the instance: a read of the key prefix on every member with <see cref="ClusterOptions.ConnectTimeout"/>,
    /// which also opens the connections (JIT and connect took 2-3 s on a loaded machine). Returns etcd's current revision.
    /// </summary>
    public async Task<long> ConnectAsync(CancellationToken ct = default)
    {
        var r = await HedgedAsync("a first read (connect)", (cl, d, c) => cl.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Options.KeyPrefix + "/"), CountOnly = true }, deadline: d, cancellationToken: c),
            ct, Options.ConnectTimeout).ConfigureAwait(false);
        return r.Header.Revision;
    }

    public Task<PutResponse> PutAsync(string key, string value, CancellationToken ct = default) =>
        CallAsync($"PUT {key}", (cl, d, c) => cl.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, deadline: d, cancellationToken: c), ct);

    /// <summary>Puts a key that lives as long as <paramref name="lease"/>.</summary>
    public Task<PutResponse> PutOnLeaseAsync(string key, string value, long lease, CancellationToken ct = default) =>
        CallAsync($"PUT {key}", (cl, d, c) => cl.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease }, deadline: d, cancellationToken: c), ct);

    /// <summary>Deletes one key (nothing happens when it is not there).</summary>
    public Task<DeleteRangeResponse> DeleteAsync(string key, CancellationToken ct = default) =>
        CallAsync($"DELETE {key}", (cl, d, c) => cl.DeleteAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: d, cancellationToken: c), ct);

    /// <summary>Every key under <paramref name="prefix"/> and the store revision of that read.</summary>
    public Task<RangeResponse> GetPrefixAsync(string prefix, CancellationToken ct = default) =>
        CallAsync($"GET {prefix}*", (cl, d, c) => cl.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = RangeEnd(prefix) }, deadline: d, cancellationToken: c), ct);

    public Task<TxnResponse> TxnAsync(string what, TxnRequest txn, CancellationToken ct = default) =>
        CallAsync(what, (cl, d, c) => cl.TransactionAsync(txn, deadline: d, cancellationToken: c), ct);

    public async Task<long> LeaseGrantAsync(TimeSpan ttl, CancellationToken ct = default) =>
        (await CallAsync("LEASE GRANT", (cl, d, c) => cl.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)ttl.TotalSeconds }, deadline: d, cancellationToken: c), ct).ConfigureAwait(false)).ID;

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long lease, CancellationToken ct = default) =>
        CallAsync($"LEASE REVOKE {lease:x}", (cl, d, c) => cl.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: d, cancellationToken: c), ct);

    /// <summary>Seconds left on a lease; -1 once it expired or was revoked.</summary>
    public async Task<long> LeaseTimeToLiveAsync(long lease, CancellationToken ct = default) =>
        (await CallAsync($"LEASE TIMETOLIVE {lease:x}", (cl, d, c) => cl.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease }, deadline: d, cancellationToken: c), ct).ConfigureAwait(false)).TTL;

    /// <summary>
    /// One keepalive: a fresh stream, one request, one answer, closed, all within the deadline. Returns the TTL etcd
    /// granted again, or 0 or less when the lease no longer exists.
    /// </summary>
    public Task<long> KeepAliveOnceAsync(long lease, CancellationToken ct = default) =>
        HedgedAsync($"LEASE KEEPALIVE {lease:x}", async (client, d, c) =>
        {
            using var call = client.GetConnection().LeaseClient.LeaseKeepAlive(deadline: d, cancellationToken: c);
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

    public void Dispose() => _members.Dispose();
}
