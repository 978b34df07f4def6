//go:build linux && (amd64 || arm64)

package store

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawStat: List stats with raw system calls on a local disk here.
const rawStat = true

// fstatat is fstatat(2) of path, NUL-terminated, below directory fd,
// not following a symbolic link at its end. raw makes the call without
// the Go scheduler's bookkeeping around a system call (entersyscall and
// exitsyscall), which costs a third as much as the call itself: on two
// CPUs 1.6-1.7 µs a call raw, 2.3-2.4 µs with it (BenchmarkFstatat). A
// raw call that waits holds its thread's P, so raw is only for a file
// system on a local disk, where a stat waits for the disk at most
// (onLocalDisk); on a network file system it could wait on a server.
func fstatat(fd int, path []byte, st *unix.Stat_t, raw bool) error {
	// Two direct calls, not one through a function value: only a direct
	// call keeps path and st alive and in place while the kernel uses them.
	var errno unix.Errno
	if raw {
		_, _, errno = unix.RawSyscall6(unix.SYS_NEWFSTATAT, uintptr(fd), uintptr(unsafe.Pointer(&path[0])),
			uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	} else {
		_, _, errno = unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(fd), uintptr(unsafe.Pointer(&path[0])),
			uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// onLocalDisk reports whether the directory open at fd is on a file
// system of a local disk or of memory, whose stat never waits on a
// network.
func onLocalDisk(fd int) bool {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil {
		return false
	}
	switch uint32(fs.Type) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.TMPFS_MAGIC,
		unix.F2FS_SUPER_MAGIC, unix.OVERLAYFS_SUPER_MAGIC, unix.RAMFS_MAGIC, 0x2fc12fc1: // ZFS
		return true
	}
	return false
}
