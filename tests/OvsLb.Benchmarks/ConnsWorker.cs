using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OvsLb.Benchmarks;

/// <summary>
/// The worker processes of <see cref="ConnsBenchmark"/> (<c>conns-worker server|client ...</c>), started inside a
/// backend or the client namespace with <c>ip netns exec</c> and driven by lines on stdin; answers go to stdout.
/// A worker exits on <c>quit</c> or when stdin closes (its parent died), closing its sockets with RST.
/// <list type="bullet">
/// <item><c>server NAME PORT</c>: listens on 0.0.0.0:PORT with SO_REUSEPORT (several processes per backend share
/// the port), prints <c>listening</c>; each accepted connection reads one line and answers <c>NAME LINE</c>, then is
/// held open without any pending operation. <c>count K</c> prints <c>accepted K N</c>.</item>
/// <item><c>client SRC FIRSTPORT COUNT VIP PORT WINDOW TIMEOUT</c>: creates COUNT sockets bound to SRC:FIRSTPORT+i,
/// prints <c>ready</c>. <c>open</c> connects them all (WINDOW in flight, TIMEOUT seconds each) and prints
/// <c>opened OK FAILED MS P50 P99 MAX [first error]</c>; <c>verify</c> sends <c>Q{i}</c> on each and checks the reply,
/// printing <c>verified OK FAILED b1=N,b2=N,... [first error]</c>.</item>
/// </list>
/// </summary>
public static class ConnsWorker
{
    public static async Task<int> MainAsync(string[] args)
    {
        ProcessFacts.EnsureFileLimit(1024);   // soft to hard
        return args.FirstOrDefault() switch
        {
            "server" => await ServerAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture)),
            "client" => await ClientAsync(args[1..]),
            _ => throw new ArgumentException("conns-worker server|client ..."),
        };
    }

    private static readonly ConcurrentBag<Socket> Held = [];

    private static void Quit()
    {
        foreach (var s in Held) Abort(s);
        Console.Out.Flush();
        Environment.Exit(0);
    }

    private static void Abort(Socket? s)
    {
        if (s is null) return;
        try
        {
            s.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        s.Dispose();
    }

    private static async Task<int> ServerAsync(string name, int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));   // SOL_SOCKET, SO_REUSEPORT
        listener.Bind(new IPEndPoint(IPAddress.Any, port));
        listener.Listen(65535);
        int accepted = 0;
        var prefix = Encoding.ASCII.GetBytes(name + " ");
        async Task Serve(Socket s)
        {
            var buf = new byte[64];
            try
            {
                int got = 0;
                while (got == 0 || buf[got - 1] != (byte)'\n')
                {
                    int r = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None);
                    if (r == 0 || got + r == buf.Length) return;
                    got += r;
                }
                var answer = new byte[prefix.Length + got];
                prefix.CopyTo(answer, 0);
                Array.Copy(buf, 0, answer, prefix.Length, got);
                await s.SendAsync(answer, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
        async Task AcceptLoop()
        {
            while (true)
            {
                Socket s;
                try
                {
                    s = await listener.AcceptAsync();
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    await Console.Error.WriteLineAsync($"accept: {e.Message}");
                    await Task.Delay(100);
                    continue;
                }
                Interlocked.Increment(ref accepted);
                s.NoDelay = true;
                Held.Add(s);
                _ = Serve(s);
            }
        }
        for (int i = 0; i < 4; i++) _ = Task.Run(AcceptLoop);
        Console.WriteLine("listening");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("count ", StringComparison.Ordinal)) Console.WriteLine($"accepted {line[6..]} {Volatile.Read(ref accepted)}");
            else if (line == "quit") break;
        }
        Quit();
        return 0;
    }

    private static async Task<int> ClientAsync(string[] a)
    {
        var src = IPAddress.Parse(a[0]);
        int firstPort = int.Parse(a[1], CultureInfo.InvariantCulture), count = int.Parse(a[2], CultureInfo.InvariantCulture);
        var vip = new IPEndPoint(IPAddress.Parse(a[3]), int.Parse(a[4], CultureInfo.InvariantCulture));
        int window = int.Parse(a[5], CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(int.Parse(a[6], CultureInfo.InvariantCulture));
        var socks = new Socket?[count];
        for (int i = 0; i < count; i++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socks[i] = s;
            Held.Add(s);
            s.Bind(new IPEndPoint(src, firstPort + i));
        }
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "open") Console.WriteLine(await OpenAsync(socks, vip, window, timeout));
            else if (line == "verify") Console.WriteLine(await VerifyAsync(socks, firstPort, window, timeout));
            else if (line == "quit") break;
        }
        Quit();
        return 0;
    }

    private static async Task<string> OpenAsync(Socket?[] socks, IPEndPoint vip, int window, TimeSpan timeout)
    {
        int n = socks.Length, ok = 0, failed = 0;
        string first = "";
        var ms = new double[n];
        var t = Stopwatch.StartNew();
        await ForAllAsync(n, window, async i =>
        {
            long t0 = Stopwatch.GetTimestamp();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await socks[i]!.ConnectAsync(vip, cts.Token);
                ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                Interlocked.Increment(ref ok);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                if (Interlocked.Increment(ref failed) == 1) first = $"{socks[i]!.LocalEndPoint}: {e.GetType().Name} {e.Message}";
                ms[i] = -1;
                Abort(socks[i]);
                socks[i] = null;
            }
        });
        var lat = ms.Where(x => x >= 0).Order().ToArray();
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        return lat.Length == 0 ? $"opened 0 {failed} {t.ElapsedMilliseconds} 0 0 0 {first}"
            : $"opened {ok} {failed} {t.ElapsedMilliseconds} {F(lat[lat.Length / 2])} {F(lat[Math.Min(lat.Length - 1, (int)(lat.Length * 0.99))])} {F(lat[^1])} {first}";
    }

    private static async Task<string> VerifyAsync(Socket?[] socks, int firstPort, int window, TimeSpan timeout)
    {
        int ok = 0, failed = 0;
        string first = "";
        var perBackend = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var buffers = new ConcurrentBag<byte[]>();
        await ForAllAsync(socks.Length, window, async i =>
        {
            var s = socks[i];
            if (s is null) return;
            var buf = buffers.TryTake(out var b) ? b : new byte[64];
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                string q = $"Q{firstPort + i}";
                int len = Encoding.ASCII.GetBytes(q + "\n", buf);
                await s.SendAsync(buf.AsMemory(0, len), SocketFlags.None, cts.Token);
                int got = 0;
                while (got == 0 || buf[got - 1] != (byte)'\n')
                {
                    int r = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None, cts.Token);
                    if (r == 0) throw new SocketException((int)SocketError.ConnectionReset);
                    got += r;
                    if (got == buf.Length) throw new InvalidDataException("reply too long");
                }
                var reply = Encoding.ASCII.GetString(buf, 0, got - 1).Split(' ');
                if (reply.Length != 2 || reply[1] != q) throw new InvalidDataException($"unexpected reply '{string.Join(' ', reply)}'");
                perBackend.AddOrUpdate(reply[0], 1, (_, c) => c + 1);
                Interlocked.Increment(ref ok);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or InvalidDataException)
            {
                if (Interlocked.Increment(ref failed) == 1) first = $"{s.LocalEndPoint}: {e.GetType().Name} {e.Message}";
            }
            finally
            {
                buffers.Add(buf);
            }
        });
        return $"verified {ok} {failed} {string.Join(",", perBackend.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))} {first}";
    }

    /// <summary>Runs <paramref name="op"/> for 0..n-1 with <paramref name="window"/> in flight.</summary>
    private static Task ForAllAsync(int n, int window, Func<int, Task> op)
    {
        int next = -1;
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n) await op(i);
        }
        return Task.WhenAll(Enumerable.Range(0, Math.Min(window, n)).Select(_ => Task.Run(Worker)));
    }
}
