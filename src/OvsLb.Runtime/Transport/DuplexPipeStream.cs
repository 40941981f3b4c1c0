using System.Buffers;
using System.IO.Pipelines;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// One end of an in-memory connection: a <see cref="Stream"/> that reads one <see cref="Pipe"/> and writes
/// another, the other end doing the reverse (<see cref="CreatePair"/>). It behaves as a socket does where
/// the runtime can tell: a read returns 0 once the peer has closed and everything it wrote has been read,
/// a write fails with <see cref="IOException"/> once the peer has closed, and a writer waits (back-pressure)
/// while the peer has more than the pipe's pause threshold unread.
/// </summary>
public sealed class DuplexPipeStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Lock _gate = new();
    private bool _disposed, _reading;

    private DuplexPipeStream(PipeReader input, PipeWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>
    /// Two connected ends; each direction buffers up to 64 KiB unread before its writer waits, about what a
    /// loopback socket's buffers hold.
    /// </summary>
    public static (DuplexPipeStream A, DuplexPipeStream B) CreatePair()
    {
        var options = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new DuplexPipeStream(bToA.Reader, aToB.Writer), new DuplexPipeStream(aToB.Reader, bToA.Writer));
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_disposed) return 0;
            _reading = true;
        }
        ReadResult result;
        try
        {
            result = await _input.ReadAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            EndRead();
            throw;
        }
        lock (_gate)
        {
            _reading = false;
            if (_disposed)
            {
                // Closed while the read waited (Dispose cancelled it): this end is done reading.
                _input.AdvanceTo(result.Buffer.Start);
                _input.Complete();
                return 0;
            }
            var buffer = result.Buffer;
            int n = (int)Math.Min(destination.Length, buffer.Length);
            buffer.Slice(0, n).CopyTo(destination.Span);
            _input.AdvanceTo(buffer.GetPosition(n));
            return n; // 0 with the peer's writer complete: end of stream
        }
    }

    private void EndRead()
    {
        lock (_gate)
        {
            _reading = false;
            if (_disposed) _input.Complete();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken ct = default)
    {
        FlushResult result;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            result = await _output.WriteAsync(source, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException) // the writer was completed meanwhile: this end was closed
        {
            throw new ObjectDisposedException(nameof(DuplexPipeStream));
        }
        if (result.IsCompleted) throw new IOException("the peer closed the connection");
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    /// <summary>
    /// Writes without waiting for the peer to read (a small first message into an empty pipe, like the HELLO
    /// at accept); throws <see cref="IOException"/> once the peer has closed.
    /// </summary>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> source)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        _output.Write(source);
        var flush = _output.FlushAsync();
        if (flush.IsCompleted && flush.Result.IsCompleted) throw new IOException("the peer closed the connection");
        if (!flush.IsCompleted) _ = flush.AsTask(); // over the pause threshold: the bytes are in the pipe, the flush completes when the peer reads
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Closes this end: the peer reads what was written, then the end of the stream; its writes fail.</summary>
    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _output.Complete();
            // A pending read is cancelled and completes the input itself: completing it under a read would break that read.
            if (_reading) _input.CancelPendingRead();
            else _input.Complete();
        }
        base.Dispose(disposing);
    }
}
