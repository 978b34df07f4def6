package testenv

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs with opts (size=1m, say) on a new directory for the
// test and returns it. It needs root (skip, or fail in CI).
func Tmpfs(t testing.TB, opts string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		Missing(t, "a tmpfs mount", fmt.Sprintf("mount -t tmpfs: %v", err))
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// FillLeaving fills the file system of path with the file path, then
// frees pages pages (of 4 KiB) of it: the next write that needs more
// fails with ENOSPC.
func FillLeaving(t testing.TB, path string, pages int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for chunk := make([]byte, 64<<10); len(chunk) > 0; chunk = chunk[:len(chunk)/2] {
		for {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(fi.Size() - int64(pages)*4096); err != nil {
		t.Fatal(err)
	}
}
