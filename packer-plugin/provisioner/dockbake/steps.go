package dockbake

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/dockbake/dockbake/generator"
)

// step is one script that runs on the build VM through execute_command.
type step struct {
	title  string // what the Packer UI says before it runs
	script string
}

// stagedFile is a Plan file and where it waits in the staging directory.
type stagedFile struct {
	generator.File
	Staged string
}

// stage names each file's place in the staging directory: numbered, so two
// files with one base name never collide.
func stage(files []generator.File, staging string) []stagedFile {
	out := make([]stagedFile, len(files))
	for i, f := range files {
		out[i] = stagedFile{File: f, Staged: path.Join(staging, fmt.Sprintf("file-%d-%s", i+1, path.Base(f.Path)))}
	}
	return out
}

// hostFiles are the files a plan puts on the host: its files, then its
// package repositories as the .repo files cloud-init's yum_repos writes.
func hostFiles(plan *generator.Plan) []generator.File {
	files := append([]generator.File{}, plan.Files...)
	for _, r := range plan.Repos {
		files = append(files, r.File())
	}
	return files
}

// steps turns a plan into scripts, in the plan's order: files and
// repositories, packages, commands. live says whether systemd runs on the
// build VM; without it only what works offline runs (systemctl enable), and
// dockerd first starts when an instance of the image boots.
func steps(plan *generator.Plan, staged []stagedFile, live bool, port int) ([]step, error) {
	var out []step
	out = append(out, filesStep(staged))
	s, ok, err := packagesStep(plan, live)
	if err != nil {
		return nil, err
	}
	if ok {
		out = append(out, s)
	}
	if s, ok := commandsStep(commands(plan, live), live); ok {
		out = append(out, s)
	}
	if live {
		out = append(out, checkStep(port))
	}
	return out, nil
}

// filesStep installs each staged file with its owner and mode; install -D
// creates missing parent directories (0755) such as docker.service.d.
func filesStep(staged []stagedFile) step {
	var b strings.Builder
	b.WriteString("set -eu\n")
	paths := make([]string, len(staged))
	for i, f := range staged {
		paths[i] = f.Path
		argv := []string{"install", "-D"}
		user, group, hasGroup := strings.Cut(f.Owner, ":")
		if user != "" {
			argv = append(argv, "-o", user)
		}
		if hasGroup && group != "" {
			argv = append(argv, "-g", group)
		}
		argv = append(argv, "-m", fmt.Sprintf("%04o", f.Mode.Perm()), f.Staged, f.Path)
		b.WriteString(generator.ShellJoin(argv) + "\n")
	}
	return step{title: "Installing " + strings.Join(paths, ", "), script: b.String()}
}

// packagesStep installs the plan's packages with the OS's package manager,
// as cloud-init's package_update and packages do. On a freshly booted cloud
// VM cloud-init may still be installing packages of its own: wait for it to
// finish, and for the package manager's lock.
func packagesStep(plan *generator.Plan, live bool) (step, bool, error) {
	if len(plan.Packages) == 0 {
		return step{}, false, nil
	}
	var b strings.Builder
	b.WriteString("set -eu\n")
	if live {
		b.WriteString("if command -v cloud-init >/dev/null 2>&1; then timeout 900 cloud-init status --wait >/dev/null 2>&1 || true; fi\n")
	}
	switch plan.OS.Family {
	case generator.FamilyApt:
		b.WriteString("export DEBIAN_FRONTEND=noninteractive\n")
		apt := []string{"apt-get", "-q", "-o", "DPkg::Lock::Timeout=600"}
		if plan.PackageUpdate {
			b.WriteString(generator.ShellJoin(append(apt, "update")) + "\n")
		}
		// Keep configuration files that are already there, as cloud-init does.
		install := append(append([]string{}, apt...), "-y", "-o", "Dpkg::Options::=--force-confold", "install")
		b.WriteString(generator.ShellJoin(append(install, plan.Packages...)) + "\n")
	case generator.FamilyDNF:
		if plan.PackageUpdate {
			b.WriteString("dnf -q makecache\n")
		}
		b.WriteString(generator.ShellJoin(append([]string{"dnf", "install", "-y"}, plan.Packages...)) + "\n")
	default:
		return step{}, false, fmt.Errorf("machine %q: %s has no package manager for %s: use install = \"none\"", plan.Machine, plan.OS.ID, strings.Join(plan.Packages, " "))
	}
	return step{title: "Installing Docker: " + strings.Join(plan.Packages, " "), script: b.String()}, true, nil
}

