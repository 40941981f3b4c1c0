using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OvsLb.Testing;

/// <summary>
/// Counts the opens of one file by any process or library, as the kernel reports them (Linux inotify,
/// <c>IN_OPEN</c>): a test can prove that code reads a file once without a hook in that code, whichever API
/// opens it. The kernel queues the event before <c>open()</c> returns, so <see cref="Opens"/> is exact
/// for opens that have returned. Close events are watched too: inotify merges identical events that follow
/// each other unread, and an open, close, open sequence has none.
/// </summary>
public sealed class FileOpenCounter : IDisposable
{
    private const int InNonBlock = 0x800;
    private const uint InOpen = 0x20, InCloseWrite = 0x08, InCloseNoWrite = 0x10;
    private const int EventHeader = 16; // wd, mask, cookie, len

    private readonly int _fd;
    private int _opens;

    [DllImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static extern int InotifyInit(int flags);

    [DllImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static extern int InotifyAddWatch(int fd, string path, uint mask);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    /// <summary>Starts counting the opens of <paramref name="path"/> (which must exist).</summary>
    public FileOpenCounter(string path)
    {
        _fd = InotifyInit(InNonBlock);
        if (_fd < 0) throw new InvalidOperationException($"inotify_init1 failed: errno {Marshal.GetLastPInvokeError()}");
        if (InotifyAddWatch(_fd, path, InOpen | InCloseWrite | InCloseNoWrite) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Close(_fd);
            throw new InvalidOperationException($"inotify_add_watch({path}) failed: errno {errno}");
        }
    }

    /// <summary>Opens of the file since the counter started (or since <see cref="Reset"/>).</summary>
    public int Opens
    {
        get
        {
            var buffer = new byte[4096];
            nint n;
            while ((n = Read(_fd, buffer, buffer.Length)) > 0)
            {
                for (int at = 0; at + EventHeader <= n; at += EventHeader + (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 12)))
                {
                    if ((BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 4)) & InOpen) != 0) _opens++;
                }
            }
            return _opens;
        }
    }

    /// <summary>Counts from zero again (after the test's own writes to the file).</summary>
    public void Reset()
    {
        _ = Opens; // drains the queued events
        _opens = 0;
    }

    public void Dispose() => Close(_fd);
}
