namespace OvsLb.OpenFlow.Tests;

/// <summary>One vector from tests/golden/data/*.golden: bytes OVS produced and the text OVS printed for them.</summary>
public sealed record GoldenEntry(string File, string Name, string Command, byte[] Bytes, IReadOnlyList<string> Text, IReadOnlyDictionary<string, string> Extra)
{
    public override string ToString() => $"{File}:{Name}";
}

/// <summary>Reads the golden format described in tests/golden/README.md.</summary>
public static class GoldenFile
{
    public static string Directory => Path.Combine(TestContext.CurrentContext.TestDirectory, "golden");

    public static IEnumerable<GoldenEntry> Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "golden", file);
        var entries = new List<GoldenEntry>();
        var lines = File.ReadAllLines(path);
        var cur = new List<string>();
        foreach (var line in lines.Append(""))
        {
            if (line.Length == 0)
            {
                if (cur.Count > 0) entries.Add(Parse(file, cur));
                cur.Clear();
            }
            else
            {
                cur.Add(line);
            }
        }
        return entries;
    }

    public static IEnumerable<GoldenEntry> LoadAll() =>
        System.IO.Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "golden"), "*.golden").Order().SelectMany(f => Load(Path.GetFileName(f)));

    private static GoldenEntry Parse(string file, List<string> lines)
    {
        string name = "", cmd = "", hex = "";
        var text = new List<string>();
        var extra = new Dictionary<string, string>();
        foreach (var l in lines)
        {
            int colon = l.IndexOf(": ", StringComparison.Ordinal);
            string key = colon < 0 ? l.TrimEnd(':') : l[..colon];
            string val = colon < 0 ? "" : l[(colon + 2)..];
            switch (key)
            {
                case "name": name = val; break;
                case "cmd": cmd = val; break;
                case "hex": hex = val; break;
                case "text": text.Add(val); break;
                default: extra[key] = val; break;
            }
        }
        return new GoldenEntry(file, name, cmd, Convert.FromHexString(hex), text, extra);
    }
}
