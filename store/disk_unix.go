//go:build unix

package store

import (
	"io/fs"
	"os"
	"syscall"
)

// noFollow makes an open fail on a symbolic link rather than follow it.
const noFollow = syscall.O_NOFOLLOW

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
