package boottest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// BasePackages is the package list of every image: a systemd-booted Debian
// with cloud-init, sshd and sudo, as on a cloud image, but without Docker.
// mmdebstrap adds the minbase variant (Priority: required, plus apt).
var BasePackages = []string{
	"ca-certificates", "cloud-init", "dbus", "iproute2",
	"openssh-server", "sudo", "systemd", "systemd-sysv",
}

// DockerPackages are added to [BasePackages] for images with Docker baked in.
var DockerPackages = []string{"docker.io"}

// imageFormat changes whenever the way an image is built changes, so that old
// cache entries are not reused.
const imageFormat = "dockbake-boottest image v1"

// readyMarker is written into the root filesystem as the very last build
// step; a directory without it is not an image.
const readyMarker = ".dockbake-boottest-ready"

// ImageOptions selects what [BuildImage] bootstraps and where it caches it.
type ImageOptions struct {
	// Suite is the Debian suite; empty means "bookworm".
	Suite string
	// Mirror is the Debian mirror URL; empty means [HostMirror].
	Mirror string
	// Packages are installed on top of [BasePackages].
	Packages []string
	// CacheDir holds the cached images; empty means [DefaultCacheDir].
	CacheDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Image is a cached, read-only Debian root filesystem. Guests never write to
// it: each [Boot] mounts an overlay on top.
type Image struct {
	// Dir is the root filesystem.
	Dir string
	// Key identifies the package list and settings the image was built from.
	Key string
	// Packages is the full list passed to mmdebstrap.
	Packages []string
}

// DefaultCacheDir returns $DOCKBAKE_BOOT_CACHE, or
// /var/cache/dockbake-boottest when it is unset.
func DefaultCacheDir() string {
	if dir := os.Getenv("DOCKBAKE_BOOT_CACHE"); dir != "" {
		return dir
	}
	return "/var/cache/dockbake-boottest"
}

// BuildImage returns the cached image for opts, bootstrapping it first when
// the cache has none. The build happens in a temporary directory that is
// renamed into place only when complete, so an interrupted build is never
// reused; concurrent builds of the same image wait for each other.
func BuildImage(ctx context.Context, opts ImageOptions) (*Image, error) {
	opts = opts.withDefaults()
	img := &Image{Packages: opts.packages()}
	img.Key = opts.key(img.Packages)
	img.Dir = filepath.Join(opts.CacheDir, img.Key)
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("image cache %q: %w", opts.CacheDir, err)
	}
	unlock, err := lockFile(ctx, img.Dir+".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(img.Dir, readyMarker)); err == nil {
		return img, nil
	}
	if err := removeStale(img.Dir); err != nil {
		return nil, err
	}
	if err := build(ctx, opts, img); err != nil {
		return nil, fmt.Errorf("build image %s (%s): %w", img.Key, strings.Join(img.Packages, ","), err)
	}
	return img, nil
}

func (o ImageOptions) withDefaults() ImageOptions {
	if o.Suite == "" {
		o.Suite = "bookworm"
	}
	if o.Mirror == "" {
		o.Mirror = HostMirror()
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

func (o ImageOptions) packages() []string {
	pkgs := slices.Concat(BasePackages, o.Packages)
	slices.Sort(pkgs)
	return slices.Compact(pkgs)
}

// key hashes everything that decides the image's content.
func (o ImageOptions) key(pkgs []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nsuite %s\nmirror %s\npackages %s\n", imageFormat, o.Suite, o.Mirror, strings.Join(pkgs, ","))
	for _, f := range imageSettings {
		fmt.Fprintf(h, "file %s %o %q %q\n", f.path, f.mode, f.content, f.symlink)
	}
	return o.Suite + "-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// build bootstraps into a temporary sibling of img.Dir and renames it into
// place once the ready marker is written.
func build(ctx context.Context, opts ImageOptions, img *Image) (err error) {
	tmp, err := os.MkdirTemp(filepath.Dir(img.Dir), filepath.Base(img.Dir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if rmErr := removeUnmounted(tmp); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
	}()
	rootfs := filepath.Join(tmp, "rootfs")
	logPath := img.Dir + ".build.log"
	fmt.Fprintf(opts.Log, "boottest: building image %s with mmdebstrap from %s (log: %s)\n", img.Key, opts.Mirror, logPath)
	start := time.Now()
	if err := mmdebstrap(ctx, opts, img.Packages, rootfs, logPath); err != nil {
		return err
	}
	if err := applySettings(rootfs); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(rootfs, readyMarker), []byte(img.Key+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(rootfs, img.Dir); err != nil {
		return err
	}
	fmt.Fprintf(opts.Log, "boottest: built image %s in %s\n", img.Key, time.Since(start).Round(time.Second))
	return nil
}

func mmdebstrap(ctx context.Context, opts ImageOptions, pkgs []string, rootfs, logPath string) error {
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, "mmdebstrap",
		"--variant=minbase",
		"--include="+strings.Join(pkgs, ","),
		"--dpkgopt=force-unsafe-io",
		opts.Suite, rootfs, opts.Mirror)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// mmdebstrap mounts /proc, /sys and /dev inside the root filesystem:
	// let it clean up on cancellation instead of killing it.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mmdebstrap: %w (last lines of %s:\n%s)", err, logPath, tailFile(logPath, 15))
	}
	return nil
}

// removeStale deletes leftovers of interrupted builds of the image at dir:
// its temporary directories, and dir itself when it lacks the ready marker.
func removeStale(dir string) error {
	stale, err := filepath.Glob(dir + ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		stale = append(stale, dir)
	}
	for _, d := range stale {
		if err := removeUnmounted(d); err != nil {
			return fmt.Errorf("stale image build: %w", err)
		}
	}
	return nil
}
