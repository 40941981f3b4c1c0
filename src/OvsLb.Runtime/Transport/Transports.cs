namespace OvsLb.Runtime.Transport;

/// <summary>
/// The transports <see cref="ControllerOptions.Transport"/> can name (<c>Controller:Transport</c>), and the one
/// used when it names none. Only "pipelines" exists today; the name is the setting's value, so another
/// transport (issue 10: "dotnetty") is one more entry here.
/// </summary>
public static class Transports
{
    public const string Default = PipelinesTransport.TransportName;

    private static readonly Dictionary<string, Func<ITransport>> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        [PipelinesTransport.TransportName] = () => new PipelinesTransport(),
    };

    public static IReadOnlyCollection<string> Names => Known.Keys;

    public static bool IsKnown(string? name) => name is not null && Known.ContainsKey(name);

    /// <summary>The transport <paramref name="name"/> names; <see cref="ControllerOptions.Validate"/> has refused unknown names before.</summary>
    public static ITransport Create(string name) =>
        Known.TryGetValue(name, out var make) ? make() : throw new ArgumentException($"Controller:Transport: '{name}' is not one of {string.Join(", ", Names)}");
}
