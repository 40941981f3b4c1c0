using System.Text;
using System.Text.Json;

namespace OvsLb.Pipeline.Config;

/// <summary>
/// A JSON tree that remembers where each token started, so that validation errors can name a line and
/// column (System.Text.Json's JsonDocument does not expose positions). Built with Utf8JsonReader; comments
/// and trailing commas are allowed, as in appsettings.json.
/// </summary>
internal abstract class JNode(int offset)
{
    public int Offset { get; } = offset;
    /// <summary>The value as it appears in errors: the string's text, the number as written, or a kind.</summary>
    public abstract string Display { get; }
    public abstract string KindName { get; }
}

internal sealed class JObject(int offset) : JNode(offset)
{
    public List<(string Name, int NameOffset, JNode Value)> Properties { get; } = [];
    public override string Display => "{...}";
    public override string KindName => "an object";
}

internal sealed class JArray(int offset) : JNode(offset)
{
    public List<JNode> Items { get; } = [];
    public override string Display => "[...]";
    public override string KindName => "an array";
}

internal sealed class JValue(int offset, JsonTokenType type, string text) : JNode(offset)
{
    public JsonTokenType Type { get; } = type;
    /// <summary>The unescaped string, or the raw text of a number/true/false/null.</summary>
    public string Text { get; } = text;
    public override string Display => Text;
    public override string KindName => Type switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.Null => "null",
        _ => "a boolean",
    };
}

/// <summary>Maps byte offsets of a UTF-8 document to 1-based line and column (in characters).</summary>
internal sealed class LineMap
{
    private readonly byte[] _utf8;
    private readonly List<int> _lineStarts = [0];

    public LineMap(byte[] utf8)
    {
        _utf8 = utf8;
        for (int i = 0; i < utf8.Length; i++) if (utf8[i] == (byte)'\n') _lineStarts.Add(i + 1);
    }

    public (int Line, int Column) Locate(int offset)
    {
        int idx = _lineStarts.BinarySearch(offset);
        if (idx < 0) idx = ~idx - 1;
        int start = _lineStarts[idx];
        return (idx + 1, Encoding.UTF8.GetCharCount(_utf8, start, offset - start) + 1);
    }
}

internal static class JsonTree
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 64,
    };

    /// <summary>Parses the document; a syntax error becomes a <see cref="ConfigError"/> with JSON's own position.</summary>
    public static JNode? Parse(byte[] utf8, out ConfigError? error)
    {
        error = null;
        var reader = new Utf8JsonReader(utf8, Options);
        try
        {
            if (!reader.Read())
            {
                error = new ConfigError("", "", "the file is empty", 1, 1);
                return null;
            }
            return ReadNode(ref reader);
        }
        catch (JsonException ex)
        {
            string msg = ex.Message;
            int cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) msg = msg[..cut];
            error = new ConfigError("", "", "invalid JSON: " + msg.TrimEnd(' ', '.'),
                (int?)(ex.LineNumber + 1), (int?)(ex.BytePositionInLine + 1));
            return null;
        }
    }

    private static JNode ReadNode(ref Utf8JsonReader r)
    {
        int offset = checked((int)r.TokenStartIndex);
        switch (r.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var o = new JObject(offset);
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    int nameOffset = checked((int)r.TokenStartIndex);
                    string name = r.GetString()!;
                    r.Read();
                    o.Properties.Add((name, nameOffset, ReadNode(ref r)));
                }
                return o;
            }
            case JsonTokenType.StartArray:
            {
                var a = new JArray(offset);
                while (r.Read() && r.TokenType != JsonTokenType.EndArray) a.Items.Add(ReadNode(ref r));
                return a;
            }
            case JsonTokenType.String:
                return new JValue(offset, r.TokenType, r.GetString()!);
            default:
                return new JValue(offset, r.TokenType, Encoding.UTF8.GetString(r.ValueSpan));
        }
    }
}
