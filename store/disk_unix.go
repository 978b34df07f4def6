//go:build unix

package store

import (
	"io/fs"
	"path/filepath"
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
// one open(2) and no more: os.OpenFile and os.NewFile would also ask the
// file's flags and try to register it with the poller, which a batch of
// thousands of files feels. exact are the permission bits a new file gets
// as asked (creationModes); its Chmod to the mode it was made with is then
// no call at all.
func createFile(path string, mode, exact fs.FileMode) (File, error) {
	fd, err := ignoringEINTR(func() (int, error) {
		return syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC|noFollow, uint32(mode.Perm()))
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &rawFile{fd: fd, path: path, made: mode.Perm(), exact: exact != 0 && mode.Perm()&^exact == 0}, nil
}

// rawFile is a file being written with plain system calls, one each.
type rawFile struct {
	fd    int
	path  string
	made  fs.FileMode // the mode it was created with
	exact bool        // and got: no umask or default ACL narrowed it
}

func (f *rawFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := ignoringEINTR(func() (int, error) { return syscall.Write(f.fd, p[n:]) })
		if err != nil {
			return n, &fs.PathError{Op: "write", Path: f.path, Err: err}
		}
		n += m
	}
	return n, nil
}

// Chmod sets mode, unless the file was made with it exactly.
func (f *rawFile) Chmod(mode fs.FileMode) error {
	if f.exact && mode.Perm() == f.made && mode&^fs.ModePerm == 0 {
		return nil
	}
	if err := ignoringEINTRErr(func() error { return syscall.Fchmod(f.fd, uint32(mode.Perm())) }); err != nil {
		return &fs.PathError{Op: "chmod", Path: f.path, Err: err}
	}
	return nil
}

func (f *rawFile) Sync() error {
	if err := ignoringEINTRErr(func() error { return syscall.Fsync(f.fd) }); err != nil {
		return &fs.PathError{Op: "sync", Path: f.path, Err: err}
	}
	return nil
}

// Close closes the file once; a second call reports os.ErrClosed.
func (f *rawFile) Close() error {
	if f.fd < 0 {
		return &fs.PathError{Op: "close", Path: f.path, Err: fs.ErrClosed}
	}
	fd := f.fd
	f.fd = -1
	// close(2) is not repeated on EINTR: on Linux the descriptor is gone.
	if err := syscall.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}

// ignoringEINTRErr repeats a system call without a result that a signal
// interrupted.
func ignoringEINTRErr(call func() error) error {
	for {
		if err := call(); err != syscall.EINTR {
			return err
		}
	}
}

// probed finds out whether a file and a directory made in dir get their
// store modes as asked, and returns the disk that knows it. The umask or
// a default ACL of dir can narrow a new file's mode, and a store file must
// have its mode exactly (a certificate stays readable), so each file is
// chmodded after it is made; where the probe finds nothing narrowed, that
// call is spared. The probe makes a file and a directory and looks at
// them, a handful of calls once, where a batch of thousands of files
// would chmod each. Whatever goes wrong leaves the disk that chmods.
func (d osDisk) probed(dir string) osDisk {
	d.fileExact, d.dirExact = 0, 0
	p := filepath.Join(dir, ".modes-"+randomSuffix())
	fd, err := ignoringEINTR(func() (int, error) {
		return syscall.Open(p, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC|noFollow, uint32(certMode))
	})
	if err != nil {
		return d
	}
	var st syscall.Stat_t
	serr := syscall.Fstat(fd, &st)
	syscall.Close(fd)
	if syscall.Unlink(p) != nil || serr != nil || fs.FileMode(st.Mode).Perm() != certMode {
		return d
	}
	if syscall.Mkdir(p, uint32(dirMode)) != nil {
		return d
	}
	serr = syscall.Lstat(p, &st)
	if syscall.Rmdir(p) != nil || serr != nil || fs.FileMode(st.Mode).Perm() != dirMode {
		return d
	}
	d.fileExact, d.dirExact = certMode, dirMode
	return d
}
