//go:build !unix

package store

import (
	"io/fs"
	"os"
)

// noFollow is 0 where open(2) has no O_NOFOLLOW: the store's Lstat of
// every element of a path refuses a symbolic link there.
const noFollow = 0

// createFile makes a new file at path, failing if anything is there.
func createFile(path string, mode fs.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, mode)
}
