package store

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// RenameNoReplace moves from to to where nothing is, with one
// renameat2(2) and its RENAME_NOREPLACE: os.Rename would look at the
// target first, and then replace a file there. With something at to the
// error is fs.ErrExist; where the file system cannot promise the refusal,
// errors.ErrUnsupported.
func (osDisk) RenameNoReplace(from, to string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
			err = errors.ErrUnsupported
		}
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
}
