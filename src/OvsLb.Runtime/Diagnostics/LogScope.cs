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
