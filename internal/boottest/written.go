package boottest

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// memoryFS are the filesystem types of the guest's own mounts whose files
// exist nowhere else: nspawn's and systemd's tmpfs (/run, /tmp, /dev/shm,
// /var/lib/docker).
var memoryFS = map[string]bool{"tmpfs": true, "ramfs": true}

// WalkWritten calls fn for every regular file the guest created or changed
// since it booted, with its path inside the guest and a path the host can
// read it at. That is the overlay's upper layer plus the guest's in-memory
// mounts; everything else is the image's untouched, read-only lower layer,
// which was built before the test's keys existed. The guest must be running.
func (g *Guest) WalkWritten(fn func(guestPath, hostPath string) error) error {
	if err := walkFiles(g.Upper, "/", nil, fn); err != nil {
		return err
	}
	mounts, err := guestMounts(g.leader)
	if err != nil {
		return err
	}
	for mp, fstype := range mounts {
		if !memoryFS[fstype] || mp == "/" {
			continue
		}
		if err := walkFiles(filepath.Join(g.LiveRoot(), mp), mp, mounts, fn); err != nil {
			return err
		}
	}
	return nil
}

// walkFiles visits the regular files below hostDir, which the guest sees as
// guestDir, without descending into other mount points.
func walkFiles(hostDir, guestDir string, mounts map[string]string, fn func(guestPath, hostPath string) error) error {
	return filepath.WalkDir(hostDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // gone while walking: the guest is running
			}
			return err
		}
		rel, _ := filepath.Rel(hostDir, path)
		guestPath := filepath.Join(guestDir, rel)
		if d.IsDir() && path != hostDir && mounts[guestPath] != "" {
			return fs.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return fn(guestPath, path)
	})
}

// guestMounts maps the mount points of the process pid's mount namespace to
// their filesystem types.
func guestMounts(pid int) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "mountinfo"))
	if err != nil {
		return nil, err
	}
	mounts := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
		before, after, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(before), strings.Fields(after)
		if !ok || len(fields) < 5 || len(tail) < 1 {
			continue
		}
		mounts[unescapeMountinfo(fields[4])] = tail[0]
	}
	return mounts, sc.Err()
}
