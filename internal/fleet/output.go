package fleet

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

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
