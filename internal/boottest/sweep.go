package boottest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// guestPrefix starts every guest name and run directory name.
const guestPrefix = "dockbake-"

// nspawnPIDFile in a run directory holds the pid of its systemd-nspawn.
const nspawnPIDFile = "nspawn.pid"

// ownerLockFile in a run directory is flock'ed by the process that owns the
// guest, from before nspawn starts until Close is done.
const ownerLockFile = "owner.lock"

// Sweep cleans up after test processes that died without closing their
// guests (killed by a timeout or a signal): for every run directory in runRoot
// whose systemd-nspawn is gone, it unmounts the overlay, removes the cgroups
// and deletes the directory. Run directories of live guests, and those that
// Close kept, are left alone. [Boot] calls it first.
func Sweep(runRoot string) error {
	dirs, err := filepath.Glob(filepath.Join(runRoot, guestPrefix+"*-*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, dir := range dirs {
		if err := sweepRun(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sweepRun cleans up the run directory dir unless its owner or its nspawn
// still runs.
func sweepRun(dir string) error {
	if locked(filepath.Join(dir, ownerLockFile)) {
		return nil // a live test owns it, maybe still starting nspawn
	}
	data, err := os.ReadFile(filepath.Join(dir, nspawnPIDFile))
	if err != nil {
		return nil // not started, or kept by a finished run: not ours to judge
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return nil
	}
	if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(comm)) == "systemd-nspawn" {
		return nil
	}
	base := filepath.Base(dir)
	name := base[:strings.LastIndexByte(base, '-')]
	var errs []error
	if err := unmount(filepath.Join(dir, "merged")); err != nil {
		errs = append(errs, err)
	}
	if roots, err := cgroupRoots(); err == nil {
		for _, root := range roots {
			errs = append(errs, removeCgroup(filepath.Join(root, name)))
		}
	}
	os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", name))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return removeUnmounted(dir)
}

// locked reports whether another open file description holds an flock on
// path.
func locked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}
