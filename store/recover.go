package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Recovery runs whenever the store's lock is taken and .staging is not
// empty. Every writer stages only while it holds the lock alone, so what
// the next holder finds there was left by a process that died: a
// committed transaction is rolled forward, anything else, private keys
// included, is removed.

// recover completes or removes every transaction left in .staging. The
// caller holds the store's lock alone.
func (s *Store) recover() error {
	f := s.files()
	base := filepath.Join(s.Root, stagingName)
	entries, err := f.readDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := recoverOne(f, filepath.Join(base, e.Name())); err != nil {
			return fmt.Errorf("completing an interrupted change in %s: %w", filepath.Join(base, e.Name()), err)
		}
	}
	return nil
}

// recoverOne rolls a committed transaction forward, then removes its
// directory; an uncommitted one is only removed.
func recoverOne(f files, dir string) error {
	if fi, err := f.lstat(dir); err != nil || !fi.IsDir() {
		return f.removeAll(dir)
	}
	j, err := readJournal(f, dir)
	if err != nil {
		return err
	}
	if j != nil {
		t := &txn{f: f, dir: dir, ops: j.Ops, done: true}
		if err := t.apply(); err != nil {
			return err
		}
		if err := f.disk.Remove(filepath.Join(dir, journalFile)); err != nil {
			return err
		}
	}
	return f.removeAll(dir)
}

// staging tells what a reader finds in .staging: nothing, only what died
// before its commit, or a committed change to complete.
func (s *Store) staging() (left, committed bool) {
	f := s.files()
	base := filepath.Join(s.Root, stagingName)
	entries, err := f.readDir(base)
	if err != nil {
		return false, false
	}
	for _, e := range entries {
		if f.exists(filepath.Join(base, e.Name(), journalFile)) {
			return true, true
		}
	}
	return len(entries) > 0, false
}

// recoverAlone takes the lock alone to recover, for a reader that found
// something in .staging.
func (s *Store) recoverAlone() error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	unlock()
	return nil
}

// errUnrecovered is the error of a reader that finds a committed change it
// cannot complete, most likely in a store it may not write.
var errUnrecovered = errors.New("holds an interrupted change that must be completed before its machines can be read: run dockbake ls as a user who may write the store")
