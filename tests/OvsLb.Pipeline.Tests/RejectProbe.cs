using System.Globalization;
using OvsLb.Testing;

namespace OvsLb.Pipeline.Tests;

/// <summary>
/// What a real Linux client sees when it talks to a VIP, measured inside its namespace by a small Python script:
/// a TCP connect's outcome (connected, ECONNREFUSED, timed out, EHOSTUNREACH) and how long it took, a UDP
/// send-then-receive's outcome, and bursts of raw SYNs or datagrams (to load the reject meter).
/// </summary>
internal static class RejectProbe
{
    /// <summary>An outcome ("connected", "ECONNREFUSED", "timeout", ...) and the time it took.</summary>
    public readonly record struct Result(string Outcome, double Milliseconds)
    {
        public override string ToString() => $"{Outcome} after {Milliseconds:0.0} ms";
    }

    private const string Script = """
        import socket, sys, time, errno, struct, random
        mode, vip, port, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        def name(e):
            return errno.errorcode.get(e.errno, str(e.errno)) if getattr(e, 'errno', None) else 'timeout'
        t = time.monotonic()
        if mode == 'tcp':
            s = socket.socket(); s.settimeout(arg)
            try:
                s.connect((vip, port)); out = 'connected'
            except socket.timeout: out = 'timeout'
            except OSError as e: out = name(e)
        elif mode == 'udp':
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(arg); s.connect((vip, port))
            try:
                s.send(b'hello'); s.recv(100); out = 'answered'
            except socket.timeout: out = 'timeout'
            except OSError as e: out = name(e)
        elif mode == 'syns':
            src = sys.argv[5]
            def csum(b):
                if len(b) % 2: b += b'\0'
                s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
                return ~s & 0xffff
            r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
            for i in range(int(arg)):
                sport = 20000 + i
                hdr = struct.pack('!HHIIBBHHH', sport, port, random.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
                pseudo = socket.inet_aton(src) + socket.inet_aton(vip) + struct.pack('!BBH', 0, 6, len(hdr))
                hdr = hdr[:16] + struct.pack('!H', csum(pseudo + hdr)) + hdr[18:]
                r.sendto(hdr, (vip, 0))
            out = 'sent'
        print(out, '%.3f' % ((time.monotonic() - t) * 1000))
        """;

    private static Result Run(TopologyHost host, params string[] args)
    {
        var r = host.Exec(["python3", "-c", Script, .. args]);
        var parts = r.Stdout.Trim().Split(' ');
        if (r.ExitCode != 0 || parts.Length != 2) throw new InvalidOperationException($"probe {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stdout} {r.Stderr}");
        return new Result(parts[0], double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public static Result Connect(TopologyHost host, string vip, int port, double timeoutSeconds) =>
        Run(host, "tcp", vip, port.ToString(CultureInfo.InvariantCulture), timeoutSeconds.ToString(CultureInfo.InvariantCulture));

    public static Result SendReceive(TopologyHost host, string vip, int port, double timeoutSeconds) =>
        Run(host, "udp", vip, port.ToString(CultureInfo.InvariantCulture), timeoutSeconds.ToString(CultureInfo.InvariantCulture));

    /// <summary><paramref name="count"/> SYNs from distinct source ports as fast as a raw socket sends them.</summary>
    public static Result Syns(TopologyHost host, string vip, int port, int count) =>
        Run(host, "syns", vip, port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), host.Ip);
}
