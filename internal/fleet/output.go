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
// written.
func otherOutputs(dir, name, keep string) []string {
	var paths []string
	for _, ext := range extensions {
		p := filepath.Join(dir, name+ext)
		if p != keep && exists(p) {
			paths = append(paths, p)
		}
	}
	return paths
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
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
