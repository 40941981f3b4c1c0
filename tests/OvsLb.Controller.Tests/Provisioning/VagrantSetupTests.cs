using System.Text.RegularExpressions;
using OvsLb.Testing;

namespace OvsLb.Controller.Tests.Provisioning;

/// <summary>
/// The Vagrantfile is one Vagrant accepts, it provisions with lab/provision.sh from the synced tree,
/// and README.md's Vagrant section shows the commands and exactly the steps and packages of that
/// script, so the documentation cannot drift from what the VM, CI and a plain machine run.
/// (No hypervisor runs here, so the VM itself is never booted.)
/// </summary>
[TestFixture, Category("Lab")]
public partial class VagrantSetupTests
{
    private const string ReadmeHeading = "## Lab in a VM (Vagrant)";

    [Test]
    public void Vagrant_validates_the_Vagrantfile_and_rejects_a_misspelled_setting()
    {
        var vagrantfile = Repo.Read("Vagrantfile");

        Assert.That(Validate(vagrantfile).Stdout, Does.Contain("Vagrantfile validated successfully."));

        var broken = Validate(vagrantfile.Replace("config.vm.hostname", "config.vm.hostnme", StringComparison.Ordinal));
        Assert.That(broken.ExitCode, Is.Not.Zero, "vagrant accepted a misspelled setting, so its approval proves nothing");
        Assert.That(broken.Stdout + broken.Stderr, Does.Contain("hostnme"));
    }

    [Test]
    public void The_Vagrantfile_provisions_with_lab_provision_sh_from_the_synced_tree()
    {
        var vagrantfile = Repo.Read("Vagrantfile");

        var synced = SyncedFolderRegex().Match(vagrantfile);
        var provision = ShellProvisionRegex().Match(vagrantfile);

        Assert.That(synced.Success, Is.True, "no synced_folder \".\" in the Vagrantfile");
        Assert.That(provision.Success, Is.True, "no shell provisioner in the Vagrantfile");
        Assert.That(provision.Groups[1].Value, Is.EqualTo(synced.Groups[1].Value + "/lab/provision.sh"));
        Assert.That(File.Exists(Repo.PathOf("lab/provision.sh")), Is.True);
    }

    [Test]
    public void The_readme_shows_vagrant_up_then_the_runner_and_names_the_box()
    {
        var section = ReadmeSection();
        var box = BoxRegex().Match(Repo.Read("Vagrantfile"));

        Assert.That(box.Success, Is.True, "no config.vm.box in the Vagrantfile");
        Assert.That(section, Does.Contain("vagrant up"));
        Assert.That(section, Does.Contain("vagrant ssh -c 'sudo /vagrant/lab/run.sh'"));
        Assert.That(section.IndexOf("vagrant up", StringComparison.Ordinal),
            Is.LessThan(section.IndexOf("vagrant ssh -c", StringComparison.Ordinal)), "vagrant up must come first");
        Assert.That(section, Does.Contain(box.Groups[1].Value));
        Assert.That(section, Does.Contain("lab/provision.sh"));
    }

    [Test]
    public void The_readme_lists_the_steps_and_packages_of_lab_provision_sh()
    {
        var section = ReadmeSection();
        // --check reports every step, done or not, without changing anything.
        var scriptSteps = Repo.Steps(Repo.Provision(["--check"]).Stdout).Select(s => s.Step).ToList();
        var readmeSteps = ReadmeStepRegex().Matches(section).Select(m => (Name: m.Groups[1].Value, Text: m.Groups[2].Value)).ToList();

        Assert.That(scriptSteps, Is.EqualTo(new[] { "packages", "dotnet", "build" }));
        Assert.That(readmeSteps.Select(s => s.Name), Is.EqualTo(scriptSteps), "README steps vs lab/provision.sh --check");

        var readmePackages = BacktickedRegex().Matches(readmeSteps[0].Text).Select(m => m.Groups[1].Value)
            .Where(w => PackageNameRegex().IsMatch(w)).ToList();
        Assert.That(readmePackages, Is.EqualTo(Repo.ProvisionPackages()), "README packages vs lab/provision.sh --list");
    }

    private static CommandResult Validate(string vagrantfile)
    {
        // A private copy and VAGRANT_HOME: validation writes .vagrant/ and box metadata.
        var dir = Directory.CreateTempSubdirectory("ovslb-vagrant-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "Vagrantfile"), vagrantfile);
            var env = new Dictionary<string, string>
            {
                ["VAGRANT_CWD"] = dir.FullName,
                ["VAGRANT_HOME"] = Path.Combine(dir.FullName, "home"),
                ["VAGRANT_CHECKPOINT_DISABLE"] = "1",
            };
            return ProcessRunner.Run("vagrant", ["validate", "--ignore-provider", "--no-color"], env, TimeSpan.FromMinutes(1));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string ReadmeSection()
    {
        var readme = Repo.Read("README.md");
        int start = readme.IndexOf(ReadmeHeading + "\n", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"README.md has no '{ReadmeHeading}' section");
        int end = readme.IndexOf("\n## ", start + ReadmeHeading.Length, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    [GeneratedRegex(@"config\.vm\.synced_folder\s+""\.""\s*,\s*""([^""]+)""")]
    private static partial Regex SyncedFolderRegex();

    [GeneratedRegex(@"config\.vm\.provision\s+""shell""\s*,\s*inline:\s*""bash\s+(\S+)""")]
    private static partial Regex ShellProvisionRegex();

    [GeneratedRegex(@"config\.vm\.box\s*=\s*""([^""]+)""")]
    private static partial Regex BoxRegex();

    /// <summary>A numbered step "1. **name**: text", its text running to the next step or blank line.</summary>
    [GeneratedRegex(@"^\d+\. \*\*([a-z-]+)\*\*:?((?:.|\n(?!\d+\. |\n))*)", RegexOptions.Multiline)]
    private static partial Regex ReadmeStepRegex();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex BacktickedRegex();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.+-]+$")]
    private static partial Regex PackageNameRegex();
}
