//go:build unix

package store

import (
	"io/fs"
	"os"
	"syscall"
)

// noFollow makes an open fail on a symbolic link rather than follow it.
const noFollow = syscall.O_NOFOLLOW

// readRegular reads the regular file at path, refusing a symbolic link
// there (O_NOFOLLOW) and anything that is not a regular file: a FIFO or a
// device would block or never end. It calls the system directly: os.Open
// registers each file with the runtime's poller, which a regular file
// refuses, several system calls each time, and `ls` of a store of
// thousands of machines reads tens of thousands of files.
func readRegular(path string) ([]byte, error) {
	fd, err := ignoringEINTR(func() (int, error) { return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|noFollow, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errNotRegular}
	}
	// One byte more than its size: a short read of a regular file is its
	// end, so a file that has not grown since is read in one call.
	data := make([]byte, 0, st.Size+1)
	for {
		n, err := ignoringEINTR(func() (int, error) { return syscall.Read(fd, data[len(data):cap(data)]) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		data = data[:len(data)+n]
		if n == 0 || len(data) < cap(data) {
			return data, nil
		}
		data = append(data, 0)[:len(data)] // grown since the stat: room for more
	}
}

// ignoringEINTR repeats a system call that a signal interrupted.
func ignoringEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// createFile makes a new file at path, failing if anything is there, with
// one open(2): os.OpenFile would also try to register the file with the
// poller, four more system calls for a regular file, which a batch of
// thousands of files feels.
func createFile(path string, mode fs.FileMode) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC|noFollow, uint32(mode.Perm()))
	for err == syscall.EINTR {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC|noFollow, uint32(mode.Perm()))
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
