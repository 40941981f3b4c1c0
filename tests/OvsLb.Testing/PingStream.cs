using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OvsLb.Testing;

/// <summary>What a finished <see cref="PingStream"/> saw.</summary>
/// <param name="Transmitted">Echo requests sent (ping's own summary).</param>
/// <param name="Received">Distinct sequence numbers answered.</param>
/// <param name="Lost">Sequence numbers never answered, except the very last one when it was still in
/// flight when the stream was stopped (it cannot count as lost).</param>
/// <param name="LongestGap">Longest time between two consecutive replies: the outage, when there was one.</param>
public sealed record PingResult(int Transmitted, int Received, IReadOnlyList<int> Lost, TimeSpan LongestGap)
{
    public override string ToString() =>
        $"{Transmitted} sent, {Received} received, {Lost.Count} lost{(Lost.Count > 0 ? $" (icmp_seq {Lost[0]}..{Lost[^1]})" : "")}, longest gap between replies {LongestGap.TotalMilliseconds:0} ms";
}

/// <summary>
/// A continuous <c>ping -D</c> from inside a network namespace, parsed line by line as it runs
/// (ping line-buffers its output). <see cref="Stop"/> ends it with SIGINT, as Ctrl-C would, and
/// reports which sequence numbers were never answered.
/// </summary>
public sealed partial class PingStream : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, double> _replies = [];   // icmp_seq -> reply time (unix seconds, ping -D)
    private readonly List<string> _other = [];
    private PingResult? _result;

    [GeneratedRegex(@"^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+) ")]
    private static partial Regex Reply();

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex Summary();

    private PingStream(Process process) => _process = process;

    /// <summary>Starts <c>ip netns exec NETNS ping -D -n -i INTERVAL DESTINATION</c> (root may use intervals below 200 ms).</summary>
    public static PingStream Start(string netns, string destination, TimeSpan interval)
    {
        var process = ProcessRunner.Start("ip", ["netns", "exec", netns, "ping", "-D", "-n", "-i", interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), destination]);
        var stream = new PingStream(process);
        process.OutputDataReceived += (_, e) => stream.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => stream.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return stream;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        var m = Reply().Match(line);
        lock (_lock)
        {
            if (m.Success) _replies.TryAdd(int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture), double.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
            else _other.Add(line);
        }
    }

    /// <summary>Distinct sequence numbers answered so far.</summary>
    public int Replies
    {
        get { lock (_lock) return _replies.Count; }
    }

    /// <summary>Polls until at least <paramref name="count"/> replies arrived.</summary>
    public bool WaitForReplies(int count, TimeSpan timeout) => ProcessRunner.WaitUntil(() => Replies >= count, timeout, TimeSpan.FromMilliseconds(10));

    /// <summary>Stops ping (SIGINT), waits for its summary and works out what was lost.</summary>
    public PingResult Stop()
    {
        if (_result is not null) return _result;
        if (!_process.HasExited) Posix.Kill(_process.Id, Posix.SigInt);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
        {
            _process.Kill();
        }
        _process.WaitForExit();   // drains the output handlers
        lock (_lock)
        {
            var summary = _other.Select(l => Summary().Match(l)).FirstOrDefault(m => m.Success)
                ?? throw new InvalidOperationException("ping printed no summary:\n" + string.Join("\n", _other));
            int transmitted = int.Parse(summary.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            var lost = Enumerable.Range(1, transmitted).Where(seq => !_replies.ContainsKey(seq)).ToList();
            if (lost.Count > 0 && lost[^1] == transmitted) lost.RemoveAt(lost.Count - 1);   // in flight at SIGINT
            double gap = _replies.Values.Zip(_replies.Values.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
            _result = new PingResult(transmitted, _replies.Count, lost, TimeSpan.FromSeconds(gap));
        }
        return _result;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
