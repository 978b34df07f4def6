package boottest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// BootOptions configures one guest.
type BootOptions struct {
	// UserData is seeded as the NoCloud user-data, unchanged.
	UserData []byte
	// HostNetwork shares the host's network namespace instead of giving the
	// guest its own. Only for guests that must reach a package mirror: they
	// bind their ports on the host, so parallel guests must use different
	// ports. The guest's sshd is masked in this mode.
	HostNetwork bool
	// RunRoot holds the per-guest run directory; empty means
	// $DOCKBAKE_BOOT_RUNDIR, or else the system temporary directory.
	RunRoot string
	// Keep leaves the run directory (user-data, console log, overlay upper
	// layer) in place after [Guest.Close]; $DOCKBAKE_BOOT_KEEP=1 sets it.
	Keep bool
	// NspawnArgs are appended to the systemd-nspawn command line.
	NspawnArgs []string
}

// Guest is a booted container. Close it, also when a test fails.
type Guest struct {
	// Name is the machine name and hostname of the guest.
	Name string
	// RunDir holds the overlay layers, the seed copy and console.log.
	RunDir string
	// Root is the guest's root filesystem (the overlay) as seen from the host.
	// It lacks the guest's own tmpfs mounts; see [Guest.LiveRoot].
	Root string
	// Upper is the overlay's upper layer: every file the guest created or
	// changed, as seen from the host.
	Upper string
	// HostNetwork reports whether the guest shares the host's network
	// namespace.
	HostNetwork bool
	// Started is when systemd-nspawn was started.
	Started time.Time
	// Keep leaves RunDir in place after Close; tests set it on failure.
	Keep bool

	image   *Image
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	leader  int
	cgroups []string
	closed  bool
	// unlockRun releases the owner lock of RunDir.
	unlockRun func()
}

// Boot starts a guest from img on a fresh copy-on-write overlay with
// opts.UserData as its NoCloud seed, and returns once the guest's systemd runs
// (not when cloud-init is done). On error nothing is left behind.
func Boot(ctx context.Context, img *Image, opts BootOptions) (g *Guest, err error) {
	if err := Prerequisites(); err != nil {
		return nil, err
	}
	if err := Sweep(opts.runRoot()); err != nil {
		return nil, fmt.Errorf("cleaning up after an earlier test process: %w", err)
	}
	g, err = newGuest(img, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, g.Close())
			g = nil
		}
	}()
	if err := g.prepareRoot(opts); err != nil {
		return g, err
	}
	if err := g.start(opts.NspawnArgs); err != nil {
		return g, err
	}
	return g, g.findLeader(ctx)
}

func (o BootOptions) runRoot() string {
	if o.RunRoot != "" {
		return o.RunRoot
	}
	if dir := os.Getenv("DOCKBAKE_BOOT_RUNDIR"); dir != "" {
		return dir
	}
	return os.TempDir()
}

func newGuest(img *Image, opts BootOptions) (*Guest, error) {
	name := guestPrefix + randomHex(4)
	runDir, err := os.MkdirTemp(opts.runRoot(), name+"-")
	if err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	// The owner lock tells a parallel test's Sweep that this guest is alive,
	// even before its nspawn has started; the kernel drops it if this
	// process dies.
	unlock, err := lockFile(context.Background(), filepath.Join(runDir, ownerLockFile))
	if err != nil {
		os.RemoveAll(runDir)
		return nil, err
	}
	return &Guest{
		unlockRun:   unlock,
		Name:        name,
		RunDir:      runDir,
		Root:        filepath.Join(runDir, "merged"),
		Upper:       filepath.Join(runDir, "upper"),
		HostNetwork: opts.HostNetwork,
		Keep:        opts.Keep || os.Getenv("DOCKBAKE_BOOT_KEEP") == "1",
		image:       img,
		exited:      make(chan struct{}),
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// prepareRoot mounts the overlay and writes the seed and the per-run
// settings into it.
func (g *Guest) prepareRoot(opts BootOptions) error {
	work := filepath.Join(g.RunDir, "work")
	for _, d := range []string{g.Upper, work, g.Root} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	// The upper layer's top directory becomes the guest's "/": with the
	// 0700 of a fresh directory, unprivileged guest users (dbus) could not
	// reach anything.
	if err := copyMode(g.image.Dir, g.Upper); err != nil {
		return err
	}
	for _, p := range []string{g.image.Dir, g.Upper, work} {
		if strings.ContainsAny(p, ",:") {
			return fmt.Errorf("overlay layer %q: path must not contain ',' or ':'", p)
		}
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", g.image.Dir, g.Upper, work)
	if err := syscall.Mount("overlay", g.Root, "overlay", 0, data); err != nil {
		return fmt.Errorf("mount overlay of %q on %q: %w", g.image.Dir, g.Root, err)
	}
	if err := g.writeSeed(opts.UserData); err != nil {
		return err
	}
	return g.applyNetworkMode()
}

// writeSeed writes the NoCloud seed into the guest and a copy into RunDir
// for the evidence.
func (g *Guest) writeSeed(userData []byte) error {
	seed := filepath.Join(g.Root, "var/lib/cloud/seed/nocloud")
	if err := os.MkdirAll(seed, 0o700); err != nil {
		return err
	}
	meta := fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", g.Name, g.Name)
	for _, dir := range []string{seed, g.RunDir} {
		if err := os.WriteFile(filepath.Join(dir, "user-data"), userData, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "meta-data"), []byte(meta), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// applyNetworkMode adapts the overlay to the network mode: with its own
// namespace, stock Docker works, so the image's host-mode daemon.json goes;
// in the host's namespace, sshd must not bind the host's port 22.
func (g *Guest) applyNetworkMode() error {
	if !g.HostNetwork {
		err := os.Remove(filepath.Join(g.Root, daemonJSONPath))
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	for _, unit := range []string{"ssh.service", "ssh.socket"} {
		if err := os.Symlink("/dev/null", filepath.Join(g.Root, "etc/systemd/system", unit)); err != nil {
			return fmt.Errorf("mask %s: %w", unit, err)
		}
	}
	return nil
}

// nspawnArgs returns the systemd-nspawn command line. --register=no and
// --keep-unit let it run on hosts without systemd as PID 1 (no machined, no
// scope units). /var/lib/docker is a tmpfs because Docker's overlay2 driver
// fails on an overlay root and dockerd would silently fall back to vfs. The
// syscall filter lets Docker in the guest join session keyrings and attach
// device BPF programs, so that it can run containers.
func (g *Guest) nspawnArgs(extra []string) []string {
	args := []string{
		"--boot", "--directory=" + g.Root, "--machine=" + g.Name,
		"--register=no", "--keep-unit", "--link-journal=no",
		"--console=pipe", "--tmpfs=/var/lib/docker",
		"--system-call-filter=@keyring bpf",
	}
	if !g.HostNetwork {
		args = append(args, "--private-network")
	}
	return append(args, extra...)
}

// copyMode gives dst the permission bits and owner of src.
func copyMode(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.Chmod(dst, fi.Mode().Perm()); err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	return os.Chown(dst, int(st.Uid), int(st.Gid))
}
