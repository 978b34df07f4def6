//go:build !unix

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lock takes the store's exclusive lock where flock(2) is not available: the
// lock is a file created exclusively and removed on release.
func (s *Store) lock() (func(), error) {
	path := filepath.Join(s.Root, ".lock")
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
