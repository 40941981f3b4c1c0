using System.Text;

namespace OvsLb.Pipeline.Config;

/// <summary>One configuration error: the JSON path (e.g. <c>services[2].backends[0].ip</c>), the offending
/// value as written (empty when a key is missing), a message, and the 1-based line/column when known.</summary>
public sealed record ConfigError(string Path, string Value, string Message, int? Line, int? Column);

/// <summary>Either a valid configuration or every error found in it.</summary>
public sealed record ConfigResult
{
    private ConfigResult(LoadBalancerConfig? config, IReadOnlyList<ConfigError> errors)
    {
        Config = config;
        Errors = errors;
    }

    public LoadBalancerConfig? Config { get; }
    public IReadOnlyList<ConfigError> Errors { get; }
    public bool IsValid => Config is not null;

    public static ConfigResult Ok(LoadBalancerConfig config) => new(config, []);
    public static ConfigResult Fail(IReadOnlyList<ConfigError> errors) => new(null, errors);

    /// <summary>The configuration, or an exception listing every error.</summary>
    public LoadBalancerConfig GetOrThrow(string? file = null) =>
        Config ?? throw new FormatException(ConfigErrorFormatter.Format(Errors, file));
}

/// <summary>Prints errors as compilers do: <c>FILE:LINE:COL: path: message</c>, one a line.</summary>
public static class ConfigErrorFormatter
{
    public static string Format(ConfigError e, string? file)
    {
        var sb = new StringBuilder();
        sb.Append(string.IsNullOrEmpty(file) ? "<config>" : file);
        if (e.Line is int l)
        {
            sb.Append(':').Append(l);
            if (e.Column is int c) sb.Append(':').Append(c);
        }
        sb.Append(": ");
        if (e.Path.Length > 0) sb.Append(e.Path).Append(": ");
        sb.Append(e.Message);
        return sb.ToString();
    }

    public static string Format(IEnumerable<ConfigError> errors, string? file) =>
        string.Join('\n', errors.Select(e => Format(e, file)));
}
