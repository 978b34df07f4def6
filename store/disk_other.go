//go:build !unix

package store

import (
	"io"
	"io/fs"
	"os"
)

// noFollow is 0 where open(2) has no O_NOFOLLOW: the store's Lstat of
// every element of a path refuses a symbolic link there.
const noFollow = 0

// readRegular reads the regular file at path, refusing anything that is
// not a regular file: a FIFO or a device would block or never end.
func readRegular(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errNotRegular}
	}
	return io.ReadAll(f)
}

// createFile makes a new file at path, failing if anything is there.
func createFile(path string, mode, _ fs.FileMode) (File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, mode)
}

// probed returns the disk as it is: here every new file is chmodded.
func (d osDisk) probed(string) osDisk { return d }
