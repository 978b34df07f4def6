package store

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Exchange swaps a and b with renameat2(2)'s RENAME_EXCHANGE. A file
// system or kernel without it reports errors.ErrUnsupported.
func (osDisk) Exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		err = errors.ErrUnsupported
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return nil
}
