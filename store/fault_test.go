package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// faultDisk is the operating system's Disk with a fault at one step. Every
// call that changes the disk is a step, numbered from 1. In fail mode step
// `at` returns errno and the rest run, as after a full disk or an I/O
// error. In crash mode step `at` does not happen, nor does anything after
// it, reads included: the process is dead. A crash at a write writes half
// of the data first, as a torn write would.
type faultDisk struct {
	Disk
	at    int
	crash bool
	errno error

	mu    sync.Mutex
	steps int
	dead  bool
	log   []string
}

// errCrashed is what a dead process's calls return; errCrashedHere is the
// call it died in.
var (
	errCrashed     = errors.New("crashed (fault injection)")
	errCrashedHere = fmt.Errorf("%w here", errCrashed)
)

func newFaultDisk(at int, crash bool) *faultDisk {
	return &faultDisk{Disk: OSDisk(), at: at, crash: crash, errno: syscall.EIO}
}

// step counts a change; it returns the injected error at step `at`, and
// errCrashed for everything after a crash.
func (d *faultDisk) step(what, path string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		return errCrashed
	}
	d.steps++
	d.log = append(d.log, what+" "+path)
	if d.steps != d.at {
		return nil
	}
	if d.crash {
		d.dead = true
		return errCrashedHere
	}
	return &fs.PathError{Op: what, Path: path, Err: d.errno}
}

// alive fails a read of a dead process.
func (d *faultDisk) alive() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		return errCrashed
	}
	return nil
}

func (d *faultDisk) Lstat(path string) (fs.FileInfo, error) {
	if err := d.alive(); err != nil {
		return nil, err
	}
	return d.Disk.Lstat(path)
}

func (d *faultDisk) ReadFile(path string) ([]byte, error) {
	if err := d.alive(); err != nil {
		return nil, err
	}
	return d.Disk.ReadFile(path)
}

func (d *faultDisk) ReadDir(path string) ([]fs.DirEntry, error) {
	if err := d.alive(); err != nil {
		return nil, err
	}
	return d.Disk.ReadDir(path)
}

func (d *faultDisk) Mkdir(path string, mode fs.FileMode) error {
	if err := d.step("mkdir", path); err != nil {
		return err
	}
	return d.Disk.Mkdir(path, mode)
}

func (d *faultDisk) Create(path string, mode fs.FileMode) (File, error) {
	if err := d.step("create", path); err != nil {
		return nil, err
	}
	f, err := d.Disk.Create(path, mode)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, d: d, path: path}, nil
}

func (d *faultDisk) Rename(from, to string) error {
	if err := d.step("rename", from+" -> "+to); err != nil {
		return err
	}
	return d.Disk.Rename(from, to)
}

func (d *faultDisk) Remove(path string) error {
	if err := d.step("remove", path); err != nil {
		return err
	}
	return d.Disk.Remove(path)
}

func (d *faultDisk) Chmod(path string, mode fs.FileMode) error {
	if err := d.step("chmod", path); err != nil {
		return err
	}
	return d.Disk.Chmod(path, mode)
}

func (d *faultDisk) Exchange(a, b string) error {
	if err := d.step("exchange", a+" <-> "+b); err != nil {
		return err
	}
	return d.Disk.Exchange(a, b)
}

// SyncDir and Sync count as steps but do not sync: syncing matters after a
// power loss, which these tests do not simulate, and it is the slowest
// step by far.
func (d *faultDisk) SyncDir(path string) error {
	return d.step("syncdir", path)
}

type faultFile struct {
	File
	d    *faultDisk
	path string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.d.step("write", f.path); err != nil {
		if errors.Is(err, errCrashedHere) {
			f.File.Write(p[:len(p)/2]) // torn
		}
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultFile) Chmod(mode fs.FileMode) error {
	if err := f.d.step("fchmod", f.path); err != nil {
		return err
	}
	return f.File.Chmod(mode)
}

func (f *faultFile) Sync() error { return f.d.step("fsync", f.path) }

// Close is no step, but a dead process's file is closed all the same, as
// the kernel would.
func (f *faultFile) Close() error {
	err := f.File.Close()
	if aerr := f.d.alive(); aerr != nil {
		return aerr
	}
	return err
}

// copyTree copies the directory src to dst, modes kept: a fresh copy of a
// prepared store for each fault.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}
