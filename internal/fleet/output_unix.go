//go:build unix

package fleet

import (
	"io/fs"
	"os"
	"syscall"
)

// writeTemp writes data (a private key is in it: 0600) to path's
// temporary file, unsynced: apply syncs once for all of them.
func writeTemp(path string, data []byte) error {
	tmp := tempOf(path)
	// Apply removed every temporary file of a killed apply first; one here
	// now is of this apply's own, and is replaced.
	// One open(2), without os.OpenFile's poller registration: this runs
	// once per machine.
	fd, err := syscall.Open(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return &fs.PathError{Op: "open", Path: tmp, Err: err}
	}
	err = writeFD(fd, data)
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return &fs.PathError{Op: "write", Path: tmp, Err: err}
	}
	return nil
}

// writeFD writes all of data to fd with write(2), without os.NewFile's
// look at the descriptor's flags.
func writeFD(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// renameFile moves the file from to to, replacing a file there, with one
// rename(2): os.Rename looks at to first, to refuse replacing a
// directory, which rename(2) of a file refuses all the same.
func renameFile(from, to string) error {
	for {
		err := syscall.Rename(from, to)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
		}
		return nil
	}
}
