package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockbake/dockbake/generator"
)

// Store is a dockbake store rooted at a directory.
type Store struct {
	// Root is the store's directory.
	Root string
	// Now is the clock used for new records and certificates.
	Now func() time.Time
	// Disk is the file layer every read and change of the store goes
	// through; nil is the operating system's. A test puts one here that
	// fails, or stops dead, at a chosen step.
	Disk Disk
	// dirs are the directories of the store that one read under the lock
	// (oneRead) found to be directories, not symbolic links, so that it
	// checks the way to each file only once; nil outside such a read.
	dirs map[string]bool
	// deferSync: the store of a Batch, which syncs once before its commit
	// rather than file by file.
	deferSync bool
}

// now is the store's clock: Now, or the wall clock for a Store literal.
func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// DefaultRoot returns $DOCKBAKE_STORAGE_PATH, else ~/.docker/dockbake.
func DefaultRoot(getenv func(string) string) (string, error) {
	return DockerPath(getenv, "DOCKBAKE_STORAGE_PATH", "dockbake")
}

// DockerPath returns the value of the environment variable name, else
// ~/.docker/dir: where the docker CLI (DOCKER_CONFIG), Docker Machine
// (MACHINE_STORAGE_PATH) and dockbake keep their state. An empty dir is
// ~/.docker itself. getenv supplies the variable and $HOME.
func DockerPath(getenv func(string) string, name, dir string) (string, error) {
	if p := getenv(name); p != "" {
		return p, nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("finding the home directory for %s: %w (set %s)", filepath.Join("~", ".docker", dir), err, name)
		}
	}
	return filepath.Join(home, ".docker", dir), nil
}

// Open returns the store at root, creating its directory (0700) if needed.
// An existing directory keeps its mode: it may be one the user shares for
// other things; the store's own subdirectories are 0700 whatever it is.
func Open(root string) (*Store, error) {
	if root == "" {
		// filepath.Abs would make it the working directory.
		return nil, errors.New("storage path is empty: give a directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("storage path %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, dirMode); err != nil {
		return nil, fmt.Errorf("creating store %q: %w", abs, err)
	}
	return &Store{Root: abs, Now: time.Now}, nil
}

// ErrNotFound is returned for a machine or CA that is not in the store.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating what is already there without Force.
var ErrExists = errors.New("already exists")

// ValidateName checks a machine, CA or user name (kind "machine", "CA" or
// "user") against generator's one rule for names. Names become directory
// names, so path separators and dot-dot are refused. The error is a
// *generator.FieldError of the field the name came from.
func ValidateName(kind, name string) error {
	field := generator.FieldName
	switch kind {
	case "CA":
		field = generator.FieldCA
	case "user":
		field = generator.FieldUser
	}
	return generator.CheckName(field, name)
}

// ClientDir is the directory DOCKER_CERT_PATH points at for a machine.
func (s *Store) ClientDir(name string) string { return filepath.Join(s.Root, "machines", name) }

// HostDir holds a machine's record, server key pair and own CA.
func (s *Store) HostDir(name string) string { return filepath.Join(s.Root, "hosts", name) }

// CADir holds a shared CA.
func (s *Store) CADir(name string) string { return filepath.Join(s.Root, "cas", name) }

// Names lists the machines in the store, sorted: those with a host
// directory or a client directory, so that a machine with one of them
// missing, or a symbolic link in its place, is listed, to be found damaged.
func (s *Store) Names() ([]string, error) {
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.names()
}

// names is Names for a caller that holds the lock already. Each of the
// two directories is listed sorted, and the two lists are merged.
func (s *Store) names() ([]string, error) {
	f := s.files()
	var lists [2][]string
	for i, dir := range []string{"hosts", "machines"} {
		entries, err := f.readDir(filepath.Join(s.Root, dir))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		lists[i] = make([]string, 0, len(entries))
		for _, e := range entries {
			if (e.IsDir() || e.Type()&fs.ModeSymlink != 0) && ValidateName("machine", e.Name()) == nil {
				lists[i] = append(lists[i], e.Name())
			}
		}
	}
	return mergeSorted(lists[0], lists[1]), nil
}

// mergeSorted is the sorted union of two sorted lists without repeats.
func mergeSorted(a, b []string) []string {
	out := make([]string, 0, max(len(a), len(b)))
	for len(a) > 0 && len(b) > 0 {
		switch c := strings.Compare(a[0], b[0]); {
		case c < 0:
			out, a = append(out, a[0]), a[1:]
		case c > 0:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// Exists reports whether any part of machine name is in the store. It
// takes no lock: a writer asks it under its own, others only for a hint.
func (s *Store) Exists(name string) bool {
	f := s.files()
	return f.exists(s.HostDir(name)) || f.exists(s.ClientDir(name))
}

// Remove deletes a machine: its client directory, record and keys, in one
// transaction. A shared CA stays.
func (s *Store) Remove(name string) error {
	if err := ValidateName("machine", name); err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if !s.Exists(name) {
		return fmt.Errorf("machine %q: %w", name, ErrNotFound)
	}
	t, err := s.begin("rm-" + name)
	if err != nil {
		return err
	}
	for _, dir := range []string{s.HostDir(name), s.ClientDir(name)} {
		if err := t.remove(dir); err != nil {
			t.discard()
			return err
		}
	}
	return t.commit()
}
