package store

import (
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Disk is the file layer under a Store. Every change the store makes to its
// directory goes through it, one call per step: make a directory, create a
// file, write it, set its mode, sync it, rename, remove, sync a directory.
// So a test can fail the store, or stop it dead as a kill would, at any
// step and prove that every machine is still whole (docs/reliability.md).
// Reads go through it too, and none follows a symbolic link in the last
// element of its path; the store checks the elements before it.
type Disk interface {
	// Lstat describes path itself, a symbolic link included.
	Lstat(path string) (fs.FileInfo, error)
	// ReadFile reads a regular file.
	ReadFile(path string) ([]byte, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir(path string) ([]fs.DirEntry, error)
	// Mkdir makes one directory.
	Mkdir(path string, mode fs.FileMode) error
	// Create makes a new file, failing if anything is at path.
	Create(path string, mode fs.FileMode) (File, error)
	// Rename moves a file or directory, replacing a file at the target.
	Rename(from, to string) error
	// Remove deletes a file or an empty directory.
	Remove(path string) error
	// Chmod sets the mode of a directory the store made.
	Chmod(path string, mode fs.FileMode) error
	// SyncDir makes the changes of a directory's entries durable.
	SyncDir(path string) error
	// Exchange swaps two directories in one step where the system can;
	// elsewhere it returns an error that is errors.ErrUnsupported.
	Exchange(a, b string) error
}

// NoReplacer is a Disk that can move a file or directory to where nothing
// is, in one step, and refuse otherwise: a commit moves what it staged
// that way, without looking at the target first. Its error is fs.ErrExist
// when something is at the target, errors.ErrUnsupported where the file
// system cannot promise the refusal.
type NoReplacer interface {
	RenameNoReplace(from, to string) error
}

// File is a file the store is writing; each call is one step.
type File interface {
	Write(p []byte) (int, error)
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

// OSDisk returns the operating system's file layer, the one a Store uses
// when its Disk is nil.
func OSDisk() Disk { return osDisk{} }

// osDisk is the operating system's Disk. fileExact and dirExact are the
// permission bits that a new file and a new directory are known to get as
// asked (probed); zero: unknown, so each is chmodded.
type osDisk struct {
	fileExact, dirExact fs.FileMode
}

// exactDir reports whether a directory made with mode surely has it.
func (d osDisk) exactDir(mode fs.FileMode) bool {
	return d.dirExact != 0 && mode.Perm()&^d.dirExact == 0
}

func (osDisk) Lstat(path string) (fs.FileInfo, error) { return os.Lstat(path) }

func (osDisk) ReadFile(path string) ([]byte, error) { return readRegular(path) }

func (osDisk) ReadDir(path string) ([]fs.DirEntry, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	return sortedByName(entries), err
}

// sortedByName sorts entries by name, each name asked for once: a
// comparison of two entries by their Name methods made the sort of a
// directory of ten thousand machines cost more than reading it.
func sortedByName(entries []fs.DirEntry) []fs.DirEntry {
	type named struct {
		name  string
		entry fs.DirEntry
	}
	byName := make([]named, len(entries))
	for i, e := range entries {
		byName[i] = named{e.Name(), e}
	}
	slices.SortFunc(byName, func(a, b named) int { return strings.Compare(a.name, b.name) })
	for i, n := range byName {
		entries[i] = n.entry
	}
	return entries
}

func (osDisk) Mkdir(path string, mode fs.FileMode) error { return os.Mkdir(path, mode) }

func (d osDisk) Create(path string, mode fs.FileMode) (File, error) {
	return createFile(path, mode, d.fileExact)
}

func (osDisk) Rename(from, to string) error { return os.Rename(from, to) }

func (osDisk) Remove(path string) error { return os.Remove(path) }

func (osDisk) Chmod(path string, mode fs.FileMode) error { return os.Chmod(path, mode) }

func (osDisk) SyncDir(path string) error {
	d, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
