namespace OvsLb.Controller.Cli;

/// <summary>
/// Walks a verb's arguments one at a time, reading <c>--name value</c> and <c>--name=value</c> alike: <see cref="Name"/> is
/// the option without its inline value, <see cref="Value"/> takes the inline value or the next argument.
/// </summary>
internal sealed class ArgCursor(IReadOnlyList<string> args)
{
    private int _at = -1;

    /// <summary>The current argument as given.</summary>
    public string Raw => args[_at];

    /// <summary>The current argument without an inline <c>=value</c>.</summary>
    public string Name { get; private set; } = "";

    /// <summary>The inline value of <c>--name=value</c>, or null.</summary>
    public string? Inline { get; private set; }

    /// <summary>Moves to the next argument; false at the end.</summary>
    public bool Next()
    {
        if (++_at >= args.Count) return false;
        string a = args[_at];
        Inline = null;
        if (a.StartsWith("--", StringComparison.Ordinal) && a.IndexOf('=', StringComparison.Ordinal) is int eq and > 2)
        {
            Inline = a[(eq + 1)..];
            a = a[..eq];
        }
        Name = a;
        return true;
    }

    /// <summary>The current option's value: inline, or the next argument (consumed); a usage error when there is none.</summary>
    public string Value() => Inline ?? (_at + 1 < args.Count ? args[++_at] : throw new UsageException($"{Name} needs a value"));
}
