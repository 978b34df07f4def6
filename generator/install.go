package generator

import "fmt"

// waitForCloudInit waits, for at most 15 minutes, until cloud-init has
// finished its boot work: on a freshly booted cloud VM it may still be
// installing packages of its own and holding the package manager's lock
// (hashicorp/packer#2639, rancher/rancher#16743). It does nothing where
// cloud-init is not installed or systemd does not run (a chroot), and
// nothing inside cloud-init's own units: a script given as user-data runs
// in cloud-final.service, after cloud-init's package module, and waiting
// there for cloud-init to finish would wait for itself. A failed or
// degraded cloud-init does not stop the installation.
const waitForCloudInit = "if [ -d /run/systemd/system ] && command -v cloud-init >/dev/null 2>&1 && ! grep -qs /cloud- /proc/self/cgroup; " +
	"then timeout 900 cloud-init status --wait >/dev/null 2>&1 || true; fi"

// aptLockTimeout makes apt-get wait up to 10 minutes for dpkg's lock
// instead of failing at once when another apt (cloud-init, unattended
// upgrades) holds it.
const aptLockTimeout = "DPkg::Lock::Timeout=600"

// installSteps are the steps that install pkgs on o with its package
// manager: wait for cloud-init, refresh the package index, install. They
// are said once here for every renderer that runs commands; cloud-config
// says the refresh and the install natively (see Step). Both managers exit
// 0 for packages already installed, so the steps can run again.
func installSteps(o OS, pkgs []string) ([]Step, error) {
	wait := Step{Kind: StepWait, Argv: Command{"sh", "-c", waitForCloudInit}, NeedsSystemd: true}
	switch o.Family {
	case FamilyApt:
		return append([]Step{wait}, aptSteps(pkgs)...), nil
	case FamilyDNF:
		return append([]Step{wait}, dnfSteps(pkgs)...), nil
	}
	return nil, fmt.Errorf("%s has no package manager to install %s with", o.ID, joinNames(pkgs))
}

// aptSteps run apt-get as cloud-init's package module does: quietly, with
// no prompts (DEBIAN_FRONTEND, -y), and keeping configuration files that
// are already there (--force-confold: the drop-in's directory,
// daemon.json).
func aptSteps(pkgs []string) []Step {
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	apt := Command{"apt-get", "-q", "-o", aptLockTimeout}
	install := append(append(Command{}, apt...), "-y", "-o", "Dpkg::Options::=--force-confold", "install")
	return []Step{
		{Kind: StepRefresh, Argv: append(append(Command{}, apt...), "update"), Env: env},
		{Kind: StepInstall, Argv: append(install, pkgs...), Env: env, Packages: pkgs},
	}
}

// dnfSteps run dnf with no prompts (-y). dnf 4 (RHEL 9 and its rebuilds,
// Amazon Linux 2023) waits for the rpm lock by itself (RhBug:1210289);
// dnf5 (Fedora) has no such wait (rpm-software-management/dnf5#2186), so
// waiting for cloud-init is what keeps the lock free there.
func dnfSteps(pkgs []string) []Step {
	return []Step{
		{Kind: StepRefresh, Argv: Command{"dnf", "-q", "makecache"}},
		{Kind: StepInstall, Argv: append(Command{"dnf", "install", "-y"}, pkgs...), Packages: pkgs},
	}
}
