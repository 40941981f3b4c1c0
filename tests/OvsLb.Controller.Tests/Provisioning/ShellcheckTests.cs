using OvsLb.Testing;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// The project's shell scripts (the Vagrant provisioner lab/provision.sh, the lab runner, the test and
/// CI entry points) pass shellcheck with its default rules: scripts that run as root on a
/// newcomer's machine get no unquoted expansions or ignored failures.
/// </summary>
[TestFixture, Category("Lab")]
public class ShellcheckTests
{
    [Test]
    public void Every_shell_script_passes_shellcheck_without_findings()
    {
        var scripts = Repo.ShellScripts();
        Assert.That(scripts, Is.SupersetOf(new[] { "lab/provision.sh", "tests/install-deps.sh", "tests/run.sh", ".ci/run" }),
            "the scripts found: " + string.Join(", ", scripts));

        var r = ProcessRunner.Run("shellcheck", ["--format=gcc", .. scripts.Select(Repo.PathOf)], timeout: TimeSpan.FromMinutes(2));

        Assert.That(r.Stdout + r.Stderr, Is.Empty, $"shellcheck findings in {string.Join(", ", scripts)}");
        Assert.That(r.ExitCode, Is.Zero);
    }

    [Test]
    public void Shellcheck_reports_an_unquoted_expansion_so_a_clean_run_means_something()
    {
        var dir = Directory.CreateTempSubdirectory("ovslb-shellcheck-");
        try
        {
            var bad = Path.Combine(dir.FullName, "bad.sh");
            File.WriteAllText(bad, "#!/usr/bin/env bash\nset -euo pipefail\ndir=$1\nrm -rf $dir/cache\n");

            var r = ProcessRunner.Run("shellcheck", ["--format=gcc", bad]);

            Assert.That(r.ExitCode, Is.Not.Zero);
            Assert.That(r.Stdout, Does.Contain("bad.sh:4:").And.Contain("SC2086"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
