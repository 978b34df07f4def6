package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
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

// BenchmarkFstatat is one fstatat(2) of a file ten thousand others sit
// beside, as List makes them, on every CPU: made raw (on a local disk)
// and the ordinary way (elsewhere).
//
//	go test -run '^$' -bench Fstatat ./store
func BenchmarkFstatat(b *testing.B) {
	root := b.TempDir()
	var paths [][]byte
	for i := range 1000 {
		dir := fmt.Sprintf("m%05d", i)
		if err := os.Mkdir(filepath.Join(root, dir), 0o700); err != nil {
			b.Fatal(err)
		}
		for _, f := range []string{"a.pem", "b.pem", "c.pem", "d.pem", "e.pem", "f.pem", "g.pem", "h.pem", "i.pem"} {
			if err := os.WriteFile(filepath.Join(root, dir, f), nil, 0o600); err != nil {
				b.Fatal(err)
			}
			paths = append(paths, []byte(dir+"/"+f+"\x00"))
		}
	}
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	for _, raw := range []bool{false, true} {
		b.Run(map[bool]string{false: "ordinary", true: "raw"}[raw], func(b *testing.B) {
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				var st unix.Stat_t
				for pb.Next() {
					p := paths[int(next.Add(1))%len(paths)]
					if err := fstatat(fd, p, &st, raw); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
