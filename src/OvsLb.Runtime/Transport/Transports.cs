using System.Collections.Concurrent;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// The transports <see cref="ControllerOptions.Transport"/> can name (<c>Controller:Transport</c>), and the one
/// used when it names none. The runtime knows only "pipelines"; a host adds the others it carries with
/// <see cref="Register"/> before it reads settings (<c>ovslb</c> registers "dotnetty": the runtime cannot reference that
/// project, which references the runtime). A name nobody registered is refused by <see cref="ControllerOptions.Validate"/>.
/// </summary>
public static class Transports
{
    public const string Default = PipelinesTransport.TransportName;

    private static readonly ConcurrentDictionary<string, Func<ITransport>> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        [PipelinesTransport.TransportName] = () => new PipelinesTransport(),
    };

    /// <summary>The known names, sorted (the order error messages list them in).</summary>
    public static IReadOnlyCollection<string> Names => [.. Known.Keys.Order(StringComparer.Ordinal)];

    public static bool IsKnown(string? name) => name is not null && Known.ContainsKey(name);

    /// <summary>
    /// Makes <paramref name="name"/> selectable, each <see cref="Create"/> calling <paramref name="make"/>. Registering the same
    /// name again replaces the factory (a host may register at every start).
    /// </summary>
    public static void Register(string name, Func<ITransport> make)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(make);
        Known[name] = make;
    }

    /// <summary>The transport <paramref name="name"/> names; <see cref="ControllerOptions.Validate"/> has refused unknown names before.</summary>
    public static ITransport Create(string name) =>
        Known.TryGetValue(name, out var make) ? make() : throw new ArgumentException($"Controller:Transport: '{name}' is not one of {string.Join(", ", Names)}");
}
