package store

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestFullDisk puts the store and the client directories on a small tmpfs
// of their own, fills it, and runs each command with no room, then with
// one page (4 KiB) more, and so on until it works. Until then each run
// must fail with ENOSPC and leave everything as it was: every machine
// unchanged, nothing in .staging, no key outside the store's records.
// Once it works, the change must be whole.
func TestFullDisk(t *testing.T) {
	testenv.Root(t, "mounting a tmpfs for the store")
	for _, sc := range faultScenarios() {
		switch sc.name {
		case "create", "create on a new shared CA", "create --force", "regenerate-certs --ca", "client add", "client add --force", "import":
		default:
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			base := testenv.Tmpfs(t, "size=2m")
			s, err := Open(filepath.Join(base, "store"))
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.setup(s, filepath.Join(base, "out")); err != nil {
				t.Fatal(err)
			}
			old := mustObserve(t, base)
			filler := filepath.Join(base, "filler")
			for free := 0; ; free++ {
				if free > 64 {
					t.Fatal("the command still fails with 256 KiB free")
				}
				testenv.FillLeaving(t, filler, free)
				err := sc.run(storeIn(base, nil), filepath.Join(base, "out"))
				os.Remove(filler)
				w, problems := observe(base)
				for _, p := range problems {
					t.Errorf("%d pages free: %s", free, p)
				}
				if err == nil {
					if shapeOf(old, w) == shapeOf(old, old) {
						t.Errorf("%d pages free: it worked, but nothing changed", free)
					}
					t.Logf("failed cleanly with 0 to %d pages free, worked with %d", free-1, free)
					return
				}
				if !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("%d pages free: %v, want an error that is ENOSPC", free, err)
				}
				if got := shapeOf(old, w); got != shapeOf(old, old) {
					t.Fatalf("%d pages free: failed (%v), but changed:\n%s", free, err, got)
				}
			}
		})
	}
}
