package boottest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// launcher moves itself into the guest's cgroups, then becomes
// systemd-nspawn, so that nspawn and the guest never run in the host's
// cgroups.
const launcher = `for f in $DOCKBAKE_CGROUP_PROCS; do echo $$ > "$f" || exit 1; done
unset DOCKBAKE_CGROUP_PROCS
exec systemd-nspawn "$@"`

// start creates the guest's cgroups and starts systemd-nspawn, with its
// console going to RunDir/console.log.
func (g *Guest) start(extra []string) error {
	var err error
	g.cgroups, err = createCgroups(g.Name)
	if err != nil {
		return err
	}
	console, err := os.Create(filepath.Join(g.RunDir, "console.log"))
	if err != nil {
		return err
	}
	defer console.Close()
	cmd := g.launcherCmd(extra)
	cmd.Stdout, cmd.Stderr = console, console
	g.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start systemd-nspawn: %w", err)
	}
	g.cmd = cmd
	// Reap nspawn whatever happens next, so that Close never waits for a
	// process nobody waits for.
	go func() {
		g.waitErr = cmd.Wait()
		close(g.exited)
	}()
	pidFile := filepath.Join(g.RunDir, nspawnPIDFile)
	return os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
}

// launcherCmd returns the command that moves into the guest's cgroups and
// becomes systemd-nspawn.
func (g *Guest) launcherCmd(extra []string) *exec.Cmd {
	var procs []string
	for _, dir := range g.cgroups {
		procs = append(procs, filepath.Join(dir, "cgroup.procs"))
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", launcher, "launcher"}, g.nspawnArgs(extra)...)...)
	cmd.Env = append(os.Environ(),
		"DOCKBAKE_CGROUP_PROCS="+strings.Join(procs, " "),
		// A delegated cgroup2 tree: on a hybrid host the guest's cgroup
		// v1 controllers would be read-only, and Docker could not run
		// containers.
		"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	// In its own process group, a Ctrl-C on the terminal does not reach
	// nspawn. When the test process dies without cleaning up, Pdeathsig
	// halts the guest in an orderly way, and the next Boot's Sweep removes
	// the overlay and cgroups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	return cmd
}

// findLeader waits for the guest's PID 1: the child of nspawn named systemd
// (nspawn forks a short-lived intermediate child first).
func (g *Guest) findLeader(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if pid := childNamed(g.cmd.Process.Pid, "systemd"); pid > 0 {
			g.leader = pid
			return nil
		}
		select {
		case <-g.exited:
			return fmt.Errorf("systemd-nspawn exited before the guest booted: %v\n%s", g.waitErr, g.consoleTail())
		case <-ctx.Done():
			return fmt.Errorf("guest %s: no systemd child of systemd-nspawn (pid %d): %w\n%s", g.Name, g.cmd.Process.Pid, ctx.Err(), g.consoleTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// childNamed returns the pid of a child of parent whose comm is name, or 0.
func childNamed(parent int, name string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The comm field is parenthesised and may contain spaces.
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if s[open+1:end] == name && len(fields) > 1 && fields[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

func (g *Guest) consoleTail() string {
	return "console.log:\n" + tailFile(filepath.Join(g.RunDir, "console.log"), 20)
}

// Leader returns the host pid of the guest's PID 1 (its systemd).
func (g *Guest) Leader() int { return g.leader }

// Exited is closed when systemd-nspawn has exited.
func (g *Guest) Exited() <-chan struct{} { return g.exited }

// Close halts the guest (SIGTERM to nspawn, SIGKILL after 30 s), unmounts
// the overlay, removes the cgroups and, unless Keep is set, the run
// directory. It then verifies that no process, mount or cgroup of the guest
// is left and reports any that is. Calling Close again does nothing.
func (g *Guest) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	errs := []error{g.halt()}
	if err := unmount(g.Root); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, removeCgroups(g.cgroups))
	os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", g.Name))
	errs = append(errs, g.leftovers())
	if err := errors.Join(errs...); err != nil {
		g.Keep = true // and keep the pid file, so a later Sweep retries
		g.release()
		return err
	}
	// Without the pid file, Sweep leaves a kept run directory alone.
	os.Remove(filepath.Join(g.RunDir, nspawnPIDFile))
	if g.Keep {
		g.release()
		return nil
	}
	err := removeUnmounted(g.RunDir)
	g.release()
	return err
}

// release drops the owner lock of the run directory.
func (g *Guest) release() {
	if g.unlockRun != nil {
		g.unlockRun()
		g.unlockRun = nil
	}
}

// halt stops nspawn and waits until it has been reaped. nspawn turns
// SIGTERM into an orderly shutdown of the guest; a guest early in its boot
// has no handler for it yet, so it is repeated. If that does not work, the
// guest's PID 1 is killed first, which ends its pid namespace and lets nspawn
// reap it, and nspawn itself last.
func (g *Guest) halt() error {
	if g.cmd == nil {
		return nil
	}
	if g.waitExit(syscall.SIGTERM, 30*time.Second) {
		return nil
	}
	err := fmt.Errorf("guest %s: no orderly shutdown within 30 s, killed", g.Name)
	if g.leader > 0 {
		syscall.Kill(g.leader, syscall.SIGKILL)
		if g.waitExit(0, 10*time.Second) {
			return err
		}
	}
	if g.waitExit(syscall.SIGKILL, 15*time.Second) {
		return err
	}
	return fmt.Errorf("guest %s: systemd-nspawn (pid %d) survived SIGKILL", g.Name, g.cmd.Process.Pid)
}

// waitExit sends sig (unless 0) to nspawn every 2 s until it exits or
// timeout passes, and reports whether it exited.
func (g *Guest) waitExit(sig syscall.Signal, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		if sig != 0 {
			g.cmd.Process.Signal(sig)
		}
		select {
		case <-g.exited:
			return true
		case <-deadline:
			return false
		case <-time.After(2 * time.Second):
		}
	}
}

// unmount unmounts the overlay at dir, retrying while it is busy.
func unmount(dir string) error {
	var err error
	for range 50 {
		mounts, merr := mountsUnder(dir)
		if merr != nil || len(mounts) == 0 {
			return merr
		}
		for _, m := range mounts {
			err = syscall.Unmount(m, 0)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("unmount %q: %w", dir, err)
}

// leftovers reports anything of the guest that Close should have removed.
func (g *Guest) leftovers() error {
	var errs []error
	if g.leader > 0 && processRuns(g.leader) {
		errs = append(errs, fmt.Errorf("guest %s: its systemd (pid %d) is still running", g.Name, g.leader))
	}
	if mounts, err := mountsUnder(g.RunDir); err != nil || len(mounts) > 0 {
		errs = append(errs, fmt.Errorf("guest %s: still mounted: %v %v", g.Name, mounts, err))
	}
	for _, dir := range g.cgroups {
		if _, err := os.Stat(dir); err == nil {
			errs = append(errs, fmt.Errorf("guest %s: cgroup %s still exists", g.Name, dir))
		}
	}
	return errors.Join(errs...)
}

// processRuns reports whether pid exists and is not a zombie. A zombie has
// released everything but its pid and awaits its parent, which for an
// orphaned guest is the host's PID 1.
func processRuns(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}
