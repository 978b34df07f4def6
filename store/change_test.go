package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChangeRendersBeforeItCommits: a staged create's Machine plans and
// reads as the machine will; discarding it leaves the store as it was; a
// second writer waits for the lock the change holds; Commit makes it.
func TestChangeRendersBeforeItCommits(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "keep", "")
	before := tree(t, s.Root)
	c, err := s.StageCreate(req("web1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Machine.Plan(); err != nil {
		t.Errorf("the staged machine does not plan: %v", err)
	}
	if c.Machine.ClientDir != s.ClientDir("web1") || s.Exists("web1") {
		t.Errorf("staged machine's client directory %s; in place already: %v", c.Machine.ClientDir, s.Exists("web1"))
	}
	c.Discard()
	c.Discard() // twice is harmless
	if after := tree(t, s.Root); len(after) != len(before) {
		t.Errorf("a discarded change left files: %d paths, %d before", len(after), len(before))
	}
	if _, err := c.Commit(); !errors.Is(err, errChangeDone) {
		t.Errorf("Commit after Discard: %v", err)
	}

	c, err = s.StageRotate(RotateRequest{Name: "keep", CA: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Create(req("web2")); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("a writer ran while a change held the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	m, err := c.Commit()
	if err != nil || c.Rotation.Machine != m || c.Rotation.CA == nil || m.CAFingerprint == "" {
		t.Fatalf("Commit = %v, %v; rotation %+v", m, err, c.Rotation)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root, stagingName)); len(entries) != 0 {
		t.Errorf(".staging holds %v", entries)
	}
}
