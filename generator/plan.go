package generator

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/dockbake/dockbake/templates"
)

// Paths on the Docker host. They are Docker Machine's, so existing
// documentation and muscle memory keep working.
const (
	HostCACert     = "/etc/docker/ca.pem"
	HostServerCert = "/etc/docker/server.pem"
	HostServerKey  = "/etc/docker/server-key.pem"
	HostDropIn     = "/etc/systemd/system/docker.service.d/10-machine.conf"
	HostUnixSocket = "unix:///var/run/docker.sock"

	aptKeyring = "/etc/apt/keyrings/docker.asc"
	aptSource  = "/etc/apt/sources.list.d/docker.list"
)

// File is one file on the host.
type File struct {
	Path    string
	Mode    fs.FileMode
	Owner   string // "user:group"
	Content []byte
	Secret  bool // a private key: never logged, never shown in diffs
}

// Command is one command, as an argv; renderers quote it for their medium.
type Command []string

// Plan is everything that goes onto a Docker host, in order: files first,
// then repositories, then the steps (waits, packages, commands).
type Plan struct {
	Machine string
	URL     string
	Files   []File

	// OS is the host's operating system: renderers read how to say things
	// there (its package manager, its Butane variant), never what to do.
	OS OS
	// Repos are package repositories added before packages are installed.
	// Debian's apt sources are plain Files; dnf repositories are typed,
	// since cloud-init writes them itself (yum_repos).
	Repos []Repo
	// Steps are what the host does once files and repositories are in
	// place: the package manager's steps, with the waits a fresh cloud VM
	// needs, then the commands. Each renderer says each step in its own
	// medium (see Step).
	Steps []Step
	// EnableUnits are systemd units enabled at first boot on an OS whose
	// first-boot agent writes files before systemd starts (Ignition) and
	// runs no commands.
	EnableUnits []string
}

// Packages lists the packages the plan installs, in order.
func (p *Plan) Packages() []string {
	var pkgs []string
	for _, s := range p.Steps {
		if s.Kind == StepInstall {
			pkgs = append(pkgs, s.Packages...)
		}
	}
	return pkgs
}

// RunSteps are the steps for a renderer that runs commands on a host that
// is up (the script, the Packer provisioner): Steps, and for the units a
// first-boot agent would enable before systemd starts, the systemctl calls
// that enable them and have a running systemd load and start them.
func (p *Plan) RunSteps() []Step {
	if len(p.EnableUnits) == 0 {
		return p.Steps
	}
	steps := append([]Step{}, p.Steps...)
	steps = append(steps, withSystemd(nil, "systemctl", "daemon-reload"))
	for _, u := range p.EnableUnits {
		steps = append(steps, run("systemctl", "enable", u))
	}
	for _, u := range p.EnableUnits {
		steps = append(steps, withSystemd(nil, "systemctl", "restart", u))
	}
	return steps
}

// HostCerts are the PEM files of one host: never the CA key.
type HostCerts struct {
	CACert     []byte
	ServerCert []byte
	ServerKey  []byte
}

// BuildPlan decides what goes onto the host for spec. It validates spec
// first, so every renderer works from a checked plan.
func BuildPlan(spec Spec, certs HostCerts) (*Plan, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.OS == OSUnknown {
		return nil, fmt.Errorf("machine %q: %w", spec.Name, ErrOSUnknown)
	}
	if len(certs.CACert) == 0 || len(certs.ServerCert) == 0 || len(certs.ServerKey) == 0 {
		return nil, fmt.Errorf("machine %q: missing host certificates", spec.Name)
	}
	o, _ := LookupOS(spec.OS)
	p := &Plan{Machine: spec.Name, URL: spec.URL(), OS: o}
	p.Files = []File{
		{Path: HostCACert, Mode: 0o644, Owner: "root:root", Content: certs.CACert},
		{Path: HostServerCert, Mode: 0o644, Owner: "root:root", Content: certs.ServerCert},
		{Path: HostServerKey, Mode: 0o600, Owner: "root:root", Content: certs.ServerKey, Secret: true},
	}
	apply, err := applyFiles(spec, o)
	if err != nil {
		return nil, err
	}
	if o.Boot == BootIgnition {
		if p, err = ignitionPlan(p, spec, o); err != nil {
			return nil, err
		}
		p.Files = append(p.Files, apply...)
		return p, nil
	}
	dropIn, err := renderDropIn(spec, o)
	if err != nil {
		return nil, err
	}
	p.Files = append(p.Files, File{Path: HostDropIn, Mode: 0o644, Owner: "root:root", Content: dropIn})
	if spec.Install == InstallDockerCE {
		switch o.Family {
		case FamilyApt:
			p.Files = append(p.Files, dockerCERepo(o)...)
		case FamilyDNF:
			p.Repos = append(p.Repos, dockerCEYumRepo(o))
		}
	}
	if pkgs := packagesFor(o, spec.Install); len(pkgs) > 0 {
		install, err := installSteps(o, pkgs)
		if err != nil {
			return nil, fmt.Errorf("machine %q: %w", spec.Name, err)
		}
		p.Steps = install
	}
	p.Steps = append(p.Steps, dockerUserSteps(spec.DockerUser)...)
	// The mechanism starts before dockerd restarts with TLS, so a client
	// that reaches dockerd finds it running.
	p.Steps = append(p.Steps, startSteps(o, applySteps()...)...)
	p.Files = append(p.Files, apply...)
	return p, nil
}

