using System.Collections.Concurrent;
using System.Net;
using OvsLb.Runtime.Transport;

namespace OvsLb.Runtime.Tests;

/// <summary>A transport that hands out what another one accepts, and keeps the connections and listeners for the test to inspect.</summary>
internal sealed class RecordingTransport(ITransport inner) : ITransport
{
    private readonly ConcurrentQueue<IOpenFlowConnection> _connections = new();
    private readonly ConcurrentQueue<(EndPoint Endpoint, Task Disposed)> _listeners = new();

    public IReadOnlyList<IOpenFlowConnection> Connections => _connections.ToArray();

    /// <summary>Each listener bound, with a task that completes once it was disposed.</summary>
    public IReadOnlyList<(EndPoint Endpoint, Task Disposed)> Listeners => _listeners.ToArray();

    public string Name => inner.Name;

    public ITransportListener Bind(string endpoint, ControllerOptions options)
    {
        var listener = new Listener(inner.Bind(endpoint, options), _connections);
        _listeners.Enqueue((listener.LocalEndpoint, listener.Disposed.Task));
        return listener;
    }

    public Task WarmUpAsync(CancellationToken ct) => inner.WarmUpAsync(ct);

    private sealed class Listener(ITransportListener inner, ConcurrentQueue<IOpenFlowConnection> connections) : ITransportListener
    {
        public EndPoint LocalEndpoint => inner.LocalEndpoint;

        public string? TlsCaCertificate => inner.TlsCaCertificate;

        public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct)
        {
            var accepted = await inner.AcceptAsync(ct).ConfigureAwait(false);
            connections.Enqueue(accepted.Connection);
            return accepted;
        }

        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            Disposed.TrySetResult();
        }
    }
}
