namespace OvsLb.Pipeline.Flows;

/// <summary>
/// A stable 32-bit id for a name (FNV-1a over its characters). Cookies and hash slots carry it, so
/// they stay the same across restarts and config reorderings, unlike list positions or hash codes.
/// </summary>
public static class StableId
{
    /// <summary>The FNV-1a hash of <paramref name="name"/>; equal names always give equal ids.</summary>
    public static uint Of(string name)
    {
        uint h = 2166136261;
        foreach (char c in name)
        {
            h ^= c;
            h *= 16777619;
        }
        return h;
    }
}
