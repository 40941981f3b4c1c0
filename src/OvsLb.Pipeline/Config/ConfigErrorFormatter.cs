using System.Text;

namespace OvsLb.Pipeline.Config;

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
