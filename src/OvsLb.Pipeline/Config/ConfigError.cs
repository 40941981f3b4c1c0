using System.Text;

namespace OvsLb.Pipeline.Config;

/// <summary>One configuration error: the JSON path (e.g. <c>services[2].backends[0].ip</c>), the offending
/// value as written (empty when a key is missing), a message, and the 1-based line/column when known.</summary>
public sealed record ConfigError(string Path, string Value, string Message, int? Line, int? Column);
