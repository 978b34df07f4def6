//go:build !linux

package store

import (
	"io/fs"
	"os"
	"path/filepath"
)

// SyncFS makes the files and directories below path durable, one fsync
// each: there is no syncfs(2) here.
func (osDisk) SyncFS(path string) error {
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
