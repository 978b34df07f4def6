package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// syncFSDisk is a faultDisk that can sync a file system, one step, so that
// a batch takes its path of files written unsynced and one sync before the
// commit.
type syncFSDisk struct{ *faultDisk }

func (d syncFSDisk) SyncFS(path string) error { return d.step("syncfs", path) }

// batchRun is a fleet's batch: two new machines of their own CA, one on a
// new shared CA, one rotated to a new address, one with a new spec only,
// one removed. It runs through the Disk given, with or without SyncFS.
func batchRun(withSyncFS bool) func(*Store, string) error {
	return func(s *Store, _ string) error {
		if withSyncFS {
			s.Disk = syncFSDisk{s.Disk.(*faultDisk)}
		}
		b, err := s.BeginBatch("fleet-test")
		if err != nil {
			return err
		}
		defer b.Discard()
		for _, n := range []string{"web1", "web2"} {
			iss, err := s.Issue(req(n))
			if err != nil {
				return err
			}
			if _, err := b.Create(req(n), iss); err != nil {
				return err
			}
		}
		shared := req("web3")
		shared.CA = "fleetca"
		if _, err := b.Create(shared, nil); err != nil {
			return err
		}
		moved := spec("keep")
		moved.IPs = []string{"198.51.100.7"}
		if _, err := b.Rotate(RotateRequest{Name: "keep", Spec: &moved}); err != nil {
			return err
		}
		other := spec("respec")
		other.OS = "debian-12"
		if _, err := b.SetSpec(other); err != nil {
			return err
		}
		if err := b.Remove("old1"); err != nil {
			return err
		}
		return b.Commit()
	}
}

func batchSetup(s *Store, _ string) error {
	for _, n := range []string{"keep", "respec", "old1"} {
		if _, err := s.Create(req(n)); err != nil {
			return err
		}
	}
	return nil
}

// TestBatchFaultAtEveryStep holds a batch to the promise of every change
// (docs/reliability.md): crashed or failed at any step, through either
// sync path, every machine is as before or as after, never a mix.
func TestBatchFaultAtEveryStep(t *testing.T) {
	for _, withSyncFS := range []bool{true, false} {
		sc := faultScenario{name: "batch", setup: batchSetup, run: batchRun(withSyncFS)}
		t.Run(map[bool]string{true: "syncfs", false: "file by file"}[withSyncFS], func(t *testing.T) {
			tmpl := t.TempDir()
			s, err := Open(filepath.Join(tmpl, "store"))
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.setup(s, ""); err != nil {
				t.Fatal(err)
			}
			old := mustObserve(t, tmpl)
			clean := newFaultDisk(0, false)
			after := runIn(t, tmpl, clean, sc)
			if after.err != nil {
				t.Fatalf("clean run: %v", after.err)
			}
			states := allowedStates(old, after.world, false)
			stride := 1
			if testing.Short() {
				stride = 7
			}
			for k := 1; k <= clean.steps; k += stride {
				for _, crash := range []bool{true, false} {
					d := newFaultDisk(k, crash)
					got := runIn(t, tmpl, d, sc)
					checkOutcome(t, sc.name, d, old, got, states)
				}
			}
			t.Logf("%d steps, each crashed and failed", clean.steps)
		})
	}
}

// A batch's syncs: with SyncFS one for everything staged, not one per
// file.
func TestBatchSyncsOnce(t *testing.T) {
	base := t.TempDir()
	s, err := Open(filepath.Join(base, "store"))
	if err != nil {
		t.Fatal(err)
	}
	if err := batchSetup(s, ""); err != nil {
		t.Fatal(err)
	}
	d := newFaultDisk(0, false)
	if err := batchRun(true)(storeIn(base, d), ""); err != nil {
		t.Fatal(err)
	}
	syncfs := 0
	for _, l := range d.log {
		// The journal is synced on its own, after what it lists.
		if strings.HasPrefix(l, "fsync ") && filepath.Base(l) != intentFile {
			t.Errorf("a file synced on its own: %s", l)
		}
		if strings.HasPrefix(l, "syncfs ") {
			syncfs++
		}
	}
	if syncfs != 1 {
		t.Errorf("%d syncs of the file system, want 1", syncfs)
	}
}

// A second change of one machine in a batch is refused, and the rest of
// the batch still commits.
func TestBatchRefusesTwiceAndKeepsGoing(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.BeginBatch("t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(req("a"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(req("a"), nil); err == nil {
		t.Error("a second create of a in one batch was accepted")
	}
	if err := b.Remove("nothere"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove of a missing machine: %v", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	m, problems, err := s.Check("a")
	if err != nil || len(problems) > 0 || m.Name != "a" {
		t.Errorf("after the commit: %v %v", err, problems)
	}
}
