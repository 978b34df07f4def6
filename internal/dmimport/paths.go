package dmimport

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Via says why the import read a file where it did.
type Via int

// The places a file is read from.
const (
	// ViaLayout is the file's place in the store's own layout: config.json
	// names no path for it, or one that does not exist.
	ViaLayout Via = iota
	// ViaNamed is where config.json names it, inside the store.
	ViaNamed
	// ViaRelocated is the place under the store's root that config.json's
	// path had under the store's old root: the store was moved or copied,
	// and config.json still holds the absolute paths of its old place.
	ViaRelocated
	// ViaOutside is where config.json names it, or where a symbolic link
	// leads, outside the store: read only when that is allowed.
	ViaOutside
)

// File is one file the import read, and why there.
type File struct {
	// Role says what the file is: "config.json", "CA certificate",
	// "CA key", "server certificate", ...
	Role string
	// Path is the file read, absolute, with symbolic links resolved.
	Path string
	// Rel is Path relative to the store's root, with slashes; empty when
	// Path lies outside the store.
	Rel string
	// Field is the config.json field that names the file; empty when
	// config.json has no field for it (config.json itself, the per-machine
	// client copies).
	Field string
	// Named is the path Field gives, as config.json has it.
	Named string
	Via   Via
	// OldRoot is where the store was when config.json was written, for
	// ViaRelocated.
	OldRoot string
}

// Source says where the file came from, for the import's report: its path
// in the store, or its absolute path outside it, and why.
func (f File) Source() string {
	switch {
	case f.Via == ViaOutside && f.Field != "" && filepath.Clean(f.Named) == f.Path:
		return fmt.Sprintf("%s (outside the store, as config.json's %s names it)", f.Path, f.Field)
	case f.Via == ViaOutside && f.Field != "":
		return fmt.Sprintf("%s (outside the store, where config.json's %s %q leads)", f.Path, f.Field, f.Named)
	case f.Via == ViaOutside:
		return fmt.Sprintf("%s (outside the store, where the store's %s leads)", f.Path, f.Named)
	case f.Via == ViaRelocated:
		return fmt.Sprintf("%s (config.json's %s names %q: the store was at %q)", f.Rel, f.Field, f.Named, f.OldRoot)
	case f.Via == ViaLayout && f.Named != "":
		return fmt.Sprintf("%s (config.json's %s %q does not exist)", f.Rel, f.Field, f.Named)
	}
	return f.Rel
}

// Where is the file's path in the store, or its absolute path outside it.
func (f File) Where() string {
	if f.Rel != "" {
		return f.Rel
	}
	return f.Path
}

// OutsideError is a path that leads out of the Docker Machine store the
// import was given: config.json naming another store's CA key, or a
// symbolic link to elsewhere. The import reads only the store it is given
// unless it is told otherwise.
type OutsideError struct {
	Machine string
	// Field is the config.json field that names Path; empty for a file of
	// the store's own layout.
	Field string
	// Path is the path as config.json or the store's layout has it.
	Path string
	// Target is where Path leads, with symbolic links resolved.
	Target string
	// Root is the store's root.
	Root string
}

func (e *OutsideError) Error() string {
	what := fmt.Sprintf("config.json's %s %q", e.Field, e.Path)
	if e.Field == "" {
		what = fmt.Sprintf("%q", e.Path)
	}
	where := "lies outside"
	if filepath.Clean(e.Path) != e.Target {
		where = fmt.Sprintf("leads to %q, outside", e.Target)
	}
	return fmt.Sprintf("machine %q: %s %s the Docker Machine store %q, the only one this import reads", e.Machine, what, where, e.Root)
}

// resolver finds the files of one machine inside the store.
type resolver struct {
	s       *Store
	machine string
	// oldRoot is where the store was when config.json was written; empty
	// when that is where it is now.
	oldRoot string
}

// oldRoot is where the store was when Docker Machine wrote cfg: the root
// of its AuthOptions.StorePath (ROOT/machines/NAME), of its CertDir
// (ROOT/certs), or the driver's StorePath (ROOT). It is empty when that is
// the store's root now.
func (s *Store) oldRoot(cfg *hostConfig, name string) string {
	a := cfg.HostOptions.AuthOptions
	store, certs := filepath.Clean(a.StorePath), filepath.Clean(a.CertDir)
	var root string
	switch {
	case filepath.IsAbs(store) && filepath.Base(store) == name && filepath.Base(filepath.Dir(store)) == "machines":
		root = filepath.Dir(filepath.Dir(store))
	case filepath.IsAbs(certs) && filepath.Base(certs) == "certs":
		root = filepath.Dir(certs)
	case filepath.IsAbs(cfg.Driver.StorePath):
		root = filepath.Clean(cfg.Driver.StorePath)
	default:
		return ""
	}
	if root == s.Root || root == s.real {
		return ""
	}
	if real, err := filepath.EvalSymlinks(root); err == nil && real == s.real {
		return ""
	}
	return root
}

