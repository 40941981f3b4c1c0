namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>A program a source file runs: its name or absolute path, and where (path relative to the repository, 1-based line).</summary>
internal sealed record CommandUse(string Command, string File, int Line)
{
    public string Where => $"{File}:{Line}";
}
