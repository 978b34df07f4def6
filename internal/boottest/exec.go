package boottest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// guestEnv is the environment of commands run inside the guest: the host's
// would leak host paths and settings into it.
var guestEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root", "LANG=C.UTF-8", "TERM=dumb",
}

// Command returns a command that runs name inside the guest: in all of its
// namespaces (mount, UTS, IPC, network, PID), with a clean environment.
func (g *Guest) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append([]string{"--target", strconv.Itoa(g.leader),
		"--mount", "--uts", "--ipc", "--net", "--pid", "--", name}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", argv...)
	cmd.Env = guestEnv
	return cmd
}

// NetCommand returns a command that runs the host program name inside the
// guest's network namespace only, so it reaches the guest's ports on
// 127.0.0.1. With [BootOptions.HostNetwork] it runs as a plain host command.
// The caller sets Env; the default is the test's environment.
func (g *Guest) NetCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	if g.HostNetwork {
		return exec.CommandContext(ctx, name, args...)
	}
	argv := append([]string{"--target", strconv.Itoa(g.leader), "--net", "--", name}, args...)
	return exec.CommandContext(ctx, "nsenter", argv...)
}

// Run runs name inside the guest like [Guest.Command] and returns its
// combined output; the error quotes the command and its output.
func (g *Guest) Run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := g.Command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in guest %s: %s: %w\n%s", g.Name, quoteArgv(append([]string{name}, args...)), err, out)
	}
	return string(out), nil
}

// LiveRoot returns the guest's root directory as seen from the host through
// its PID 1, including the guest's own tmpfs mounts (/run, /tmp,
// /var/lib/docker), which [Guest.Root] lacks.
func (g *Guest) LiveRoot() string {
	return "/proc/" + strconv.Itoa(g.leader) + "/root"
}

// quoteArgv renders argv for messages, quoting what a shell would split.
func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]{}~#") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
