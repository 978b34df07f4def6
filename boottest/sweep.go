package boottest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// guestPrefix starts every guest name and run directory name.
const guestPrefix = "dockbake-"

// nspawnPIDFile in a run directory holds the pid of its systemd-nspawn.
const nspawnPIDFile = "nspawn.pid"

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

// sweepRun cleans up the run directory dir unless its nspawn still runs.
func sweepRun(dir string) error {
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
