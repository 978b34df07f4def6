package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File modes of the store.
const (
	dirMode  fs.FileMode = 0o700
	keyMode  fs.FileMode = 0o600
	certMode fs.FileMode = 0o644
)

// ErrSymlink is the error of a symbolic link inside the store. The store
// makes none, so one there was put by someone else, and following it could
// read or write a file anywhere.
var ErrSymlink = errors.New("is a symbolic link, which the store never makes and never follows: put the file or directory itself there")

// errNotRegular is the error of reading something that is not a file.
var errNotRegular = errors.New("not a regular file")

// files is the store's view of its Disk: a path inside the root is
// refused if any of its elements below the root is a symbolic link. Paths
// outside the root (a directory for a teammate) are the user's to choose.
type files struct {
	root string
	disk Disk
	// deferSync leaves files unsynced as they are written: a batch
	// (batch.go) syncs its whole file system once before its commit.
	deferSync bool
	// dirs, in a batch or one read under the lock (the Store's copy of
	// BeginBatch or oneRead), are the directories of the store check has
	// found to be directories: it does not look at them again. The lock is
	// held, and nothing under it replaces them with a link. nil elsewhere.
	dirs map[string]bool
}

// files returns the store's file layer.
func (s *Store) files() files {
	d := s.Disk
	if d == nil {
		d = osDisk{}
	}
	return files{root: s.Root, disk: d, deferSync: s.deferSync, dirs: s.dirs}
}

// check refuses a path of the store that passes through, or is, a
// symbolic link.
func (f files) check(path string) error {
	if f.root == "" || !inside(f.root, path) {
		return nil
	}
	rel, err := filepath.Rel(f.root, path)
	if err != nil || rel == "." {
		return err
	}
	p := f.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		if f.dirs[p] {
			continue
		}
		fi, err := f.disk.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &CorruptError{Path: p, Err: ErrSymlink}
		}
		if f.dirs != nil && fi.IsDir() {
			f.dirs[p] = true
		}
	}
	return nil
}

func (f files) lstat(path string) (fs.FileInfo, error) {
	if f.dirs[filepath.Dir(path)] {
		return f.lstatLast(path)
	}
	if err := f.check(path); err != nil {
		return nil, err
	}
	return f.disk.Lstat(path)
}

// lstatLast is lstat for a batch or one read, on a path whose directory
// check has seen: only its last element is looked at, once.
func (f files) lstatLast(path string) (fs.FileInfo, error) {
	fi, err := f.disk.Lstat(path)
	switch {
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, &CorruptError{Path: path, Err: ErrSymlink}
	case fi.IsDir():
		f.dirs[path] = true
	}
	return fi, nil
}

// exists reports whether anything is at path. What cannot be inspected
// counts as there, so that no caller overwrites, or passes over, it.
func (f files) exists(path string) bool {
	_, err := f.lstat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

func (f files) readFile(path string) ([]byte, error) {
	if err := f.check(path); err != nil {
		return nil, err
	}
	return f.disk.ReadFile(path)
}

func (f files) readDir(path string) ([]fs.DirEntry, error) {
	if err := f.check(path); err != nil {
		return nil, err
	}
	return f.disk.ReadDir(path)
}

// writeNew creates path with mode, failing if anything is there, and syncs
// it. A file that could not be written whole is removed.
func (f files) writeNew(path string, data []byte, mode fs.FileMode) error {
	if err := f.check(filepath.Dir(path)); err != nil {
		return err
	}
	w, err := f.disk.Create(path, mode)
	if err != nil {
		return err
	}
	if err := writeAll(w, data, mode, !f.deferSync); err != nil {
		w.Close()
		f.disk.Remove(path)
		return err
	}
	if err := w.Close(); err != nil {
		f.disk.Remove(path)
		return err
	}
	return nil
}

// writeAll writes data, sets mode (the umask may have narrowed it, and
// certificates must stay readable) and syncs, unless told not to.
func writeAll(w File, data []byte, mode fs.FileMode, sync bool) error {
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Chmod(mode); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	return w.Sync()
}

// writeAtomic replaces path with data through a synced temporary file in
// the same directory, so that readers see the old or the new content,
// never a torn file.
func (f files) writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+randomSuffix())
	if err := f.writeNew(tmp, data, mode); err != nil {
		return err
	}
	if err := f.rename(tmp, path); err != nil {
		f.disk.Remove(tmp)
		return err
	}
	return f.disk.SyncDir(filepath.Dir(path))
}

// WriteFileAtomic replaces path with data through a synced temporary file in
// the same directory, so readers see the old or the new content, never a
// torn file.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	return files{disk: osDisk{}}.writeAtomic(path, data, mode)
}

// rename moves from to to. A rename never follows a link at either end, so
// only the directories on the way are checked.
func (f files) rename(from, to string) error {
	if err := f.check(filepath.Dir(from)); err != nil {
		return err
	}
	if err := f.check(filepath.Dir(to)); err != nil {
		return err
	}
	return f.disk.Rename(from, to)
}

// mkdirAll makes dir and the parents it lacks with mode.
func (f files) mkdirAll(dir string, mode fs.FileMode) error {
	if f.dirs[dir] {
		return nil
	}
	fi, err := f.lstat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := f.mkdirAll(parent, mode); err != nil {
			return err
		}
	}
	if err := f.disk.Mkdir(dir, mode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// mkdirPrivate makes dir (and parents) 0700 and tightens an existing one.
func (f files) mkdirPrivate(dir string) error {
	if err := f.mkdirAll(dir, dirMode); err != nil {
		return err
	}
	fi, err := f.lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() != dirMode {
		return f.disk.Chmod(dir, dirMode)
	}
	return nil
}

// mkdirStaged makes dir 0700: a new directory of a transaction, under its
// own directory, which no other name uses. Where the disk is known to make
// a directory with that mode exactly (osDisk.probed) it is not looked at.
func (f files) mkdirStaged(dir string) error {
	if err := f.check(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := f.disk.Mkdir(dir, dirMode); err != nil {
		return err
	}
	if d, ok := f.disk.(osDisk); ok && d.exactDir(dirMode) {
		if f.dirs != nil {
			f.dirs[dir] = true
		}
		return nil
	}
	return f.mkdirPrivate(dir)
}

// removeAll deletes path and everything below it, one entry at a time,
// keys first: a removal cut short leaves certificates, which are public,
// never a key without its certificate. A missing path is no error.
func (f files) removeAll(path string) error {
	// A link itself is removed, never what it points at.
	if err := f.check(filepath.Dir(path)); err != nil {
		return err
	}
	fi, err := f.disk.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		entries, err := f.readDir(path)
		if err != nil {
			return err
		}
		slices.SortStableFunc(entries, func(a, b fs.DirEntry) int {
			return cmpBool(isKeyName(b.Name()), isKeyName(a.Name()))
		})
		for _, e := range entries {
			if err := f.removeAll(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := f.disk.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// isKeyName reports whether a store file name is that of a private key.
func isKeyName(name string) bool { return strings.HasSuffix(name, "key.pem") }

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// syncTree syncs every directory from dir down, so that the entries of a
// staged tree are durable before it is committed. Files are synced as
// they are written.
func (f files) syncTree(dir string) error {
	fi, err := f.lstat(dir)
	if err != nil || !fi.IsDir() {
		return err
	}
	entries, err := f.readDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := f.syncTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return f.disk.SyncDir(dir)
}

func randomSuffix() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// PathExists reports whether path exists; errors other than "not found"
// count as existing, so that a caller never overwrites, or passes over, what
// it could not inspect.
func PathExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil || !os.IsNotExist(err)
}
