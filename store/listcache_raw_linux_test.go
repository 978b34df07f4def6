package store

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestOnLocalDisk: raw system calls are for file systems of a local disk
// or of memory (a tmpfs), not for others, such as /proc.
func TestOnLocalDisk(t *testing.T) {
	for _, c := range []struct {
		dir   string
		fs    int64
		local bool
	}{{"/dev/shm", unix.TMPFS_MAGIC, rawStat}, {"/proc", unix.PROC_SUPER_MAGIC, false}} {
		var fs unix.Statfs_t
		if unix.Statfs(c.dir, &fs) != nil || int64(fs.Type) != c.fs {
			t.Logf("%s is not there, or not the usual file system", c.dir)
			continue
		}
		fd, err := unix.Open(c.dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := onLocalDisk(fd); got != c.local {
			t.Errorf("onLocalDisk(%s) = %v, want %v", c.dir, got, c.local)
		}
		unix.Close(fd)
	}
}
