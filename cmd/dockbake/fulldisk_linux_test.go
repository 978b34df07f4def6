package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestFullDiskCLI runs the commands that write on a full tmpfs that holds
// the store and their output, with one more free page each time until the
// command works. Every failing run says the disk is full and leaves
// everything as it was: the store's files byte for byte, no output file,
// no client directory, nothing hidden beside them.
func TestFullDiskCLI(t *testing.T) {
	testenv.Root(t, "mounting a tmpfs for the store")
	for _, tc := range []struct {
		name string
		args []string
		out  string // what the command writes outside the store
	}{
		{"create", []string{"create", "web2", "--ip", "192.0.2.2", "-o", "OUT"}, "web2.yaml"},
		{"create to stdout", []string{"create", "web2", "--ip", "192.0.2.2"}, ""},
		{"regenerate-certs --ca", []string{"regenerate-certs", "web1", "--ca", "--force", "-o", "OUT"}, "ud.yaml"},
		{"client add", []string{"client", "add", "web1", "--user", "bob", "-o", "OUT"}, "bob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := mountTmpfs(t, "size=2m")
			c := newCLI(t)
			c.env["DOCKBAKE_STORAGE_PATH"] = filepath.Join(disk, "store")
			c.ok("create", "web1", "--ip", "192.0.2.1")
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.Replace(a, "OUT", filepath.Join(disk, tc.out), 1)
			}
			before := hashTree(t, disk)
			for free := 0; free <= 64; free++ {
				filler := filepath.Join(disk, "filler")
				fillLeaving(t, filler, free)
				_, errOut, code := c.run(args...)
				os.Remove(filler)
				if code == 0 {
					t.Logf("failed cleanly with 0 to %d pages free, worked with %d", free-1, free)
					return
				}
				if free == 0 {
					t.Logf("with no room:\n%s", errOut)
				}
				if !strings.Contains(errOut, "no space left on device") {
					t.Errorf("%d pages free: the error does not say the disk is full:\n%s", free, errOut)
				}
				if after := hashTree(t, disk); after != before {
					t.Fatalf("%d pages free: failed, but changed the disk:\n%s\nbefore:\n%s\n%s", free, after, before, errOut)
				}
			}
			t.Fatal("the command still fails with 256 KiB free")
		})
	}
}

// hashTree lists every file below dir but the lock with a hash of its
// content, and every directory, .staging's contents included.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.Name() == ".lock" || rel == "store/.staging" || rel == "store/hosts/web1/clients":
			// the lock, the scratch directory and a client records
			// directory exist once used; what is in them counts
		case d.IsDir():
			fmt.Fprintf(&b, "%s/\n", rel)
		default:
			data, _ := os.ReadFile(path)
			fmt.Fprintf(&b, "%s %x\n", rel, sha256.Sum256(data))
		}
		return nil
	})
	return b.String()
}

// mountTmpfs mounts a tmpfs with opts on a new directory for the test.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		testenv.Missing(t, "a tmpfs mount", fmt.Sprintf("mount -t tmpfs: %v", err))
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillLeaving fills the file system of path with the file path, then
// frees pages pages of it.
func fillLeaving(t *testing.T, path string, pages int) {
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
