//go:build unix

package store

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// statSupported: List compares files by their stat(2) here.
const statSupported = true

// stateOf is the part of st that List compares.
func stateOf(st *unix.Stat_t) fileState {
	return fileState{
		dev: uint64(st.Dev), ino: uint64(st.Ino), mode: uint32(st.Mode), size: st.Size,
		mtime: unix.TimespecToNsec(st.Mtim), ctime: unix.TimespecToNsec(st.Ctim),
	}
}

// stateTree is the state of directory rel below root and of its entries,
// and of its subdirectories down to depth levels. A symbolic link where a
// directory should be is an error (O_NOFOLLOW).
func stateTree(root, rel string, depth int) ([]dirState, error) {
	f, err := os.OpenFile(filepath.Join(root, rel), os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fd := int(f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	d := dirState{rel: rel, self: stateOf(&st)}
	var below []dirState
	for _, name := range names {
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, err
		}
		d.entries = append(d.entries, entryState{name: name, state: stateOf(&st)})
		if st.Mode&unix.S_IFMT == unix.S_IFDIR && depth > 1 {
			sub, err := stateTree(root, filepath.Join(rel, name), depth-1)
			if err != nil {
				return nil, err
			}
			below = append(below, sub...)
		}
	}
	return append([]dirState{d}, below...), nil
}

// mapFile maps the regular file at path into memory, read-only, for the
// rest of the process: the cache of a store of ten thousand machines is
// megabytes, which a read would first clear and then copy. The file is
// replaced only by rename, so the mapped one never changes.
func mapFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size == 0 || st.Size > 1<<30 {
		return nil, errListCache
	}
	return unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ, unix.MAP_PRIVATE)
}

// tops are the directories at the top of the store (hosts, machines,
// cas), opened once for a List: each file of a machine is then looked at
// with one fstatat(2) from there, a short walk.
type tops struct {
	fds [len(topDirs)]int // -1 where the directory is not there
	// local: every top directory is on a local file system, where List
	// makes its fstatat calls without the Go scheduler's bookkeeping
	// (fstatat, onLocalDisk).
	local bool
}

// topDirs: hosts and machines first, as in topStates.
var topDirs = [...]string{"hosts", "machines", "cas"}

// openTops opens the top directories of the store at root that are there.
func openTops(root string) *tops {
	t := &tops{local: true}
	for i, d := range topDirs {
		fd, err := unix.Open(filepath.Join(root, d), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			t.fds[i] = -1
			continue
		}
		t.fds[i] = fd
		t.local = t.local && onLocalDisk(fd)
	}
	return t
}

func (t *tops) close() {
	for _, fd := range t.fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// states is the state of the hosts and the machines directory, as
// opened; ok is false unless both are there.
func (t *tops) states() (states topStates, ok bool) {
	for i := range states {
		var st unix.Stat_t
		if t.fds[i] < 0 || unix.Fstat(t.fds[i], &st) != nil {
			return topStates{}, false
		}
		states[i] = stateOf(&st)
	}
	return states, true
}

// look is the state of entry name of directory rel below the store, or
// of the directory itself for an empty name: one fstatat(2) from the top
// directory, its path made on the stack. None goes through a symbolic
// link unnoticed: a directory's own state (a directory, its inode) is
// compared before its entries'.
func (t *tops) look(rel, name []byte) (fileState, bool) {
	top, rest, ok := bytes.Cut(rel, []byte{filepath.Separator})
	fd := -1
	for i, d := range topDirs {
		if string(top) == d {
			fd = t.fds[i]
		}
	}
	if !ok || fd < 0 {
		return fileState{}, false
	}
	var buf [128]byte
	path := append(buf[:0], rest...)
	if len(name) > 0 {
		path = append(append(path, filepath.Separator), name...)
	}
	if bytes.IndexByte(path, 0) >= 0 {
		return fileState{}, false
	}
	var st unix.Stat_t
	if fstatat(fd, append(path, 0), &st, t.local) != nil {
		return fileState{}, false
	}
	return stateOf(&st), true
}