// commands are the plan's commands, or for a plan that only names units to
// enable (an Ignition OS, where no commands run at first boot) the
// systemctl calls that enable them and, on a running system, start them.
func commands(plan *generator.Plan, live bool) []generator.Command {
	if len(plan.EnableUnits) == 0 {
		return plan.Commands
	}
	cmds := append([]generator.Command{}, plan.Commands...)
	cmds = append(cmds, generator.Command{"systemctl", "daemon-reload"})
	for _, u := range plan.EnableUnits {
		cmds = append(cmds, generator.Command{"systemctl", "enable", u})
	}
	for _, u := range plan.EnableUnits {
		cmds = append(cmds, generator.Command{"systemctl", "restart", u})
	}
	return cmds
}

// commandsStep runs the commands, each echoed first so the UI and a
// failure show which one ran. Without a running systemd, each command is
// reduced to what works offline (see offline).
func commandsStep(cmds []generator.Command, live bool) (step, bool) {
	var b strings.Builder
	b.WriteString("set -eu\n")
	n := 0
	for _, c := range cmds {
		if !live {
			var ok bool
			if c, ok = offline(c); !ok {
				continue
			}
		}
		line := generator.ShellJoin(c)
		b.WriteString("echo " + generator.ShellQuote("$ "+line) + "\n" + line + "\n")
		n++
	}
	if n == 0 {
		return step{}, false
	}
	title := "Enabling docker.service"
	if live {
		title = "Enabling and restarting docker.service"
	}
	return step{title: title, script: b.String()}, true
}

// offline is what remains of a plan command where systemd is not running
// (a chroot or container build): systemctl enable only links unit files and
// works offline, without --now; every other call to systemctl needs the
// running manager and is left out (ok false). Other commands stay.
func offline(c generator.Command) (generator.Command, bool) {
	switch {
	case len(c) >= 2 && c[0] == "systemctl" && c[1] == "enable":
		var kept generator.Command
		for _, a := range c {
			if a != "--now" {
				kept = append(kept, a)
			}
		}
		return kept, true
	case len(c) > 0 && c[0] == "systemctl":
		return nil, false
	case len(c) > 0 && c[0] == "sh" && strings.Contains(strings.Join(c[1:], " "), "systemctl"):
		return nil, false
	}
	return c, true
}

// checkStep waits until dockerd answers on its local socket and listens on
// its TLS port; on failure it shows docker.service's status and journal.
func checkStep(port int) step {
	sock := strings.TrimPrefix(generator.HostUnixSocket, "unix://")
	script := `set -u
sock=` + generator.ShellQuote(sock) + `
port=` + strconv.Itoa(port) + `
ping() {
	if command -v docker >/dev/null 2>&1; then
		docker -H "unix://$sock" version --format 'Docker {{.Server.Version}}'
	elif command -v curl >/dev/null 2>&1; then
		curl -fsS --unix-socket "$sock" http://localhost/_ping && echo
	else
		test -S "$sock" && systemctl is-active --quiet docker.service && echo "socket present"
	fi
}
fail() {
	echo "$1" >&2
	systemctl --no-pager --full status docker.service >&2 || true
	journalctl --no-pager -u docker.service -n 40 >&2 || true
	exit 1
}
i=0
until out=$(ping 2>&1); do
	i=$((i + 1))
	[ "$i" -lt 60 ] || fail "dockerd does not answer on $sock after 60 s: $out"
	sleep 1
done
echo "dockerd answers on $sock: $out"
if command -v ss >/dev/null 2>&1; then
	i=0
	until [ -n "$(ss -Hltn "sport = :$port")" ]; do
		i=$((i + 1))
		[ "$i" -lt 30 ] || fail "dockerd does not listen on TCP port $port"
		sleep 1
	done
	echo "dockerd listens on TCP port $port (mutual TLS)"
fi
`
	return step{title: "Checking that dockerd answers on " + sock, script: script}
}
