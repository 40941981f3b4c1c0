namespace OvsLb.Runtime.Transport;

/// <summary>
/// The "output moved" signal a connection's reply path waits on, and the wait itself, shared by every transport:
/// a reply to a request the peer sent waits while the output is backlogged, so the receive loop stops reading and
/// TCP pushes back on a peer that floods requests without reading the replies (OVS does the same: it stops reading
/// a connection with 100 replies unsent). If nothing at all is written for the stall timeout the connection is
/// closed with a reason naming the unsent bytes.
/// </summary>
public sealed class WriteProgress
{
    private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called by the transport's writer each time output was written (or the channel became writable).</summary>
    public void Signal() => Interlocked.Exchange(ref _moved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Waits while <paramref name="backlogged"/> holds; true when the reply may be queued, false when the connection
    /// closed meanwhile or was closed here (through <paramref name="close"/>) because nothing was written for
    /// <paramref name="stallTimeout"/>.
    /// </summary>
    public async ValueTask<bool> WaitForRoomAsync(Func<bool> backlogged, Func<long> queuedBytes, TimeSpan stallTimeout,
        Action<CloseReason> close, CancellationToken closed)
    {
        long deadline = Environment.TickCount64 + (long)stallTimeout.TotalMilliseconds;
        while (backlogged())
        {
            var moved = Volatile.Read(ref _moved).Task;
            if (!backlogged()) break;
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                close(new CloseReason($"peer stopped reading: {queuedBytes()} bytes of output unsent for {stallTimeout.TotalSeconds:0.#}s"));
                return false;
            }
            try
            {
                await moved.WaitAsync(TimeSpan.FromMilliseconds(left), closed).ConfigureAwait(false);
                deadline = Environment.TickCount64 + (long)stallTimeout.TotalMilliseconds;
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }
}
