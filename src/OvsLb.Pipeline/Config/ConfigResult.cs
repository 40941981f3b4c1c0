namespace OvsLb.Pipeline.Config;

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
