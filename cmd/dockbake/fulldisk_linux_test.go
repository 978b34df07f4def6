package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
			disk := testenv.Tmpfs(t, "size=2m")
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
				testenv.FillLeaving(t, filler, free)
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
