//go:build unix

package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLookIsLstat: a look from the top directories finds what lstat(2)
// finds of the same path, with system calls raw or not, for a directory,
// a file, a symbolic link (not followed) and a long path; a missing
// entry, a path with a NUL and an unknown top directory are not found.
func TestLookIsLstat(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("d", 200)
	for _, d := range []string{"hosts/m1", "machines/m1", "hosts/" + long} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "hosts/m1/machine.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nowhere", filepath.Join(root, "machines/m1/key.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "hosts", long, long), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tp := openTops(root)
	defer tp.close()
	for _, local := range []bool{true, false} {
		tp.local = local
		for _, c := range []struct{ rel, name string }{
			{"hosts/m1", ""}, {"hosts/m1", "machine.json"}, {"machines/m1", "key.pem"}, {"hosts/" + long, long},
		} {
			got, ok := tp.look([]byte(c.rel), []byte(c.name))
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(root, c.rel, c.name), &st); err != nil {
				t.Fatal(err)
			}
			if !ok || got != stateOf(&st) {
				t.Errorf("raw %v: look(%q, %q) = %+v, %v; lstat finds %+v", local, c.rel, c.name, got, ok, stateOf(&st))
			}
		}
		for _, c := range []struct{ rel, name string }{
			{"hosts/m1", "missing"}, {"hosts/m1", "machine.json\x00"}, {"hosts/m1\x00x", ""}, {"cas/m1", ""}, {"other/m1", ""}, {"hosts", ""},
		} {
			if got, ok := tp.look([]byte(c.rel), []byte(c.name)); ok {
				t.Errorf("raw %v: look(%q, %q) = %+v, want nothing found", local, c.rel, c.name, got)
			}
		}
	}
}
