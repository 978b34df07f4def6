package store

import "fmt"

// The store's lock is the file .lock in its root. A writer (create, import,
// rotate, client add, rm) holds it exclusively from before it reads what it
// changes until its last rename; a reader (Load, Names, Clients) holds it
// shared while it reads. So readers run side by side, and none of them ever
// sees a machine between the renames that replace it. Whoever takes it
// first completes or removes what a process that died left in .staging
// (recover.go).

// lockFileName is the name of the lock file in the store's root.
const lockFileName = ".lock"

// lock takes the store's lock for a writer and recovers; the returned
// function releases it. Concurrent creates in one store therefore share one
// CA and never tear files.
func (s *Store) lock() (func(), error) {
	unlock, err := s.takeLock(true)
	if err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// rlock takes the store's lock for a reader; the returned function releases
// it. A reader that finds a change left behind takes the lock alone once
// to recover; where it cannot, and the change was committed, it refuses to
// read a machine that may be half replaced.
func (s *Store) rlock() (func(), error) {
	unlock, err := s.takeLock(false)
	if err != nil {
		return nil, err
	}
	if left, _ := s.staging(); !left {
		return unlock, nil
	}
	unlock()
	rerr := s.recoverAlone()
	if unlock, err = s.takeLock(false); err != nil {
		return nil, err
	}
	if _, committed := s.staging(); committed {
		unlock()
		if rerr != nil {
			return nil, fmt.Errorf("store %s %w (%w)", s.Root, errUnrecovered, rerr)
		}
		return nil, fmt.Errorf("store %s %w", s.Root, errUnrecovered)
	}
	return unlock, nil
}

// lockMachine takes the writer's lock and reads machine name under it, for
// a writer that changes the machine: what it reads cannot change before it
// is done. The returned function releases the lock.
func (s *Store) lockMachine(name string) (*Machine, func(), error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, nil, err
	}
	m, err := s.read(name)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return m, unlock, nil
}
