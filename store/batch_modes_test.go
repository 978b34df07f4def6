//go:build unix

package store

import (
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
