using System.Collections;

namespace OvsLb.Runtime.Diagnostics;

/// <summary>
/// A logging scope that is both structured (key/value pairs for JSON and OpenTelemetry loggers) and
/// readable in the console (<c>DatapathId=00000000000000a1</c>).
/// </summary>
public sealed class LogScope(string key, object value) : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly KeyValuePair<string, object> _pair = new(key, value);

    public KeyValuePair<string, object> this[int index] => index == 0 ? _pair : throw new ArgumentOutOfRangeException(nameof(index));
    public int Count => 1;
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() { yield return _pair; }
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    public override string ToString() => $"{_pair.Key}={_pair.Value}";
}

/// <summary>
/// A logger that wraps every entry in a scope computed at log time (the switch's datapath id once it is
/// known), so lines from any task of a session carry it without per-message scope costs.
/// </summary>
internal sealed class ScopedLogger(Microsoft.Extensions.Logging.ILogger inner, Func<LogScope?> scope) : Microsoft.Extensions.Logging.ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel)) return;
        var s = scope();
        if (s is null)
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }
        using (inner.BeginScope(s)) inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
