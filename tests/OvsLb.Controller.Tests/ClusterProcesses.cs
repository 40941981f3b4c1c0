using System.Text;
using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests;

/// <summary>What the cluster-mode process tests (<see cref="ClusterRunTests"/>, <see cref="ClusterPartitionTests"/>) share: starting an
/// <c>ovslb run</c> instance, and reading masters from the instances' logs and from OVS's own Controller rows.</summary>
internal static partial class ClusterProcesses
{
    /// <summary>Each instance's own file: host settings only (in cluster mode the load balancer's part lives in etcd).</summary>
    public const string HostConfig = """{ "Controller": { "Listen": [ "127.0.0.1:0" ], "EchoInterval": "00:00:10" } }""";

    public static OvslbRun StartInstance(EtcdCluster etcd, string name, string prefix, int leaseTtlSeconds) => OvslbRun.Start(
        ["--Logging:LogLevel:Default=Information", "--Logging:LogLevel:Microsoft=Warning", "--Status:Listen=127.0.0.1:0",
         $"--Cluster:Etcd={etcd.Endpoints}", $"--Cluster:Prefix={prefix}", $"--Cluster:LeaseTtl=00:00:0{leaseTtlSeconds}", $"--Cluster:Instance={name}"],
        config: HostConfig);

    [GeneratedRegex(@"bridge ([0-9a-f]{16}): (\S+) is master with generation (\d+)")]
    private static partial Regex MasterLine();

    /// <summary>The "is master" lines an instance logged: (dpid, generation), in order.</summary>
    public static List<(ulong Dpid, ulong Generation)> Masterships(OvslbRun run) =>
        [.. run.Lines.Select(l => MasterLine().Match(l)).Where(m => m.Success)
            .Select(m => (Convert.ToUInt64(m.Groups[1].Value, 16), ulong.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>OVS's view: for each bridge, the targets of its controller connections whose role is master.</summary>
    public static Dictionary<string, List<string>> OvsMasters(OvsSandbox ovs)
    {
        var roles = new Dictionary<string, (string Target, string Role)>();
        foreach (var block in Blocks(ovs.Vsctl("--bare", "--columns=_uuid,target,role", "list", "controller").Stdout))
        {
            if (block.Length >= 2) roles[block[0]] = (block[1], block.Length > 2 ? block[2] : "");
        }
        var masters = new Dictionary<string, List<string>>();
        foreach (var block in Blocks(ovs.Vsctl("--bare", "--columns=name,controller", "list", "bridge").Stdout))
        {
            var uuids = block.Length > 1 ? block[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            masters[block[0]] = [.. uuids.Where(u => roles.TryGetValue(u, out var r) && r.Role == "master").Select(u => roles[u].Target)];
        }
        return masters;
    }

    private static IEnumerable<string[]> Blocks(string bare) =>
        bare.Replace("\r", "").Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(b => b.Split('\n', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>A log file from <paramref name="offset"/> on (ovs-vswitchd's, while it is written).</summary>
    public static string ReadFrom(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        f.Seek(offset, SeekOrigin.Begin);
        using var r = new StreamReader(f, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
