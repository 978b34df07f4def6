package store

// dirState is a directory of a machine as List last found it: the
// directory itself and each entry in it, by name. An unchanged directory
// has the same entries (adding, removing or renaming one changes its own
// times), so comparing each of them finds any change of a file.
type dirState struct {
	rel     string // below the store's root
	self    fileState
	entries []entryState
}

// entryState is one entry of a directory and its state.
type entryState struct {
	name  string
	state fileState
}

// fileState is what List compares of a file or directory: which one it is
// (device and inode), its kind and permissions, its size, and when its
// content and its inode last changed, in nanoseconds.
type fileState struct {
	dev, ino     uint64
	mode         uint32
	size         int64
	mtime, ctime int64
}

// recent reports whether f changed at or after limit (Unix nanoseconds).
func (f fileState) recent(limit int64) bool { return f.mtime >= limit || f.ctime >= limit }

// sameState reports whether two states of the same directories are equal.
func sameState(a, b []dirState) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].rel != b[i].rel || a[i].self != b[i].self || len(a[i].entries) != len(b[i].entries) {
			return false
		}
		for j, e := range a[i].entries {
			if e != b[i].entries[j] {
				return false
			}
		}
	}
	return true
}
