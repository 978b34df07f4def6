//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A batch spares the chmod of each file only where a probe shows that new
// files get their modes as asked. Under any umask, strict or none, every
// file and directory of the machines it makes has exactly its mode.
func TestBatchModesUnderUmask(t *testing.T) {
	for _, tc := range []struct {
		name  string
		umask int
		exact bool // the probe finds the store's modes unnarrowed
	}{
		{"umask 000", 0o000, true},
		{"umask 022", 0o022, true},
		{"umask 027", 0o027, false},
		{"umask 077", 0o077, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := syscall.Umask(tc.umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			d := osDisk{}.probed(dir)
			if got := d.fileExact != 0 && d.exactDir(dirMode); got != tc.exact {
				t.Errorf("probe: modes kept %v, want %v", got, tc.exact)
			}
			s, err := Open(filepath.Join(dir, "store"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.BeginBatch("t")
			if err != nil {
				t.Fatal(err)
			}
			defer b.Discard()
			for _, n := range []string{"a", "b"} {
				if _, err := b.Create(req(n), nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			checkStoreModes(t, s.Root, 2)
		})
	}
}

// checkStoreModes checks the mode of every file and directory of the
// machines of the store at root, and that they are n.
func checkStoreModes(t *testing.T, root string, n int) {
	t.Helper()
	keys := 0
	for p, mode := range tree(t, root) {
		if !strings.HasPrefix(p, "hosts") && !strings.HasPrefix(p, "machines") {
			continue // the lock and the scratch directory
		}
		want := certMode
		switch base := filepath.Base(p); {
		case !strings.Contains(base, "."):
			want = dirMode
		case isKeyName(base):
			want, keys = keyMode, keys+1
		case base == recordFile:
			want = keyMode
		}
		if mode != want {
			t.Errorf("%s: mode %04o, want %04o", p, mode, want)
		}
	}
	if keys != 3*n {
		t.Errorf("%d keys in the store, want %d", keys, 3*n)
	}
}

// A batch that has listed the store refuses a new machine where anything
// at all is at one of its paths, a file, a link or an empty directory
// (the listing notes names, not only machines), and leaves it there; the
// rest of the batch commits.
func TestBatchCreateRefusesWhatIsInTheWay(t *testing.T) {
	for _, tc := range []struct {
		name string
		put  func(path string) error
	}{
		{"file", func(p string) error { return os.WriteFile(p, []byte("mine\n"), 0o600) }},
		{"link", func(p string) error { return os.Symlink("/nonexistent", p) }},
		{"empty directory", func(p string) error { return os.Mkdir(p, 0o700) }},
	} {
		for _, dir := range []string{"hosts", "machines"} {
			t.Run(tc.name+" in "+dir, func(t *testing.T) {
				s := newStore(t)
				if _, err := s.Create(req("other")); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(s.Root, dir, "x")
				if err := tc.put(path); err != nil {
					t.Fatal(err)
				}
				before, err := os.Lstat(path)
				if err != nil {
					t.Fatal(err)
				}
				b, err := s.BeginBatch("t")
				if err != nil {
					t.Fatal(err)
				}
				defer b.Discard()
				if _, err := b.Names(); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Create(req("x"), nil); !errors.Is(err, ErrExists) {
					t.Errorf("create over a %s: %v, want ErrExists", tc.name, err)
				}
				if _, err := b.Create(req("y"), nil); err != nil {
					t.Fatal(err)
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
				if after, err := os.Lstat(path); err != nil || !os.SameFile(before, after) {
					t.Errorf("the %s in the way is not left as it was: %v", tc.name, err)
				}
				if _, err := s.Load("y"); err != nil {
					t.Errorf("the rest of the batch: %v", err)
				}
			})
		}
	}
}
