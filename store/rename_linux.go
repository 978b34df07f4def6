package store

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// rename moves from to to as os.Rename does. os.Rename looks at the target
// first, one more system call, to refuse replacing a directory; here the
// move is first tried with renameat2(2)'s RENAME_NOREPLACE, which fails
// if anything is at the target, and only then, or where the file system
// lacks it, made by os.Rename. A move to where nothing is, as a commit's
// every move, is then one call.
func rename(from, to string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EEXIST), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
			return os.Rename(from, to)
		}
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
}

// RenameNoReplace moves from to to where nothing is, in one step: with
// something at to, the error is fs.ErrExist; where the file system cannot
// promise it, errors.ErrUnsupported.
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
