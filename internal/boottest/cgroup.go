package boottest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Filesystem magic numbers from linux/magic.h.
const (
	cgroup2Magic = 0x63677270
	cgroup1Magic = 0x27e0eb
	tmpfsMagic   = 0x01021994
)

const cgroupFS = "/sys/fs/cgroup"

// cgroupRoots returns the hierarchies in which the guest gets its own cgroup:
// the unified hierarchy on a cgroup v2 host; the named systemd hierarchy and,
// when mounted, the unified one on a v1/hybrid host. Moving the launcher
// there first gives the guest's systemd a subtree of its own instead of the
// host's root cgroup, which matters when the host's PID 1 is not systemd and
// nobody allocates a scope for nspawn.
func cgroupRoots() ([]string, error) {
	switch fsType(cgroupFS) {
	case cgroup2Magic:
		return []string{cgroupFS}, nil
	case tmpfsMagic:
		var roots []string
		for _, h := range []struct {
			dir   string
			magic int64
		}{{"systemd", cgroup1Magic}, {"unified", cgroup2Magic}} {
			if dir := filepath.Join(cgroupFS, h.dir); fsType(dir) == h.magic {
				roots = append(roots, dir)
			}
		}
		if len(roots) > 0 {
			return roots, nil
		}
	}
	return nil, fmt.Errorf("%s: neither a cgroup2 mount nor a hybrid hierarchy with a systemd or unified cgroup", cgroupFS)
}

func fsType(path string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0
	}
	return int64(st.Type)
}

// createCgroups makes the directory name in every hierarchy and returns the
// paths of their cgroup.procs files.
func createCgroups(name string) (dirs []string, err error) {
	roots, err := cgroupRoots()
	if err != nil {
		return nil, err
	}
	for _, root := range roots {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return dirs, fmt.Errorf("cgroup %q: %w", dir, err)
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// removeCgroups kills whatever still runs in the cgroups below dirs and
// removes them depth-first.
func removeCgroups(dirs []string) error {
	var errs []error
	for _, dir := range dirs {
		if err := removeCgroup(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeCgroup(dir string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		subdirs, err := cgroupTree(dir)
		if err != nil || len(subdirs) == 0 {
			return err
		}
		for _, d := range subdirs {
			for _, pid := range cgroupPIDs(d) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			os.Remove(d)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %q: still in use after killing its processes", dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cgroupTree lists dir and its descendant cgroups, deepest first; nothing
// when dir is gone.
func cgroupTree(dir string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	slices.Reverse(dirs)
	return dirs, err
}

func cgroupPIDs(dir string) []int {
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