// dockerCERepo is Docker's apt repository, trusted only for its own
// packages through signed-by, with the key inline: no keyserver, no gpg.
func dockerCERepo(o OS) []File {
	line := fmt.Sprintf("deb [signed-by=%s] https://download.docker.com/linux/%s %s stable\n", aptKeyring, o.Distro, o.Codename)
	return []File{
		{Path: aptKeyring, Mode: 0o644, Owner: "root:root", Content: templates.DockerReleaseKey()},
		{Path: aptSource, Mode: 0o644, Owner: "root:root", Content: []byte(line)},
	}
}

// dockerUserSteps give user access to the local socket. They run after
// packages, when the package has created the docker group; the group and the
// user are created if missing, and an existing user is only added to it.
func dockerUserSteps(user string) []Step {
	if user == "" {
		return nil
	}
	return []Step{
		run("sh", "-c", "getent group docker >/dev/null || groupadd --system docker"),
		run("sh", "-c", "id -u "+ShellQuote(user)+" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "+ShellQuote(user)),
		run("usermod", "-aG", "docker", user),
	}
}

// restartSteps make dockerd pick up the drop-in whether Docker was just
// installed or was already running from the image: systemd does not reload
// units by itself, and a daemon that failed before the certificates arrived
// may have hit its start limit. Without a running systemd (an image built
// in a chroot) only the enable remains, and dockerd first starts with the
// drop-in when an instance boots.
func restartSteps(before ...Step) []Step {
	return append(append([]Step{withSystemd(nil, "systemctl", "daemon-reload")}, before...),
		withSystemd(nil, "sh", "-c", "systemctl reset-failed docker.service || true"),
		run("systemctl", "enable", "docker.service"),
		withSystemd(nil, "systemctl", "restart", "docker.service"),
	)
}

// startSteps start dockerd with the drop-in. Debian's packages start
// docker on installation, so a restart picks up a changed drop-in; RPMs
// leave it stopped (presets), so it is started with enable --now, after a
// try-restart that only touches a daemon already running (a baked image,
// or the script run again with new certificates). Either way dockerd
// starts once. The steps before run right after the daemon-reload that
// makes systemd read new units, before dockerd (re)starts.
func startSteps(o OS, before ...Step) []Step {
	if o.Family != FamilyDNF {
		return restartSteps(before...)
	}
	return append(append([]Step{withSystemd(nil, "systemctl", "daemon-reload")}, before...),
		withSystemd(nil, "sh", "-c", "systemctl reset-failed docker.service || true"),
		withSystemd(nil, "systemctl", "try-restart", "docker.service"),
		withSystemd(Command{"systemctl", "enable", "docker.service"}, "systemctl", "enable", "--now", "docker.service"),
	)
}

// DaemonArgs is dockerd's argv as the drop-in starts it.
func DaemonArgs(spec Spec, o OS) []string {
	d := daemonFor(o, spec.Install)
	args := []string{d.path,
		"-H", HostUnixSocket,
		"-H", "tcp://0.0.0.0:" + strconv.Itoa(spec.Port),
		"--tlsverify",
		"--tlscacert=" + HostCACert,
		"--tlscert=" + HostServerCert,
		"--tlskey=" + HostServerKey,
	}
	args = append(args, liveRestoreArgs(spec.Engine)...)
	if d.containerd {
		args = append(args, "--containerd=/run/containerd/containerd.sock")
	}
	args = append(args, d.extra...)
	return append(args, engineArgs(spec.Engine)...)
}

// engineArgs are the dockerd flags of the --engine-* options.
func engineArgs(e Engine) []string {
	var args []string
	if e.StorageDriver != "" {
		args = append(args, "--storage-driver="+e.StorageDriver)
	}
	for _, l := range e.Labels {
		args = append(args, "--label="+l)
	}
	for _, r := range e.InsecureRegistries {
		args = append(args, "--insecure-registry="+r)
	}
	for _, m := range e.RegistryMirrors {
		args = append(args, "--registry-mirror="+m)
	}
	for _, o := range e.Opts {
		args = append(args, "--"+trimDashes(o))
	}
	return args
}

func trimDashes(s string) string {
	for len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	return s
}

func renderDropIn(spec Spec, o OS) ([]byte, error) {
	env := make([]string, len(spec.Engine.Env))
	for i, e := range spec.Engine.Env {
		env[i] = quoteEnvironment(e)
	}
	exec := ExecLine(DaemonArgs(spec, o))
	// The package's own $VARIABLES stay unquoted: systemd splits them into
	// words, as in the unit the drop-in replaces.
	if vars := daemonFor(o, spec.Install).envArgs; len(vars) > 0 {
		exec += " " + strings.Join(vars, " ")
	}
	return templates.RenderDropIn(templates.DropIn{
		Machine:     spec.Name,
		ExecStart:   exec,
		Environment: env,
	})
}
