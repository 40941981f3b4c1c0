using dotnet_etcd;
using Grpc.Core;

namespace OvsLb.Cluster;

/// <summary>
/// One gRPC client per etcd member, and which to ask next. A member that did not answer in time is suspect for a
/// while and asked only when every member is: a hung member (SIGSTOP, a partition that keeps its TCP connections
/// open) answers nothing and reports no error, and a balancer that keeps picking it in turn (what one client over
/// all endpoints does) makes a third of the calls wait for their deadline, measured here as two timed-out
/// keepalives in a row, enough to lose a 3 s lease.
/// </summary>
internal sealed class EtcdMembers : IDisposable
{
    /// <summary>How long a member that failed a call is passed over.</summary>
    public static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(5);

    private readonly EtcdClient[] _clients;
    private readonly long[] _suspectUntil;
    private int _next = -1;

    public EtcdMembers(IReadOnlyList<string> urls, TimeSpan reconnectBackoff)
    {
        Urls = urls;
        _clients = [.. urls.Select(u => new EtcdClient(u, configureChannelOptions: o =>
        {
            o.Credentials = ChannelCredentials.Insecure;
            // After an outage a member is tried again no later than this: a returning etcd is used within the
            // lease TTL (the default backoff grows to 2 minutes).
            o.MaxReconnectBackoff = reconnectBackoff;
        }))];
        _suspectUntil = new long[urls.Count];
    }

    public IReadOnlyList<string> Urls { get; }

    public int Count => _clients.Length;

    public EtcdClient this[int member] => _clients[member];

    /// <summary>The next member in turn that is not suspect (any member in turn when all are).</summary>
    public int Pick()
    {
        long now = Environment.TickCount64;
        for (int i = 0; i < _clients.Length; i++)
        {
            int k = Next();
            if (now >= Volatile.Read(ref _suspectUntil[k])) return k;
        }
        return Next();
    }

    /// <summary>The members not suspect now (all of them when every one is).</summary>
    public IReadOnlyList<int> Trusted()
    {
        long now = Environment.TickCount64;
        var ok = Enumerable.Range(0, _clients.Length).Where(k => now >= Volatile.Read(ref _suspectUntil[k])).ToList();
        return ok.Count > 0 ? ok : [.. Enumerable.Range(0, _clients.Length)];
    }

    public void Suspect(int member) => Volatile.Write(ref _suspectUntil[member], Environment.TickCount64 + (long)SuspectFor.TotalMilliseconds);

    public void Trust(int member) => Volatile.Write(ref _suspectUntil[member], 0);

    private int Next() => (int)((uint)Interlocked.Increment(ref _next) % (uint)_clients.Length);

    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
    }
}