// resolve says where config.json's path named leads, with symbolic links
// resolved: to the same place under the store's root if named is under the
// store's old root and that place exists, else to named itself (Docker
// Machine writes absolute paths; a relative one is taken from the store's
// root). real is empty when nothing is there.
func (r *resolver) resolve(named string) (real string, via Via) {
	path := named
	if !filepath.IsAbs(path) {
		path = filepath.Join(r.s.Root, path)
	}
	if r.oldRoot != "" {
		if rel, err := filepath.Rel(r.oldRoot, filepath.Clean(path)); err == nil && filepath.IsLocal(rel) {
			if real, err := filepath.EvalSymlinks(filepath.Join(r.s.Root, rel)); err == nil {
				return real, ViaRelocated
			}
		}
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", ViaNamed
	}
	return real, ViaNamed
}

// inside reports whether real, a path with symbolic links resolved, lies
// in the store.
func (r *resolver) inside(real string) bool {
	rel, err := filepath.Rel(r.s.real, real)
	return err == nil && filepath.IsLocal(rel)
}

// checkPaths holds every path of cfg to the store: each that leads to a
// file or directory outside it is an *OutsideError, all of them at once,
// unless that is allowed.
func (r *resolver) checkPaths(cfg *hostConfig) error {
	var errs []error
	for _, p := range pathFields(cfg) {
		if p.path == "" || r.s.AllowOutside {
			continue
		}
		if real, _ := r.resolve(p.path); real != "" && !r.inside(real) {
			errs = append(errs, &OutsideError{Machine: r.machine, Field: p.field, Path: p.path, Target: real, Root: r.s.Root})
		}
	}
	return errors.Join(errs...)
}

// pathFields are the paths of config.json, by field.
func pathFields(cfg *hostConfig) []struct{ field, path string } {
	a := cfg.HostOptions.AuthOptions
	const auth = "HostOptions.AuthOptions."
	return []struct{ field, path string }{
		{"Driver.StorePath", cfg.Driver.StorePath},
		{auth + "CertDir", a.CertDir},
		{auth + "CaCertPath", a.CaCertPath},
		{auth + "CaPrivateKeyPath", a.CaPrivateKeyPath},
		{auth + "ServerCertPath", a.ServerCertPath},
		{auth + "ServerKeyPath", a.ServerKeyPath},
		{auth + "ClientCertPath", a.ClientCertPath},
		{auth + "ClientKeyPath", a.ClientKeyPath},
		{auth + "StorePath", a.StorePath},
	}
}

// pick finds the file for role: where config.json's field names it (see
// resolve), else at its place in the store's layout. A missing file wraps
// fs.ErrNotExist; one outside the store is an *OutsideError unless that
// is allowed.
func (r *resolver) pick(role, field, named, layout string) (File, error) {
	if named != "" {
		if real, via := r.resolve(named); real != "" {
			f := File{Role: role, Path: real, Field: field, Named: named, Via: via}
			if via == ViaRelocated {
				f.OldRoot = r.oldRoot
			}
			return r.hold(f, field, named)
		}
	}
	real, err := filepath.EvalSymlinks(layout)
	if err != nil {
		return File{}, fmt.Errorf("machine %q: reading its %s: %w", r.machine, role, err)
	}
	return r.hold(File{Role: role, Path: real, Field: field, Named: named, Via: ViaLayout}, "", layout)
}

// hold keeps f, found through path (config.json's field, or the store's
// layout when field is empty), to the store: f gets its path relative to
// the root; outside the store it is ViaOutside when that is allowed and an
// *OutsideError when not.
func (r *resolver) hold(f File, field, path string) (File, error) {
	if r.inside(f.Path) {
		rel, _ := filepath.Rel(r.s.real, f.Path)
		f.Rel = filepath.ToSlash(rel)
		return f, nil
	}
	if !r.s.AllowOutside {
		return File{}, &OutsideError{Machine: r.machine, Field: field, Path: path, Target: f.Path, Root: r.s.Root}
	}
	f.Via, f.Field, f.Named = ViaOutside, field, path
	if field == "" {
		if rel, err := filepath.Rel(r.s.Root, path); err == nil {
			f.Named = filepath.ToSlash(rel)
		}
	}
	return f, nil
}
