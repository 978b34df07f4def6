//go:build !unix && !windows

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// takeLock takes the store's lock where the system locks no files: the lock
// is a file created exclusively and removed on release, and readers take it
// as writers do, one at a time.
func (s *Store) takeLock(bool) (func(), error) {
	path := filepath.Join(s.Root, lockFileName)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !os.IsExist(err) {
			return nil, fmt.Errorf("locking store %s: %w", s.Root, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("store %s is locked: if no other dockbake is running, remove %s", s.Root, path)
		}
	}
}

// tryLock creates the lock file path exclusively, where the system locks
// no files: it returns the release, which removes it, or nil while it
// exists. A killed process leaves it behind, for a user to remove.
func (f files) tryLock(path string) (func(), error) {
	lf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if os.IsExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lf.Close()
	return func() { os.Remove(path) }, nil
}
