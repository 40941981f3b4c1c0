using System.Security.Cryptography;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// <c>lab/provision.sh</c>, the Vagrant provisioner and the CI dependency installer, run for real on
/// this machine (Debian 12, root): its packages are installed according to dpkg, a second run
/// changes nothing (dpkg's status database is byte-identical), and its build step produces a
/// controller that runs. The .NET install step is only seen in its "already present" state here
/// (no internet access beyond the Debian and NuGet registries).
/// </summary>
[TestFixture, Category("Lab")]
public class ProvisionScriptTests
{
    private const string DpkgStatus = "/var/lib/dpkg/status";

    [Test]
    public void Deps_only_leaves_every_listed_package_installed_and_mininet_importable()
    {
        var run = Repo.Provision(["--deps-only"]);
        Assert.That(run.ExitCode, Is.Zero, run.Stdout + run.Stderr);
        Assert.That(Repo.Steps(run.Stdout).Select(s => s.Step), Is.EqualTo(new[] { "packages", "dotnet" }), run.Stdout);

        var packages = Repo.ProvisionPackages();
        Assert.That(packages, Is.SupersetOf(new[] { "openvswitch-switch", "mininet", "tcpdump", "tshark", "iproute2", "iputils-ping", "python3", "shellcheck" }));
        foreach (var pkg in packages)
        {
            var q = ProcessRunner.Run("dpkg-query", ["-W", "-f=${Status}", pkg]);
            Assert.That(q.Stdout, Is.EqualTo("install ok installed"), $"dpkg state of {pkg}: {q.Stdout}{q.Stderr}");
        }
        // The lab's topologies run under Debian's python3 with Debian's mininet.
        var mininet = ProcessRunner.Run("/usr/bin/python3", ["-c", "import mininet.net; print(mininet.net.VERSION)"]).EnsureSuccess();
        Assert.That(mininet.Stdout.Trim(), Does.Match(@"^\d+\.\d+"));
        var sdks = ProcessRunner.Run("dotnet", ["--list-sdks"]).EnsureSuccess();
        Assert.That(sdks.Stdout, Does.Match(@"(?m)^10\.0\.\d+ "));
    }

    [Test]
    public void A_second_deps_only_run_installs_nothing_and_check_reports_every_step_done()
    {
        Repo.Provision(["--deps-only"]).EnsureSuccess();
        var before = SHA256.HashData(File.ReadAllBytes(DpkgStatus));

        var again = Repo.Provision(["--deps-only"]).EnsureSuccess();
        var check = Repo.Provision(["--deps-only", "--check"]);

        Assert.That(SHA256.HashData(File.ReadAllBytes(DpkgStatus)), Is.EqualTo(before), "dpkg's package database changed on the second run");
        Assert.That(Repo.Steps(again.Stdout), Has.Count.EqualTo(2).And.All.Property(nameof(Repo.StepLine.State)).EqualTo("ok"), again.Stdout);
        Assert.That(check.ExitCode, Is.Zero, check.Stdout + check.Stderr);
        Assert.That(Repo.Steps(check.Stdout), Has.Count.EqualTo(2).And.All.Property(nameof(Repo.StepLine.State)).EqualTo("ok"), check.Stdout);
    }

    [Test]
    public void Full_provisioning_builds_a_working_controller_once_and_check_changes_nothing()
    {
        // A private build output (Directory.Build.props honours OVSLB_ARTIFACTS), so the tree and
        // other test runs are untouched.
        var artifacts = Directory.CreateTempSubdirectory("ovslb-provision-");
        var env = new Dictionary<string, string> { ["OVSLB_ARTIFACTS"] = artifacts.FullName };
        var dll = Path.Combine(artifacts.FullName, "bin", "OvsLb.Controller", "release", "ovslb.dll");
        try
        {
            var pending = Repo.Provision(["--check"], env);
            Assert.That(pending.ExitCode, Is.EqualTo(1), pending.Stdout + pending.Stderr);
            Assert.That(Repo.Steps(pending.Stdout).Single(s => s.Step == "build").State, Is.EqualTo("todo"), pending.Stdout);
            Assert.That(File.Exists(dll), Is.False, "--check built something");

            var first = Repo.Provision([], env);
            Assert.That(first.ExitCode, Is.Zero, first.Stdout + first.Stderr);
            Assert.That(Repo.Steps(first.Stdout).Select(s => (s.Step, s.State)),
                Is.EqualTo(new[] { ("packages", "ok"), ("dotnet", "ok"), ("build", "run") }), first.Stdout);
            Assert.That(first.Stdout, Does.Contain("sudo " + Repo.PathOf("lab/run.sh")));
            var built = File.GetLastWriteTimeUtc(dll);

            // The built controller works: it decodes an OpenFlow 1.3 HELLO.
            var hello = ProcessRunner.Run("dotnet", [dll, "ofp-print", "04 00 00 08 00 00 00 07"]).EnsureSuccess();
            Assert.That(hello.Stdout, Does.StartWith("OFPT_HELLO (OF1.3) (xid=0x7):"));

            var second = Repo.Provision([], env).EnsureSuccess();
            Assert.That(Repo.Steps(second.Stdout).Select(s => (s.Step, s.State)),
                Is.EqualTo(new[] { ("packages", "ok"), ("dotnet", "ok"), ("build", "ok") }), second.Stdout);
            Assert.That(File.GetLastWriteTimeUtc(dll), Is.EqualTo(built), "the second run rebuilt the controller");

            var check = Repo.Provision(["--check"], env);
            Assert.That(check.ExitCode, Is.Zero, check.Stdout + check.Stderr);
        }
        finally
        {
            artifacts.Delete(recursive: true);
        }
    }

    [Test]
    public void An_unknown_option_is_refused_by_name()
    {
        var r = Repo.Provision(["--deps-onyl"]);

        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("unknown option '--deps-onyl'"));
    }
}
