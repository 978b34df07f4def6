//go:build unix && !(linux && (amd64 || arm64))

package store

import "golang.org/x/sys/unix"

// rawStat: List makes every system call the ordinary way here.
const rawStat = false

// fstatat is fstatat(2) of path, NUL-terminated, below directory fd, not
// following a symbolic link at its end; raw is for Linux (fstatat_linux.go).
func fstatat(fd int, path []byte, st *unix.Stat_t, raw bool) error {
	return unix.Fstatat(fd, string(path[:len(path)-1]), st, unix.AT_SYMLINK_NOFOLLOW)
}

// onLocalDisk: raw system calls are Linux's only.
func onLocalDisk(fd int) bool { return false }
