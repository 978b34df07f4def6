package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentCommands runs creates, forced creates, removals, every kind
// of rotation, client adds and readers side by side on one store and few
// names, so that they collide. The only errors allowed are the expected
// ones (a machine that exists, or is not there); every read sees whole
// machines, and in the end every machine is whole and .staging is empty.
func TestConcurrentCommands(t *testing.T) {
	s := testStore(t)
	out := t.TempDir()
	const workers, rounds = 6, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range rounds {
				err := randomCommand(s, r, filepath.Join(out, fmt.Sprintf("w%d-%d", w, i)))
				if err != nil && !errors.Is(err, ErrExists) && !errors.Is(err, ErrNotFound) {
					errs <- fmt.Errorf("worker %d, round %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, err := s.Names()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, problems, err := s.Check(n); err != nil || len(problems) > 0 {
			t.Errorf("machine %s: %v %v", n, err, problems)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root, stagingName)); len(entries) > 0 {
		t.Errorf(".staging holds %d entries", len(entries))
	}
	t.Logf("%d machines at the end", len(names))
}

// randomCommand runs one command, chosen by r, on one of three machines.
// A reader checks what it reads.
func randomCommand(s *Store, r *rand.Rand, dir string) error {
	name := []string{"a", "b", "c"}[r.IntN(3)]
	switch r.IntN(8) {
	case 0:
		_, err := s.Create(req(name))
		return err
	case 1:
		cr := req(name)
		cr.Force, cr.CA = true, []string{"", "fleet"}[r.IntN(2)]
		_, err := s.Create(cr)
		return err
	case 2:
		return s.Remove(name)
	case 3:
		_, err := s.Rotate(RotateRequest{Name: name, Client: r.IntN(2) == 0, CA: r.IntN(3) == 0})
		return err
	case 4:
		_, err := s.AddClient(ClientRequest{Machine: name, User: []string{"alice", "bob"}[r.IntN(2)], Dir: dir, Force: true})
		return err
	case 5:
		_, problems, err := s.Check(name)
		if len(problems) > 0 {
			return fmt.Errorf("a reader saw machine %s damaged: %v", name, problems)
		}
		return err
	case 6:
		return readWhole(s, name)
	}
	_, err := s.Names()
	return err
}
