namespace OvsLb.State;

/// <summary>Which flows and groups belong to this controller (cookie signature, group id range).</summary>
public sealed record Ownership(CookieLayout Cookies, uint GroupIdFirst, uint GroupIdLast, bool ManageForeignFlows)
{
    public bool OwnsFlow(FlowEntry f) => Cookies.Owns(f.Cookie) || (ManageForeignFlows && !Cookies.IsLearned(f.Cookie));
    public bool OwnsGroup(uint id) => id >= GroupIdFirst && id <= GroupIdLast;
}
