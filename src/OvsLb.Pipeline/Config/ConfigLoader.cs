using System.Globalization;
using System.Numerics;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Config;

/// <summary>
/// Loads and validates the load-balancer configuration from JSON: either a file of its own
/// (<c>{"services": [...], "bridges": [...], "options": {...}, "healthCheck": {...}}</c>) or the
/// <c>LoadBalancer</c> section of the ovslb config file next to <c>Controller</c> (other top-level
/// sections are then left to the host). Every error is collected, with its JSON path, value and position.
/// </summary>
public static class ConfigLoader
{
    public const string SectionName = "LoadBalancer";
    public const int MaxWeight = 1000;
    public const int MinBuckets = 16, MaxBuckets = 256; // OVS dp_hash select: one hash slot per bucket only for 16..256 (BackendSelectGroup)

    public static ConfigResult LoadFile(string path) => Parse(File.ReadAllBytes(path));

    public static ConfigResult Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    /// <summary>The load-balancer configuration alone; a file whose host sections matter too is a <see cref="ConfigDocument"/>.</summary>
    public static ConfigResult Parse(byte[] utf8) => ConfigDocument.Parse(utf8).BindLoadBalancer();
}
