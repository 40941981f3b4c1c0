using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using OvsLb.Pipeline;
using OvsLb.Pipeline.Config;
using OvsLb.Runtime;

namespace OvsLb.Controller.Hosting;

/// <summary>
/// The <c>Controller</c> section of a loaded configuration file, bound from the file's one parse and
/// placed at its line and column when a value is wrong; shared by <c>ovslb run</c>, <c>validate</c> and
/// the debugging verbs.
/// </summary>
public static partial class ControllerSettings
{
    /// <summary>
    /// The <c>Controller</c> section of a loaded file (defaults when absent), bound by the configuration binder as
    /// <c>ovslb run</c> binds it, from the file's one parse. A value the binder cannot convert throws
    /// <see cref="InvalidDataException"/> as <c>FILE:LINE:COL: Controller:Key: message</c>.
    /// </summary>
    public static ControllerOptions ControllerOptions(this LoadedConfigFile file)
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection(file.HostSettings).Build();
        try
        {
            return root.GetSection(Runtime.ControllerOptions.Section).Get<ControllerOptions>() ?? new ControllerOptions();
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value 'soon' at 'Controller:EchoInterval' to type 'System.TimeSpan'."
            string key = BinderKey().Match(e.Message) is { Success: true } m ? m.Groups[1].Value : Runtime.ControllerOptions.Section;
            var at = file.Document?.Locate(key);
            var value = root[key];
            string why = e.InnerException is { } inner ? $"{e.Message.TrimEnd('.')}: {inner.Message}" : e.Message;
            throw new InvalidDataException(ConfigErrorFormatter.Format(new ConfigError(key, value ?? "", why, at?.Line, at?.Column), file.Path));
        }
    }

    /// <summary>
    /// <see cref="ControllerOptions.Validate"/>'s problems, each placed at the setting's line and column in the file
    /// (<c>FILE:LINE:COL: Controller:Key: message</c>) when the file sets it.
    /// </summary>
    public static IEnumerable<string> Locate(this LoadedConfigFile file, IEnumerable<string> problems)
    {
        foreach (var p in problems)
        {
            int colon = p.IndexOf(": ", StringComparison.Ordinal);
            var at = colon > 0 ? file.Document?.Locate(p[..colon].Split('/')[0]) : null;
            yield return at is { } lc ? $"{file.Path}:{lc.Line}:{lc.Column}: {p}" : $"{file.Path}: {p}";
        }
    }

    [GeneratedRegex("at '([^']+)'")]
    private static partial Regex BinderKey();
}
