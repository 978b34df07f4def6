//go:build unix || windows

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// takeLock locks the lock file, exclusively for a writer and shared for a
// reader. The operating system releases the lock when the process ends,
// however it ends.
func (s *Store) takeLock(exclusive bool) (func(), error) {
	path := filepath.Join(s.Root, lockFileName)
	// O_NOFOLLOW: a lock file that is a symbolic link is refused, never
	// created or truncated through.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil && !exclusive {
		// A reader may read a store it cannot write: the lock file opened
		// read-only locks as well. Where there is no lock file and none can
		// be made, no writer has ever run, and there is nothing to lock.
		f, err = os.OpenFile(path, os.O_RDONLY|noFollow, 0)
		if errors.Is(err, fs.ErrNotExist) {
			return func() {}, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("opening store lock: %w", err)
	}
	if err := lockFile(f, exclusive); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking store %s: %w", s.Root, err)
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}

// tryLock opens (creating it) the lock file path and locks it if nobody
// holds it: it returns the release, or nil while somebody holds it. The
// file stays; only its lock matters.
func (f files) tryLock(path string) (func(), error) {
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, err
	}
	ok, err := tryLockFile(lf)
	if err != nil || !ok {
		lf.Close()
		return nil, err
	}
	return func() {
		unlockFile(lf)
		lf.Close()
	}, nil
}
