package store

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// Checked is one machine as CheckAll found it: what Check returns for it.
type Checked struct {
	Name string
	// Machine is nil when its record is among the Problems.
	Machine  *Machine
	Problems []error
}

// CheckAll checks every machine of the store as Check checks one, sorted
// by name, under one hold of the store's shared lock: a listing is one
// moment of the store, and taking the lock once, not once a machine, keeps
// a store of thousands quick. The machines are checked on every CPU, since
// most of the time goes into verifying their certificates. err is for a
// store that cannot be read; a damaged machine is one with Problems.
func (s *Store) CheckAll() ([]Checked, error) {
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	names, err := s.names()
	if err != nil {
		return nil, err
	}
	out := make([]Checked, len(names))
	errs := make([]error, len(names))
	s.onEveryCPU(len(names), func(w *Store, i int) { out[i], errs[i] = w.checkLocked(names[i]) })
	return found(out, errs)
}

// onEveryCPU calls f for 0 to n-1, on as many goroutines as there are
// CPUs, each with its own oneRead of the store.
func (s *Store) onEveryCPU(n int, f func(w *Store, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		w := s.oneRead()
		wg.Go(func() {
			for {
				hi := int(next.Add(cpuChunk))
				lo := hi - cpuChunk
				if lo >= n {
					return
				}
				for i := lo; i < min(hi, n); i++ {
					f(w, i)
				}
			}
		})
	}
	wg.Wait()
}

// cpuChunk is how many machines a goroutine of onEveryCPU takes at a
// time: a handful, so that no goroutine waits long for the others at
// the end, and so few hand-overs that they cost nothing beside a
// machine's system calls.
const cpuChunk = 8

// found drops from a listing the machines that were not there (a name
// whose directories are neither a record nor a machine's) and returns the
// first error that stops the listing.
func found(checked []Checked, errs []error) ([]Checked, error) {
	out := checked[:0]
	for i, c := range checked {
		switch err := errs[i]; {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// oneRead is a copy of the store for one read under the lock, which checks
// the directories on the way to each file of the store once, not once a
// file: a Load reads a dozen files and more in the same two directories,
// and each check is a system call for each directory.
func (s *Store) oneRead() *Store {
	r := *s
	r.dirs = map[string]bool{}
	return &r
}
