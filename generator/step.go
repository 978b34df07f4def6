package generator

import "strings"

// Step is one thing the host does once its files and package repositories
// are in place, in the plan's order: wait for the first-boot agent,
// refresh the package index, install packages, run a command.
//
// A step carries every form a renderer needs, so none has to work out what
// a step means:
//
//   - The script and the Packer provisioner run commands on a host that is
//     up: they print every step as the same line of sh (Shell), its Argv
//     with its Env. The provisioner also asks each step whether it needs a
//     running systemd (NeedsSystemd, Offline).
//   - cloud-config says in cloud-init's own modules what they do better: a
//     StepRefresh is package_update, a StepInstall is packages (cloud-init
//     runs the package manager with noninteractive options of its own and
//     waits for apt's locks itself), a StepWait is left out, since cloud-init
//     is what it waits for, and a StepCommand is a runcmd entry. MIME
//     user-data carries that cloud-config.
//   - Butane and Ignition say no steps: Ignition runs no commands.
type Step struct {
	Kind StepKind
	// Argv is the command that does the step, for renderers that run
	// commands.
	Argv Command
	// Env are NAME=value settings Argv runs with, such as
	// DEBIAN_FRONTEND=noninteractive.
	Env []string
	// Packages are what a StepInstall installs: cloud-config lists them as
	// packages, the commands name them in Argv.
	Packages []string
	// NeedsSystemd marks a step that talks to a running systemd (systemctl
	// restart, daemon-reload) or waits for boot work only a booted host
	// does. Where systemd does not run (an image built in a chroot or a
	// container) it runs as Offline instead, or not at all.
	NeedsSystemd bool
	// Offline is what of a NeedsSystemd step works without a running
	// systemd: systemctl enable without --now only links unit files.
	// Empty: nothing does, and the step is left out there.
	Offline Command
}

// StepKind is what a step does, for renderers with a native form for it.
type StepKind int

// The kinds of steps.
const (
	StepCommand StepKind = iota // a command: cloud-init's runcmd
	StepWait                    // waits for the host's first-boot agent to finish
	StepRefresh                 // refreshes the package index: cloud-init's package_update
	StepInstall                 // installs Packages: cloud-init's packages
)

var stepKindNames = [...]string{"command", "wait", "refresh", "install"}

// String names the kind in messages.
func (k StepKind) String() string {
	if k < 0 || int(k) >= len(stepKindNames) {
		return "unknown"
	}
	return stepKindNames[k]
}

// Shell is the step as one line of POSIX sh: its Env as assignments that
// apply to the command alone, then its Argv, each word quoted.
func (s Step) Shell() string {
	words := make([]string, 0, len(s.Env)+1)
	for _, e := range s.Env {
		name, value, _ := strings.Cut(e, "=")
		words = append(words, name+"="+ShellQuote(value))
	}
	return strings.Join(append(words, ShellJoin(s.Argv)), " ")
}

// WithoutSystemd is the step as it runs where systemd does not: the step
// itself, its Offline form, or nothing (ok false).
func (s Step) WithoutSystemd() (_ Step, ok bool) {
	switch {
	case !s.NeedsSystemd:
		return s, true
	case len(s.Offline) == 0:
		return Step{}, false
	}
	s.Argv, s.Offline, s.NeedsSystemd = s.Offline, nil, false
	return s, true
}

// run is a command that works with or without a running systemd.
func run(argv ...string) Step { return Step{Argv: argv} }

// withSystemd is a command that needs a running systemd; offline is what
// of it works without one (nil: nothing).
func withSystemd(offline Command, argv ...string) Step {
	return Step{Argv: argv, NeedsSystemd: true, Offline: offline}
}
