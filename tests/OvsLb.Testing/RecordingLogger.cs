using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OvsLb.Testing;

/// <summary>Collects log lines (with their scopes) so tests can assert what the controller logged.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>The same lines with the wall-clock time they were logged (Unix seconds, as <see cref="TrafficStream.Now"/>), for timings.</summary>
    public ConcurrentQueue<(double Time, string Line)> Timeline { get; } = new();

    /// <summary>Time of the first line logged at or after <paramref name="since"/> that contains <paramref name="part"/>, or null.</summary>
    public double? FirstTime(string part, double since) =>
        Timeline.Where(l => l.Time >= since && l.Line.Contains(part, StringComparison.Ordinal)).Select(l => (double?)l.Time).FirstOrDefault();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    /// <summary>Polls until a line containing all <paramref name="parts"/> was logged; returns it or null.</summary>
    public string? WaitFor(TimeSpan timeout, params string[] parts)
    {
        string? found = null;
        ProcessRunner.WaitUntil(() => (found = Lines.FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)))) is not null, timeout);
        return found;
    }

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    private sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<string>();
            owner._scopes.ForEachScope((s, list) =>
            {
                if (s is IEnumerable<KeyValuePair<string, object>> kv) list.Add(string.Join(",", kv.Select(p => $"{p.Key}={p.Value}")));
                else if (s is not null) list.Add(s.ToString()!);
            }, scopes);
            string line = $"{logLevel} {category} [{string.Join("][", scopes)}] {formatter(state, exception)}";
            owner.Timeline.Enqueue((TrafficStream.Now(), line));
            owner.Lines.Enqueue(line);
        }
    }
}
