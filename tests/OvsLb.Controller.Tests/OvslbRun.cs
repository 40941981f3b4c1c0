using System.Text.Json.Nodes;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>
/// <c>ovslb run</c> as a child process (the built <c>ovslb.dll</c> next to the tests), optionally inside a
/// network namespace; its OpenFlow port and status URL are read from its log, so it can listen on port 0.
/// Disposing kills it.
/// </summary>
public sealed class OvslbRun : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private OvslbRun(ChildProcess p) => Process = p;

    public ChildProcess Process { get; }

    public static OvslbRun Start(IEnumerable<string> args, string? netns = null)
    {
        string[] argv = ["run", .. args];
        var p = netns is null
            ? ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "ovslb.dll"), .. argv])
            : ChildProcess.Start("ip", ["netns", "exec", netns, "dotnet", Path.Combine(AppContext.BaseDirectory, "ovslb.dll"), .. argv]);
        return new OvslbRun(p);
    }

    /// <summary>The port of the first OpenFlow listener, from "Listening for OpenFlow 1.3 switches on ADDRESS:PORT".</summary>
    public int OpenFlowPort(TimeSpan? timeout = null) =>
        int.Parse(Process.WaitForLine(@"Listening for OpenFlow 1\.3 switches on \S+:(\d+)", timeout ?? TimeSpan.FromSeconds(20)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The status endpoint, from "Status endpoint on http://ADDRESS:PORT".</summary>
    public Uri StatusUrl(TimeSpan? timeout = null) =>
        new(Process.WaitForLine(@"Status endpoint on (http://\S+)", timeout ?? TimeSpan.FromSeconds(20)).Groups[1].Value);

    public Uri Url(string path) => new(StatusUrl(), path);

    public JsonNode Status() => JsonNode.Parse(Get("/status"))!;

    public string Get(string path)
    {
        using var r = Http.GetAsync(Url(path)).GetAwaiter().GetResult();
        r.EnsureSuccessStatusCode();
        return r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
    }

    public HttpResponseMessage Send(HttpMethod method, string path) =>
        Http.Send(new HttpRequestMessage(method, Url(path)));

    public void Dispose() => Process.Dispose();
}
