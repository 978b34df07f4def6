package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStaleStagingIsRemoved: what a killed command of any version left in
// .staging, private keys included, is removed by the next command that
// takes the lock, a reader too.
func TestStaleStagingIsRemoved(t *testing.T) {
	for _, reader := range []bool{true, false} {
		s := testStore(t)
		mustCreate(t, s, "web1", "")
		stale := filepath.Join(s.Root, stagingName, "create-web2-1234", "host")
		if err := os.MkdirAll(stale, 0o700); err != nil {
			t.Fatal(err)
		}
		key, _ := os.ReadFile(filepath.Join(s.HostDir("web1"), caKeyFile))
		os.WriteFile(filepath.Join(stale, caKeyFile), key, 0o600)
		os.WriteFile(filepath.Join(s.Root, stagingName, "stray"), nil, 0o600)
		var err error
		if reader {
			_, err = s.Load("web1")
		} else {
			_, err = s.Rotate(RotateRequest{Name: "web1"})
		}
		if err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(filepath.Join(s.Root, stagingName)); len(entries) != 0 {
			t.Errorf("reader=%v: .staging still holds %v", reader, entries)
		}
	}
}

// readOnlyDisk is a Disk on which every change fails, as on a store the
// user may read but not write.
type readOnlyDisk struct{ Disk }

func (readOnlyDisk) Mkdir(path string, _ fs.FileMode) error { return roErr("mkdir", path) }
func (readOnlyDisk) Create(path string, _ fs.FileMode) (File, error) {
	return nil, roErr("open", path)
}
func (readOnlyDisk) Rename(from, _ string) error            { return roErr("rename", from) }
func (readOnlyDisk) Remove(path string) error               { return roErr("remove", path) }
func (readOnlyDisk) Chmod(path string, _ fs.FileMode) error { return roErr("chmod", path) }
func (readOnlyDisk) Exchange(a, _ string) error             { return roErr("exchange", a) }
func roErr(op, path string) error                           { return &fs.PathError{Op: op, Path: path, Err: syscall.EROFS} }

// TestReaderThatCannotRecover: a reader that cannot write the store reads
// past what died before its commit, but refuses a committed change it
// cannot complete, rather than read a machine that may be half replaced;
// the error says what to do.
func TestReaderThatCannotRecover(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	base := filepath.Dir(s.Root)
	// A forced create that died just after its commit.
	r := req("web1")
	r.Force = true
	c, err := s.StageCreate(r)
	if err != nil {
		t.Fatal(err)
	}
	c.t.f.disk = &commitThenCrash{Disk: OSDisk()}
	c.Commit()
	if journals, _ := filepath.Glob(filepath.Join(s.Root, stagingName, "*", journalFile)); len(journals) != 1 {
		t.Fatalf("no committed change left behind: %v", journals)
	}
	ro := &Store{Root: s.Root, Disk: readOnlyDisk{OSDisk()}}
	if _, err := ro.Load("web1"); err == nil || !strings.Contains(err.Error(), "interrupted change") || !strings.Contains(err.Error(), "dockbake ls") {
		t.Errorf("Load on a store it cannot recover: %v", err)
	}
	// Whoever may write completes it.
	if _, err := s.Load("web1"); err != nil {
		t.Fatal(err)
	}
	w, problems := observe(base)
	if len(problems) > 0 || len(w.machines) != 1 {
		t.Errorf("after recovery: %v %v", w.machines, problems)
	}
	// Only what died before its commit: a reader that cannot remove it
	// reads on.
	os.MkdirAll(filepath.Join(s.Root, stagingName, "create-web2-1234"), 0o700)
	if _, err := ro.Load("web1"); err != nil {
		t.Errorf("Load past a stale staging directory: %v", err)
	}
}

// commitThenCrash lets a transaction rename its journal into force, then
// fails everything: the process died at its commit point.
type commitThenCrash struct {
	Disk
	dead bool
}

func (d *commitThenCrash) Rename(from, to string) error {
	if d.dead {
		return errCrashed
	}
	d.dead = filepath.Base(to) == journalFile
	return d.Disk.Rename(from, to)
}

func (d *commitThenCrash) SyncDir(path string) error {
	if d.dead {
		return errCrashed
	}
	return d.Disk.SyncDir(path)
}

func (d *commitThenCrash) Remove(path string) error {
	if d.dead {
		return errCrashed
	}
	return d.Disk.Remove(path)
}
