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
// build VM; without it each plan step runs in the form the plan gives for
// that (see generator.Step.WithoutSystemd), and dockerd first starts when
// an instance of the image boots.
func steps(plan *generator.Plan, staged []stagedFile, live bool, port int) []step {
	out := []step{filesStep(staged)}
	var install, cmds []generator.Step
	for _, s := range plan.RunSteps() {
		if !live {
			var ok bool
			if s, ok = s.WithoutSystemd(); !ok {
				continue
			}
		}
		if s.Kind == generator.StepCommand {
			cmds = append(cmds, s)
		} else {
			install = append(install, s)
		}
	}
	if len(install) > 0 {
		out = append(out, packagesStep(install, plan.Packages()))
	}
	if len(cmds) > 0 {
		out = append(out, commandsStep(cmds, live))
	}
	if live {
		out = append(out, checkStep(port))
	}
	return out
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

// packagesStep runs the plan's package steps: on a freshly booted cloud
// VM, the wait for cloud-init, then the package manager's own commands,
// each the line the script prints too.
func packagesStep(install []generator.Step, pkgs []string) step {
	var b strings.Builder
	b.WriteString("set -eu\n")
	for _, s := range install {
		b.WriteString(s.Shell() + "\n")
	}
	return step{title: "Installing Docker: " + strings.Join(pkgs, " "), script: b.String()}
}

// commandsStep runs the commands, each echoed first so the UI and a
// failure show which one ran.
func commandsStep(cmds []generator.Step, live bool) step {
	var b strings.Builder
	b.WriteString("set -eu\n")
	for _, c := range cmds {
		line := c.Shell()
		b.WriteString("echo " + generator.ShellQuote("$ "+line) + "\n" + line + "\n")
	}
	title := "Enabling docker.service"
	if live {
		title = "Enabling and restarting docker.service"
	}
	return step{title: title, script: b.String()}
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
