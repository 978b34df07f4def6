package fleet

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/dockbake/dockbake/generator"
)

// extensions is the file name extension of each format's user-data, as
// apply names DIR/NAME.<ext>.
var extensions = map[generator.Format]string{
	generator.FormatCloudConfig: ".yaml",
	generator.FormatMIME:        ".mime",
	generator.FormatScript:      ".sh",
	generator.FormatButane:      ".bu",
	generator.FormatIgnition:    ".ign",
}

// Ext is the extension of a file of user-data in format f (empty: the
// default of os).
func Ext(f generator.Format, os generator.OS) string {
	if f == "" {
		f = os.DefaultFormat()
	}
	return extensions[f]
}

// OutputPath is where apply writes machine m's user-data in dir.
func OutputPath(dir string, m Machine) string {
	o, _ := generator.LookupOS(m.Request.Spec.OS)
	return filepath.Join(dir, m.Settings.Name+Ext(generator.Format(m.Settings.Format), o))
}

// otherOutputs are the files of name's user-data in dir in any format but
// the one at keep: left by an earlier format, removed once the new one is
// written. in is what dir holds (listing), nil when it could not be
// listed: then each file is looked for.
func otherOutputs(dir, name, keep string, in map[string]bool) []string {
	var paths []string
	for _, ext := range extensions {
		p := filepath.Join(dir, name+ext)
		if p == keep {
			continue
		}
		if (in != nil && in[name+ext]) || (in == nil && exists(p)) {
			paths = append(paths, p)
		}
	}
	return paths
}

// listing is the set of names in dir, read at once: one look for the
// files of every machine of a fleet, not one for each of their formats.
// nil when dir cannot be read.
func listing(dir string) map[string]bool {
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil
	}
	in := make(map[string]bool, len(names))
	for _, n := range names {
		in[n] = true
	}
	return in
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// sameFile reports whether path holds exactly data.
func sameFile(path string, data []byte) bool {
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, data)
}

// tempOf is the hidden file beside path that apply writes first, named
// so that a later apply finds and replaces what a killed one left.
func tempOf(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".dockbake-new")
}

// writeTemp writes data (a private key is in it: 0600) to path's
// temporary file, unsynced: apply syncs once for all of them.
func writeTemp(path string, data []byte) error {
	tmp := tempOf(path)
	// Apply removed every temporary file of a killed apply first; one here
	// now is of this apply's own, and is replaced.
	// One open(2), without os.OpenFile's poller registration: this runs
	// once per machine.
	fd, err := syscall.Open(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return &fs.PathError{Op: "open", Path: tmp, Err: err}
	}
	err = writeFD(fd, data)
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return &fs.PathError{Op: "write", Path: tmp, Err: err}
	}
	return nil
}

// writeFD writes all of data to fd with write(2), without os.NewFile's
// look at the descriptor's flags.
func writeFD(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// renameFile moves the file from to to, replacing a file there, with one
// rename(2): os.Rename looks at to first, to refuse replacing a
// directory, which rename(2) of a file refuses all the same.
func renameFile(from, to string) error {
	for {
		err := syscall.Rename(from, to)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
		}
		return nil
	}
}
